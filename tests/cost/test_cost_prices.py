"""Prices against hand-computed numbers, ARN matching, overrides and offline estimates."""

from __future__ import annotations

import re
import textwrap
from datetime import date
from decimal import Decimal

import pytest

from qobserve.cost import PricingError, estimate, job_cost, load_table, use_prices
from qobserve.cost.table import builtin_table

ARIA_ARN = "arn:aws:braket:us-east-1::device/qpu/ionq/Aria-1"
SV1_ARN = "arn:aws:braket:::device/quantum-simulator/amazon/sv1"


@pytest.mark.parametrize(
    ("provider", "backend", "kwargs", "expected"),
    [
        # IonQ Aria, 100 shots: $0.30 task + 100 × $0.03 = $3.30
        ("braket", "Aria-1", {"shots": 100}, "3.30"),
        # same device named by ARN
        ("braket", ARIA_ARN, {"shots": 100}, "3.30"),
        # IQM Garnet, 2 tasks × 1000 shots: 2 × (0.30 + 1000 × 0.00145) = 2 × 1.75 = $3.50
        ("braket", "Garnet", {"shots": 1000, "tasks": 2}, "3.50"),
        # Rigetti Ankaa-3, 500 shots: 0.30 + 500 × 0.0009 = $0.75
        ("braket", "Ankaa-3", {"shots": 500}, "0.75"),
        # QuEra Aquila, 100 shots: 0.30 + 100 × 0.01 = $1.30
        ("braket", "Aquila", {"shots": 100}, "1.30"),
        # SV1 ran 1.2 s, under the 3 s minimum: 3 s × $0.075/60 s = $0.00375
        ("braket", "SV1", {"shots": 1000, "billed_seconds": 1.2}, "0.00375"),
        # DM1 ran 12.5 s: 12.5 × 0.075 / 60 = $0.015625
        ("braket", "DM1", {"shots": 1000, "billed_seconds": 12.5}, "0.015625"),
        # TN1 ran 4.0001 s → billed 4.001 s (ms, rounded up): 4.001 × 0.275 / 60 = 0.018337916666… → $0.018337917
        ("braket", "TN1", {"shots": 10, "billed_seconds": 4.0001}, "0.018337917"),
        # IBM job that used 7 quantum seconds: 7 × $1.60 = $11.20
        ("qiskit", "ibm_brisbane", {"shots": 4000, "billed_seconds": 7}, "11.20"),
        # failed IonQ task: Braket charges neither task nor shot fee → $0
        ("braket", "Aria-1", {"shots": 100, "status": "failed"}, "0"),
        # cancelled Garnet task → $0
        ("braket", "Garnet", {"shots": 100, "status": "cancelled"}, "0"),
        # failed SV1 task that ran 0.5 s is billed the 3 s minimum: $0.00375
        ("braket", "SV1", {"shots": 10, "status": "failed", "billed_seconds": 0.5}, "0.00375"),
        # failed IBM job that used 2.5 quantum seconds: 2.5 × 1.60 = $4.00
        ("qiskit", "ibm_kyiv", {"shots": 10, "status": "failed", "billed_seconds": 2.5}, "4.00"),
        # cancelled IBM job before it ran (no usage reported) → $0
        ("qiskit", "ibm_kyiv", {"shots": 10, "status": "cancelled"}, "0"),
        # local simulators and fake/virtual devices are free
        ("qiskit", "fake_manila", {"shots": 1000}, "0"),
        ("qiskit", "aer_simulator", {"shots": 1000}, "0"),
        ("braket", "braket_sv", {"shots": 1000}, "0"),
        ("braket", "braket_dm", {"shots": 1000}, "0"),
        ("cirq", "cirq_simulator", {"shots": 1000}, "0"),
    ],
)
def test_job_cost_matches_hand_computed_price(provider, backend, kwargs, expected):
    """job_cost reproduces the price computed by hand in the parameter comment."""
    cost = job_cost(provider, backend, **kwargs)
    assert isinstance(cost, Decimal)
    assert cost == Decimal(expected)


def test_unpriced_google_costs_zero_with_a_warning(caplog):
    """A Google device has no default price: $0 and a warning naming the backend."""
    assert job_cost("cirq", "rainbow_unpriced_test", shots=10) == 0
    assert "no price configured for cirq backend 'rainbow_unpriced_test'" in caplog.text


@pytest.mark.parametrize(
    ("spec", "shots", "circuits", "expected", "rule"),
    [
        # 2 Aria tasks of 100 shots: 2 × (0.30 + 3.00) = $6.60
        (f"braket:{ARIA_ARN}", 100, 2, "6.60", "braket-ionq"),
        # 3 SV1 tasks, estimated at the 3 s minimum each: 9 s × 0.075/60 = $0.01125
        (f"braket:{SV1_ARN}", 1000, 3, "0.01125", "braket-sv1"),
        # IBM: 2 s overhead + 1000 shots × 250 µs = 2.25 s × 1.60 = $3.60
        ("qiskit:ibm_brisbane", 1000, 1, "3.60", "ibm-quantum-payg"),
    ],
)
def test_estimate_matches_hand_computed_price(spec, shots, circuits, expected, rule):
    """estimate() gives the hand-computed price, the rule used and the table date."""
    est = estimate(spec, shots, circuits)
    assert est.usd == Decimal(expected)
    assert est.priced
    assert rule in est.source and "prices.yaml" in est.source
    assert est.price_date == date(2026, 11, 1)


@pytest.mark.parametrize(
    "spec",
    [
        "qiskit:fake_manila",
        "qiskit:aer",
        "braket:local",
        "cirq:simulator",
        "cirq_google:willow_pink",
    ],
)
def test_estimate_of_local_and_virtual_backends_is_zero(spec):
    """Local simulators and emulated devices (fake backends, virtual engine) cost nothing."""
    est = estimate(spec, 1000, 5)
    assert est.usd == 0 and est.priced


