"""Golden files: the real routing generator on tests/golden/routing/in-*.yaml must equal
out-*.yml, and Alertmanager must accept each output.

Regenerate after an intended change with ``QOBSERVE_UPDATE_GOLDEN=1 pytest tests/slo`` and
review the diff.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from qobserve.slo.routing import load_routing, render_alertmanager
from qobserve.testing.golden import assert_golden

GOLDEN = Path(__file__).parents[1] / "golden" / "routing"
CASES = sorted(GOLDEN.glob("in-*.yaml"))


def _out(spec_path: Path) -> Path:
    return spec_path.with_name(spec_path.stem.replace("in-", "out-", 1) + ".yml")


@pytest.mark.parametrize("spec_path", CASES, ids=lambda p: p.stem)
def test_routing_golden(spec_path: Path) -> None:
    """The generated alertmanager.yml for each golden routing spec matches the committed one."""
    text = render_alertmanager(load_routing(spec_path), source=spec_path.name)
    assert_golden(text, _out(spec_path))


@pytest.mark.parametrize("spec_path", CASES, ids=lambda p: p.stem)
def test_routing_golden_passes_amtool(spec_path: Path) -> None:
    """Each golden output passes `amtool check-config` and routes the alert path's own
    alerts around the bridge receiver."""
    out = str(_out(spec_path))
    result = subprocess.run(["amtool", "check-config", out], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    result = subprocess.run(
        [
            "amtool",
            "config",
            "routes",
            "test",
            f"--config.file={out}",
            "--verify.receivers=pagerduty,opsgenie",
            "severity=page",
            "alertname=QuantumAlertBridgeDeliveryFailing",
            "quantum_backend=SV1",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
