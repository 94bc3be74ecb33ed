"""``qobserve rb`` bad input, through the real command in a subprocess: one line, the option, exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def _rb(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "COLUMNS": "60",
    }  # narrow: a wrapped message would show
    return subprocess.run(
        [sys.executable, "-m", "qobserve.cli", "rb", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "option", "hint"),
    [
        (["--samples", "1e20"], "--samples", "whole number from 1 to 10000"),
        (["--samples", "0"], "--samples", "from 1"),
        (["--samples", "-3"], "--samples", "from 1"),
        (["--samples", "2.5"], "--samples", "whole number"),
        (["--samples", "nan"], "--samples", "whole number"),
        (["--samples", "9" * 5000], "--samples", "whole number"),
        (["--shots", "0"], "--shots", "from 1 to 1000000"),
        (["--shots", "99999999999"], "--shots", "to 1000000"),
        (["--samples", "10000", "--shots", "100000"], "--shots", "raise --max-total-shots"),
        (["--max-total-shots", "-1"], "--max-total-shots", "whole number"),
        (
            ["--samples", "100", "--max-total-shots", "1000"],
            "--shots",
            "exceeds the 1,000 total-shot limit",
        ),
        (["--lengths", ","], "--lengths", "empty"),
        (["--lengths", "1,-5,10"], "--lengths", "from 0 to 100000"),
        (["--lengths", "10,1,5"], "--lengths", "e.g. 1,5,10"),
        (["--lengths", "1,5,5,10"], "--lengths", "distinct and increasing"),
        (["--lengths", "1,1000000"], "--lengths", "to 100000"),
        (["--qubits", "0,0"], "--qubits", "two distinct"),
        (["--qubits", "0,1,2"], "--qubits", "one qubit or two"),
        (["--qubits", "x"], "--qubits", "whole numbers"),
        (["--seed", "-1"], "--seed", "from 0"),
        (["--noise", "depolarizing:2"], "--noise", "[0, 1]"),
        (["--noise", "depolarizing:nan"], "--noise", "[0, 1]"),
        (["--noise", "thermal:0.1"], "--noise", "depolarizing:"),
        (["--readout-error", "0.9"], "--readout-error", "from 0 to 0.5"),
        (["--readout-error", "inf"], "--readout-error", "from 0 to 0.5"),
    ],
)
def test_bad_numbers_and_lists_on_stim(args, option, hint):
    """Each bad value is refused before anything runs: exit 2, one stderr line naming the option."""
    result = _rb("--backend", "stim", *args)
    assert result.returncode == 2, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {option}: ") and hint in lines[0], (
        result.stderr
    )
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "option", "hint"),
    [
        ([], "--backend", "required"),
        (["--backend", "qiskit:nope"], "--backend", "unknown backend spec 'qiskit:nope'"),
        (["--backend", "nonsense"], "--backend", "expected one of"),
        (
            ["--backend", "qiskit:fake_nope"],
            "--backend",
            "no Qiskit fake backend named 'fake_nope'",
        ),
        (
            ["--backend", "qiskit:ibm_brisbane", "--noise", "depolarizing:0.01"],
            "--noise",
            "drop --noise",
        ),
        (
            ["--backend", "qiskit:aer", "--readout-error", "0.1"],
            "--readout-error",
            "use --backend stim",
        ),
        (
            ["--backend", "cirq_google:willow_pink", "--noise", "depolarizing:0.01"],
            "--noise",
            "cirq:density_matrix",
        ),
        (["--backend", "qiskit:fake_manila", "--qubits", "7"], "--qubits", "5 qubits (0-4)"),
        (["--backend", "qiskit:fake_manila", "--qubits", "0,3"], "--qubits", "not coupled"),
        (["--backend", "cirq_google:willow_pink", "--qubits", "200"], "--qubits", "105 qubits"),
    ],
)
def test_bad_backends_and_qubits(args, option, hint):
    """Unknown specs and devices, and qubits a device does not have, are one-line errors."""
    result = _rb(*args, "--lengths", "1,2,3", "--samples", "1", "--shots", "10")
    assert result.returncode == 2, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {option}: ") and hint in lines[0], (
        result.stderr
    )


def test_willow_pink_probe_completes_with_the_contract_json():
    """The issue's example runs in seconds and prints the documented JSON object."""
    result = _rb(
        "--backend",
        "cirq_google:willow_pink",
        "--qubits",
        "0",
        "--samples",
        "5",
        "--shots",
        "100",
        "--seed",
        "1",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert {
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
    } <= doc.keys()
    assert doc["backend"] == "cirq_google:willow_pink" and doc["qubits"] == [0]
    assert doc["num_samples"] == 5 and doc["shots"] == 100 and len(doc["lengths"]) == 10
    assert doc["epc_ci"][0] <= doc["epc"] <= doc["epc_ci"][1]
    assert doc["elapsed_s"] < 60  # 4-10 s measured on a loaded 2-core machine; minutes before
