"""Golden files: the real non-SLO rule generators on tests/golden/alerts/in-*.yaml must
equal ``out-<case>.quantum.yml`` and ``out-<case>.meta.yml``, and pass promtool.

Regenerate after an intended change with ``QOBSERVE_UPDATE_GOLDEN=1 pytest tests/slo``
and review the diff.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from qobserve.slo.alerts import render_meta_rules, render_quantum_rules
from qobserve.slo.spec import SLOSpec, load_spec
from qobserve.testing.golden import assert_golden

GOLDEN = Path(__file__).parents[1] / "golden" / "alerts"
CASES = sorted(GOLDEN.glob("in-*.yaml"))
RENDERERS: dict[str, Callable[..., str]] = {
    "quantum": render_quantum_rules,
    "meta": render_meta_rules,
}


def _out(spec_path: Path, kind: str) -> Path:
    return spec_path.with_name(f"{spec_path.stem.replace('in-', 'out-', 1)}.{kind}.yml")


def _render(spec: SLOSpec, kind: str, source: str) -> str:
    return RENDERERS[kind](spec, source=source)


@pytest.mark.parametrize("kind", sorted(RENDERERS))
@pytest.mark.parametrize("spec_path", CASES, ids=lambda p: p.stem)
def test_alerts_golden(spec_path: Path, kind: str) -> None:
    """The generated rules for each golden spec match the committed output exactly."""
    text = _render(load_spec(spec_path), kind, spec_path.name)
    assert_golden(text, _out(spec_path, kind))


@pytest.mark.parametrize("kind", sorted(RENDERERS))
@pytest.mark.parametrize("spec_path", CASES, ids=lambda p: p.stem)
def test_alerts_golden_pass_promtool(spec_path: Path, kind: str) -> None:
    """Every golden output is a valid Prometheus rules file."""
    out = str(_out(spec_path, kind))
    result = subprocess.run(["promtool", "check", "rules", out], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_golden_cases_exist() -> None:
    """At least one golden spec is checked, so the parametrized tests cannot pass empty."""
    assert CASES
