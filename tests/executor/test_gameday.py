"""Game-day scenarios: validation naming the field, the CLI's JSON report, shipped examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from qobserve.cli import app
from qobserve.executor import ResilientExecutor, load_policy
from qobserve.gameday import ScenarioError, load_scenario, run_gameday

EXAMPLES = sorted((Path(__file__).parents[2] / "examples" / "gamedays").glob("*.yaml"))

_BASE = {"jobs": 4, "shots": 10, "backends": [{"name": "a", "backend": "qiskit:aer"}]}


def _with(path: tuple, value) -> dict:
    data = yaml.safe_load(yaml.safe_dump(_BASE))
    node = data
    for key in path[:-1]:
        node = node.setdefault(key, {}) if isinstance(key, str) else node[key]
    node[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("jobs",), 0, "jobs: Input should be greater than or equal to 1"),
        (("colour",), "red", "colour: unknown key: remove it or fix its spelling"),
        (
            ("executor", "max_attemps"),
            3,
            "executor.max_attemps: unknown key: remove it or fix its spelling",
        ),
        (("executor", "deadline"), "soon", "executor.deadline: expected a duration"),
        (
            ("backends", 0, "backend"),
            "qiskit:nope",
            "backends[0].backend: unknown backend spec 'qiskit:nope'",
        ),
        (
            ("backends", 0, "backend"),
            "braket:arn:aws:braket:::device/qpu/ionq/Aria-1",
            "backends[0].backend: game days run on local simulators only",
        ),
        (
            ("backends", 0, "faults"),
            {"transient_error_rate": 1.5},
            "backends[0].faults.transient_error_rate: Input should be less than or equal to 1",
        ),
        (
            ("backends", 0, "faults"),
            {"transient_error_rate": 0.7, "timeout_rate": 0.5},
            "backends[0].faults: the error rates sum to 1.2",
        ),
        (
            ("backends", 0, "faults"),
            {"outage": {"after_jobs": 1}},
            "backends[0].faults.outage.for_jobs: Field required",
        ),
        (
            ("backends", 0, "price"),
            {"per_task_usd": -1},
            "backends[0].price.per_task_usd: Input should be greater",
        ),
        (("circuit",), "nowhere.qasm", "circuit: 'nowhere.qasm' is neither a built-in"),
    ],
)
def test_bad_scenario_names_the_field(path, value, message):
    """Each invalid scenario is refused with the field path in the message."""
    with pytest.raises(ScenarioError) as err:
        load_scenario(_with(path, value))
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        (
            {"retry": {"max_attempts": 0}},
            "retry.max_attempts: Input should be greater than or equal to 1",
        ),
        (
            {"breaker": {"cooldwn": "5m"}},
            "breaker.cooldwn: unknown key: remove it or fix its spelling",
        ),
        (
            {"gates": {"max_calibration_age": "yesterday"}},
            "gates.max_calibration_age: expected a duration",
        ),
    ],
)
def test_bad_policy_file_names_the_field(tmp_path, policy, message):
    """A policy file with a bad key or value names the file and the field."""
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(policy))
    with pytest.raises(ValueError) as err:
        load_policy(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_policy_file_configures_an_executor(tmp_path):
    """A valid policy file reaches the executor's policies and retry budget."""
    path = tmp_path / "policy.yaml"
    path.write_text(
        "retry: {max_attempts: 4, initial: 250ms}\nretry_budget: {capacity: 50}\ndeadline: 2m\n"
    )
    ex = ResilientExecutor.from_policy(["qiskit:aer"], load_policy(path))
    assert (ex.retry.max_attempts, ex.retry.initial, ex.retry_budget.capacity, ex.deadline) == (
        4,
        0.25,
        50,
        120,
    )


def test_keyword_policies_validate_too():
    """Policies passed as mappings are validated with the field named."""
    with pytest.raises(ValueError, match=r"retry\.attempt_timeout: expected a duration"):
        ResilientExecutor(["qiskit:aer"], retry={"attempt_timeout": "later"})


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_shipped_examples_are_valid(example):
    """Every example scenario loads."""
    assert load_scenario(example).jobs > 0


