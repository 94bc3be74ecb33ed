"""Committed alert artifacts are fresh and pass promtool/amtool, including the rule unit tests."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qobserve.cli import app
from qobserve.generate import check

ROOT = Path(__file__).parents[2]
ALERTS = ROOT / "alerts"


def _run(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)


def test_generate_check_passes_on_repo() -> None:
    """`qobserve generate --check` exits 0: every committed artifact matches its spec."""
    result = CliRunner().invoke(app, ["generate", "--check", "--root", str(ROOT)])
    assert result.exit_code == 0, result.output


def _copy_specs(tmp_path: Path) -> None:
    for name in ("alerts", "runbooks"):  # the runbook index renders from runbooks/
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, tmp_path / name)


def test_generate_check_lists_stale_files(tmp_path: Path) -> None:
    """--check exits 1 naming a stale artifact; `generate` then fixes it."""
    _copy_specs(tmp_path)
    stale = tmp_path / "alerts" / "slo.rules.yml"
    stale.write_text(stale.read_text().replace("0.72", "0.73"))
    runner = CliRunner()
    result = runner.invoke(app, ["generate", "--check", "--root", str(tmp_path)])
    assert result.exit_code == 1 and "stale: alerts/slo.rules.yml" in result.output
    assert runner.invoke(app, ["generate", "--root", str(tmp_path)]).exit_code == 0
    assert check(tmp_path) == []


def test_generate_reports_bad_spec(tmp_path: Path) -> None:
    """A bad spec makes `generate` exit 1 with the field named."""
    _copy_specs(tmp_path)
    spec = tmp_path / "alerts" / "slo.yaml"
    spec.write_text(spec.read_text().replace("objective: 95", "objective: 120", 1))
    result = CliRunner().invoke(app, ["generate", "--root", str(tmp_path)])
    assert result.exit_code == 1 and "slos[0]: objective must be in (0, 100)" in result.output


@pytest.mark.parametrize("rules", sorted(ALERTS.glob("*.rules.yml")), ids=lambda p: p.name)
def test_promtool_check_rules(rules: Path) -> None:
    """promtool check rules accepts every generated rules file."""
    result = _run("promtool", "check", "rules", str(rules))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_rule_unit_tests() -> None:
    """promtool test rules passes alerts/tests/*.yml (burn-rate, budget, staleness, absence)."""
    tests = sorted(str(p) for p in (ALERTS / "tests").glob("*.yml"))
    assert len(tests) >= 2
    result = _run("promtool", "test", "rules", *tests)
    assert result.returncode == 0, result.stdout + result.stderr


def test_amtool_check_config() -> None:
    """amtool check-config accepts the generated Alertmanager config."""
    result = _run("amtool", "check-config", str(ALERTS / "alertmanager.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("labels", "receivers"),
    [
        (
            [
                "severity=page",
                "alertname=QuantumJobSuccessBudgetBurn",
                "quantum_backend=fake_manila",
            ],
            "pager,alert-bridge",
        ),
        (
            ["severity=ticket", "alertname=QuantumCalibrationStale", "quantum_backend=fake_manila"],
            "alert-bridge",
        ),
        # Backends with a maintenance window route through their muted subtree, same receivers.
        (
            ["severity=page", "alertname=QuantumBackendDown", "quantum_backend=ibm_brisbane"],
            "pager,alert-bridge",
        ),
        (
            ["severity=ticket", "alertname=QuantumProbeFailing", "quantum_backend=ibm_kyiv"],
            "alert-bridge",
        ),
        (["severity=info", "alertname=Other"], "alert-bridge"),
        # The alert path's own alerts: the heartbeat only to the dead-man's switch, the bridge's
        # alerts only around the bridge, even for a backend in its maintenance window.
        (["severity=ticket", "alertname=QuantumAlertingHeartbeat"], "deadmans-switch"),
        (
            [
                "severity=page",
                "alertname=QuantumAlertBridgeDeliveryFailing",
                "bridge_condition=down",
            ],
            "pager",
        ),
        (["severity=ticket", "alertname=QuantumAlertBridgeDeadLetters"], "pager"),
        (
            [
                "severity=page",
                "alertname=QuantumAlertBridgeDeliveryFailing",
                "quantum_backend=ibm_brisbane",
            ],
            "pager",
        ),
    ],
)
def test_amtool_routes(labels: list[str], receivers: str) -> None:
    """Pages reach the pager and the Slack bridge; tickets and the rest only the bridge; the
    heartbeat and the bridge's own alerts never go through the bridge."""
    result = _run(
        "amtool",
        "config",
        "routes",
        "test",
        f"--config.file={ALERTS / 'alertmanager.yml'}",
        f"--verify.receivers={receivers}",
        *labels,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("old", "new", "hint"),
    [
        ("\n  page:", "\n  paeg:", "severities.paeg: unknown key: remove it or fix its spelling"),
        (
            'start_time: "02:00"',
            'start_time: "25:99"',
            "maintenance[0].time_intervals[0].times[0].start_time: expected a time HH:MM",
        ),
        ("[sunday]", "[funday]", "weekdays: 'funday' is not a weekday"),
    ],
)
def test_generate_refuses_bad_routing_spec(tmp_path: Path, old: str, new: str, hint: str) -> None:
    """A routing-spec typo: exit 1, one line on stderr naming file and field, no traceback,
    and alertmanager.yml left as it was."""
    _copy_specs(tmp_path)
    spec = tmp_path / "alerts" / "routing.yaml"
    assert old in spec.read_text()
    spec.write_text(spec.read_text().replace(old, new, 1))
    before = (tmp_path / "alerts" / "alertmanager.yml").read_text()
    result = subprocess.run(
        ["python", "-m", "qobserve.cli", "generate", "--root", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 1
    assert result.stdout == "" and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"error: {spec}: ") and hint in result.stderr
    assert (tmp_path / "alerts" / "alertmanager.yml").read_text() == before