def test_estimate_of_unknown_cloud_device_is_flagged_unpriced():
    """A Braket device no rule prices gives $0 with priced=False, never a guess."""
    est = estimate("braket:arn:aws:braket:us-east-1::device/qpu/acme/Mystery-1", 100)
    assert est.usd == 0 and not est.priced
    assert "no price configured" in est.breakdown


def test_estimate_is_offline(monkeypatch):
    """Estimating a Braket QPU builds no AwsDevice and makes no AWS call."""
    import botocore.client
    from braket.aws import AwsDevice

    def boom(*a, **k):
        raise AssertionError("estimate must not touch AWS")

    monkeypatch.setattr(AwsDevice, "__init__", boom)
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", boom)
    assert estimate(f"braket:{ARIA_ARN}", 10).usd == Decimal("0.60")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"shots": -1}, "shots"),
        ({"shots": 1, "tasks": 0}, "tasks"),
        ({"shots": 1, "status": "done"}, "status"),
        ({"shots": 1, "billed_seconds": -2.0}, "billed_seconds"),
        ({"shots": 1, "billed_seconds": float("nan")}, "billed_seconds"),
    ],
)
def test_job_cost_rejects_bad_arguments_naming_the_field(kwargs, field):
    """Bad arguments raise ValueError naming the argument."""
    with pytest.raises(ValueError, match=f"^{field}:"):
        job_cost("braket", "SV1", **kwargs)


def _write(tmp_path, text: str):
    path = tmp_path / "prices.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_override_file_extends_builtin_and_wins(tmp_path, monkeypatch):
    """An override with extends: builtin prices Google and re-prices Aria, keeping the rest."""
    path = _write(
        tmp_path,
        """\
        version: team-1
        price_date: 2026-12-01
        extends: builtin
        rules:
          - {name: google, provider: cirq, match: [willow_*], model: per_time, per_second_usd: "0.5"}
          - {name: aria-discount, provider: braket, match: [Aria-*], model: per_shot,
             per_task_usd: "0.30", per_shot_usd: "0.02", on_failed: task_fee}
        """,
    )
    monkeypatch.setenv("QOBSERVE_PRICES", str(path))
    use_prices(None)
    # willow_pink, 4 billed seconds × $0.5 = $2.00
    assert job_cost("cirq", "willow_pink", shots=10, billed_seconds=4) == Decimal("2.00")
    # Aria at the override price: 0.30 + 100 × 0.02 = $2.30; failed pays the task fee $0.30
    assert job_cost("braket", "Aria-1", shots=100) == Decimal("2.30")
    assert job_cost("braket", "Aria-1", shots=100, status="failed") == Decimal("0.30")
    # built-in rules are still there: Garnet 0.30 + 100 × 0.00145 = $0.445
    assert job_cost("braket", "Garnet", shots=100) == Decimal("0.445")
    est = estimate(f"braket:{ARIA_ARN}", 100)
    assert str(path) in est.source and est.price_date == date(2026, 12, 1)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            "version: x\nprice_date: 2026-01-01\nrules:\n  - {name: a, provider: braket, match: [X], "
            "model: per_shot, per_shot_usd: -1}\n",
            "rules[0].per_shot_usd",
        ),
        (
            "version: x\nprice_date: 2026-01-01\nrules:\n  - {name: a, provider: braket, match: [X], "
            "model: per_shot, per_shot_usd: abc}\n",
            "rules[0].per_shot_usd",
        ),
        (
            "version: x\nprice_date: 2026-01-01\nrules:\n  - {name: a, provider: ibm, match: [X], "
            "model: free}\n",
            "rules[0].provider",
        ),
        (
            "version: x\nprice_date: 2026-01-01\nrules:\n  - {name: a, provider: qiskit, match: [X], "
            "model: per_time}\n",
            "per_second_usd or per_minute_usd",
        ),
        (
            "version: x\nprice_date: 2026-01-01\nrules:\n  - {name: a, provider: qiskit, match: [X], "
            "model: free, per_shot_us: 1}\n",
            "rules[0].per_shot_us",
        ),
        (
            "version: x\nprice_date: 2026-01-01\nrules:\n  - {name: a, provider: braket, match: [X], "
            "model: per_shot, on_failed: maybe}\n",
            "rules[0].on_failed",
        ),
        ("version: x\nprice_date: not-a-date\nrules: []\n", "price_date"),
        ("price_date: 2026-01-01\nrules: []\n", "version"),
        ("- just\n- a list\n", "expected a pricing table: a mapping"),
        ("version: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_override_file_names_the_field(tmp_path, body, field):
    """A bad pricing file raises PricingError naming the file and the field."""
    path = tmp_path / "bad.yaml"
    path.write_text(body)
    with pytest.raises(PricingError) as info:
        load_table(path)
    assert field in str(info.value) and str(path) in str(info.value)


def test_missing_override_file_is_a_clear_error(tmp_path):
    """A pricing path that does not exist names the path."""
    with pytest.raises(PricingError, match=re.escape("nope.yaml: cannot read")):
        use_prices(tmp_path / "nope.yaml")


def test_builtin_table_is_dated_and_versioned():
    """The shipped table loads, carries a version and a date, and prices every Braket QPU family."""
    table = builtin_table()
    assert table.version and table.price_date == date(2026, 11, 1)
    for name in ("Aria-1", "Forte-1", "Garnet", "Ankaa-3", "Aquila", "SV1", "DM1", "TN1"):
        assert table.rule_for("braket", name) is not None, name
