"""`qobserve cost estimate` through typer's CliRunner."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner, Result

from qobserve.cli import app

ARIA = "braket:arn:aws:braket:us-east-1::device/qpu/ionq/Aria-1"
SV1 = "braket:arn:aws:braket:::device/quantum-simulator/amazon/sv1"


def estimate(*args: str) -> Result:
    """``qobserve cost estimate ARGS`` in-process."""
    return CliRunner().invoke(app, ["cost", "estimate", *args])


def test_cost_estimate_prints_price_source_and_date():
    """Text output names the total, the rule and file, and the price date."""
    # 3 Aria tasks × (0.30 + 200 × 0.03) = 3 × 6.30 = $18.90
    result = estimate("--backend", ARIA, "--shots", "200", "--circuits", "3")
    assert result.exit_code == 0, result.output
    assert "$18.9 " in result.output
    assert "prices.yaml" in result.output and "braket-ionq" in result.output
    assert "2026-11-01" in result.output


def test_cost_estimate_json():
    """--json prints one object with usd as a string and the price date."""
    # SV1 one task at the 3 s minimum: 3 × 0.075 / 60 = $0.00375
    result = estimate("--backend", SV1, "--shots", "100", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["usd"] == "0.00375" and out["priced"] is True
    assert out["price_date"] == "2026-11-01"


def test_cost_estimate_with_prices_file(tmp_path):
    """--prices uses an override file and reports it as the source."""
    path = tmp_path / "p.yaml"
    path.write_text(
        "version: t\nprice_date: 2027-01-02\nrules:\n"
        "  - {name: ibm, provider: qiskit, match: ['ibm_*'], model: per_time,"
        " per_second_usd: '1', estimate_seconds: '10'}\n"
    )
    # 10 s estimated × $1 = $10
    result = estimate(
        "--backend", "qiskit:ibm_torino", "--shots", "10", "--prices", str(path), "--json"
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["usd"] == "10" and str(path) in out["source"] and out["price_date"] == "2027-01-02"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--backend", "nonsense", "--shots", "10"], "backend: 'nonsense' is not a backend spec"),
        (
            ["--backend", ARIA, "--shots", "10", "--prices", "/nonexistent/p.yaml"],
            "p.yaml: cannot read",
        ),
    ],
)
def test_cost_estimate_errors_exit_2(args, message):
    """A bad spec or pricing file exits 2 with the reason on stderr."""
    result = estimate(*args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_cost_estimate_unpriced_warns():
    """An unpriced device prints $0 and a warning, and exits 0."""
    result = estimate(
        "--backend", "braket:arn:aws:braket:us-east-1::device/qpu/acme/X-1", "--shots", "10"
    )
    assert result.exit_code == 0
    assert "$0 " in result.stdout and "warning: no price configured" in result.stderr