def test_cli_json_report(tmp_path):
    """``qobserve gameday --json`` prints the contract's keys and exits 0 when nothing is lost."""
    qasm = tmp_path / "x.qasm"
    qasm.write_text(
        'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ncreg c[1];\nx q[0];\nmeasure q -> c;\n'
    )
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        yaml.safe_dump(
            {
                "jobs": 12,
                "shots": 10,
                "circuit": "x.qasm",
                "budget_usd": 1,
                "seed": 2,
                "executor": {"max_attempts": 3, "attempt_timeout": 0.01},
                "backends": [
                    {
                        "name": "p",
                        "backend": "qiskit:aer",
                        "price": {"per_task_usd": 0.05},
                        "faults": {
                            "transient_error_rate": 0.3,
                            "outage": {"after_jobs": 3, "for_jobs": 3},
                        },
                    },
                    {"name": "s", "backend": "cirq:simulator", "price": {"per_task_usd": 0.1}},
                ],
            }
        )
    )
    out = CliRunner().invoke(app, ["gameday", "--scenario", str(scenario), "--json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.output)
    assert {
        "jobs",
        "succeeded",
        "failed",
        "lost",
        "duplicate_executions",
        "spent_usd",
        "budget_usd",
        "retries",
        "fallbacks",
        "by_backend",
    } <= set(report)
    assert report["jobs"] == 12 and report["lost"] == 0 and report["duplicate_executions"] == 0
    assert (
        report["succeeded"] + report["failed"]
        == 12
        == len(report["failures"]) + report["succeeded"]
    )
    assert report["spent_usd"] <= 1 and report["fallbacks"] >= 3
    assert report["by_backend"]["s"]["executions"] >= 3


def test_cli_bad_scenario_exits_2_naming_the_field(tmp_path):
    """An invalid scenario exits 2 and names the field."""
    scenario = tmp_path / "bad.yaml"
    scenario.write_text(yaml.safe_dump(_with(("backends", 0, "faults"), {"timeout_rte": 0.1})))
    out = CliRunner().invoke(app, ["gameday", "--scenario", str(scenario)])
    assert out.exit_code == 2
    assert (
        "backends[0].faults.timeout_rte: unknown key: remove it or fix its spelling" in out.output
    )


def test_outage_example_falls_back_and_loses_nothing():
    """The outage example moves jobs during the outage window and returns afterwards."""
    scenario = load_scenario(EXAMPLES[[p.stem for p in EXAMPLES].index("outage-fallback")])
    report = run_gameday(scenario.model_copy(update={"jobs": 30}))
    assert report.ok and report.lost == 0 and report.duplicate_executions == 0
    assert report.by_backend["primary"].skipped >= 5  # jobs 20..29 hit the outage
    assert report.by_backend["secondary"].executions >= 5


@pytest.mark.parametrize(
    "text",
    [
        "OPENQASM 2.0;\nqreg q[1];\nfoo q[0];\n",
        "not qasm at all\n",
        "OPENQASM 3.0;\nqubit[1] q;\nbit c = measure q[5];\n",
        "",
    ],
)
def test_unparsable_qasm_is_refused_naming_circuit_and_file(tmp_path, text):
    """A circuit file that does not parse is refused before any job runs, naming `circuit` and the file."""
    qasm = tmp_path / "broken.qasm"
    qasm.write_text(text)
    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump(_with(("circuit",), "broken.qasm")))
    out = CliRunner().invoke(app, ["gameday", "--scenario", str(scenario)])
    assert out.exit_code == 2 and out.stdout == ""
    (line,) = out.stderr.splitlines()
    assert "circuit: " in line and str(qasm) in line and "not a valid OpenQASM" in line


def test_game_day_whose_jobs_all_fail_exits_non_zero(tmp_path):
    """Every job failing is a failed game day: exit 1 and the reason on one stderr line."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        yaml.safe_dump(
            {
                "jobs": 3,
                "shots": 10,
                "executor": {"max_attempts": 1},
                "backends": [
                    {"name": "p", "backend": "qiskit:aer", "faults": {"permanent_error_rate": 1}}
                ],
            }
        )
    )
    out = CliRunner().invoke(app, ["gameday", "--scenario", str(scenario), "--json"])
    assert out.exit_code == 1
    report = json.loads(out.stdout)
    assert (
        report["succeeded"] == 0 and not report["ok"] and report["problems"] == ["every job failed"]
    )
    assert out.stderr.splitlines() == [f"error: game day {scenario} failed: every job failed"]


@pytest.mark.parametrize(
    ("backend", "message"),
    [
        (
            "qiskit:fake_nope",
            "backends[0].backend: cannot build 'qiskit:fake_nope': no Qiskit fake backend named",
        ),
        ("cirq_google:nope", "backends[0].backend: cannot build 'cirq_google:nope': "),
    ],
)
def test_backend_the_sdk_cannot_build_is_one_line_naming_it(tmp_path, backend, message):
    """An unknown fake backend or processor exits 2 with one line naming the backend field."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        yaml.safe_dump({"jobs": 2, "backends": [{"name": "a", "backend": backend}]})
    )
    out = CliRunner().invoke(app, ["gameday", "--scenario", str(scenario)])
    assert out.exit_code == 2 and out.stdout == ""
    (line,) = out.stderr.splitlines()
    assert line.startswith(f"error: invalid scenario: {scenario}: ") and message in line
