"""``qobserve rb --interleave``: the JSON fields and one-line refusals of gates a backend lacks."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from qobserve.cli import app

GATE_KEYS = {"gate", "gate_error", "gate_error_ci", "gate_error_systematic_bounds"}


def _rb(*args: str):
    return CliRunner().invoke(app, ["rb", *args])


def test_interleave_adds_the_gate_fields_to_the_json():
    """--interleave x --json carries gate, gate_error, its interval and the systematic bounds."""
    result = _rb(
        "--backend",
        "stim",
        "--lengths",
        "1,10,30,60",
        "--samples",
        "8",
        "--shots",
        "300",
        "--seed",
        "2",
        "--noise",
        "depolarizing:0.02",
        "--interleave",
        "x",
        "--json",
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["gate"] == "x" and doc["status"] == "ok"
    lo, hi = doc["gate_error_ci"]
    assert lo <= doc["gate_error"] <= hi
    slo, shi = doc["gate_error_systematic_bounds"]
    assert slo < doc["gate_error"] < shi
    assert len(doc["interleaved_survival_mean"]) == 4


def test_without_interleave_the_gate_fields_are_null():
    """Standard RB keeps the contract keys and reports the gate fields as null."""
    result = _rb(
        "--backend",
        "stim",
        "--lengths",
        "1,10,30",
        "--samples",
        "3",
        "--shots",
        "100",
        "--seed",
        "1",
        "--noise",
        "depolarizing:0.02",
        "--json",
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert all(doc[k] is None for k in GATE_KEYS)


def test_table_shows_the_gate_error():
    """The default table has the gate's error and the Magesan bounds."""
    result = _rb(
        "--backend",
        "stim",
        "--qubits",
        "0,1",
        "--lengths",
        "1,4,8",
        "--samples",
        "3",
        "--shots",
        "100",
        "--seed",
        "1",
        "--noise",
        "depolarizing:0.02",
        "--interleave",
        "cz",
    )
    assert result.exit_code == 0, result.output
    assert "cz gate error (interleaved RB)" in result.stdout and "Magesan" in result.stdout


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (["--backend", "stim", "--interleave", "h"], "expected one of x, sx, cx, cz, ecr, got 'h'"),
        (["--backend", "stim", "--interleave", ""], "expected one of"),
        (["--backend", "stim", "--interleave", "cx"], "cx acts on 2 qubits, got --qubits 0"),
        (["--backend", "stim", "--qubits", "0,1", "--interleave", "sx"], "sx acts on 1 qubit"),
        (
            ["--backend", "cirq:simulator", "--qubits", "0,1", "--interleave", "ecr"],
            "no native 'ecr'",
        ),
        (
            ["--backend", "cirq_google:willow_pink", "--qubits", "0,1", "--interleave", "cx"],
            "choose from x, sx, cz",
        ),
        (
            ["--backend", "qiskit:fake_manila", "--qubits", "0,1", "--interleave", "ecr"],
            "no native 'ecr' on qubits 0,1",
        ),
        (
            ["--backend", "stim", "--samples", "5000", "--shots", "1000", "--interleave", "x"],
            "2 x samples x lengths",
        ),
    ],
)
def test_bad_interleave_is_one_line_naming_the_option(args, hint):
    """A gate the backend lacks, or on the wrong qubit count, exits 2 with one line naming --interleave."""
    result = (
        _rb(*args, "--lengths", "1,2,3", "--samples", "1", "--shots", "10")
        if "--samples" not in args
        else _rb(*args)
    )
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    option = "--shots" if "2 x samples" in hint else "--interleave"
    assert len(lines) == 1 and lines[0].startswith(f"error: {option}: ") and hint in lines[0], (
        result.stderr
    )
    assert result.stdout == ""
