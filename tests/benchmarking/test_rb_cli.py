"""``qobserve rb``: the JSON contract, exit codes and readable errors."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from qobserve.cli import app

CONTRACT_KEYS = {
    "backend",
    "qubits",
    "epc",
    "epc_ci",
    "alpha",
    "fidelity",
    "lengths",
    "num_samples",
    "shots",
    "elapsed_s",
}


def test_json_has_the_contract_keys():
    """--json prints one object with every contract key and a consistent fidelity."""
    result = CliRunner().invoke(
        app,
        [
            "rb",
            "--backend",
            "stim",
            "--qubits",
            "0",
            "--lengths",
            "1,10,30",
            "--samples",
            "5",
            "--shots",
            "200",
            "--seed",
            "3",
            "--noise",
            "depolarizing:0.02",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc.keys() >= CONTRACT_KEYS
    assert doc["lengths"] == [1, 10, 30] and doc["num_samples"] == 5 and doc["shots"] == 200
    assert doc["epc_ci"][0] <= doc["epc"] <= doc["epc_ci"][1]
    assert doc["fidelity"] == 1 - doc["epc"]


def test_two_qubits_and_table_output():
    """--qubits 0,1 runs two-qubit RB and the default output is a readable table."""
    result = CliRunner().invoke(
        app,
        [
            "rb",
            "--backend",
            "stim",
            "--qubits",
            "0,1",
            "--lengths",
            "1,4,8",
            "--samples",
            "3",
            "--shots",
            "50",
            "--seed",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "RB on stim qubits 0_1" in result.stdout and "error per Clifford" in result.stdout


def test_bad_fit_exits_1_with_status_and_error():
    """Decay already complete at the shortest length: exit code 1, epc null, status and error in the JSON."""
    result = CliRunner().invoke(
        app,
        [
            "rb",
            "--backend",
            "stim",
            "--lengths",
            "50,100,200",
            "--samples",
            "2",
            "--shots",
            "10",
            "--noise",
            "depolarizing:0.5",
            "--seed",
            "1",
            "--json",
        ],
    )
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["epc"] is None and doc["status"] == "no_decay" and "shorter lengths" in doc["error"]


def test_too_few_lengths_is_bad_input():
    """Two lengths cannot fit three parameters: refused before anything runs, naming --lengths."""
    result = CliRunner().invoke(app, ["rb", "--backend", "stim", "--lengths", "1,2", "--json"])
    assert result.exit_code == 2
    assert "--lengths: the fit A·α^m + B needs at least 3 lengths" in result.stderr


def test_unknown_backend_exits_2_naming_the_field():
    """An unknown spec is a usage error that names the field and the accepted forms."""
    result = CliRunner().invoke(app, ["rb", "--backend", "qiskit:nope", "--json"])
    assert result.exit_code == 2
    assert "backend: unknown backend spec 'qiskit:nope'" in result.stderr
