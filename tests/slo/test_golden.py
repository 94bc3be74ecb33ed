"""Golden files: the real generator on tests/golden/slo/in-*.yaml must equal out-*.yml.

Regenerate after an intended change with ``QOBSERVE_UPDATE_GOLDEN=1 pytest tests/slo``
and review the diff.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from qobserve.slo.rules import render_slo_rules
from qobserve.slo.spec import load_spec
from qobserve.testing.golden import assert_golden

GOLDEN = Path(__file__).parents[1] / "golden" / "slo"
CASES = sorted(GOLDEN.glob("in-*.yaml"))


@pytest.mark.parametrize("spec_path", CASES, ids=lambda p: p.stem)
def test_golden(spec_path: Path) -> None:
    """The generated rules for each golden spec match the committed output exactly."""
    out = spec_path.with_name(spec_path.stem.replace("in-", "out-", 1) + ".yml")
    text = render_slo_rules(load_spec(spec_path), source=spec_path.name)
    assert_golden(text, out)


@pytest.mark.parametrize("spec_path", CASES, ids=lambda p: p.stem)
def test_golden_outputs_pass_promtool(spec_path: Path) -> None:
    """Every golden output is a valid Prometheus rules file for promtool 2.42."""
    out = spec_path.with_name(spec_path.stem.replace("in-", "out-", 1) + ".yml")
    result = subprocess.run(
        ["promtool", "check", "rules", str(out)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_golden_cases_exist() -> None:
    """At least three golden specs are checked, so the parametrized tests cannot pass empty."""
    assert len(CASES) >= 3
