"""The SLO spec rejects bad input with errors naming the field; burn-rate maths is exact."""

from __future__ import annotations

import copy
from fractions import Fraction

import pytest

from qobserve._validation import duration_ms
from qobserve.slo.rules import burn_windows
from qobserve.slo.spec import SpecError, parse_spec
from qobserve.slo.windows import format_duration, format_number

BASE = {
    "apiVersion": "qobserve/v1",
    "service": "qobserve",
    "slos": [
        {
            "name": "job-success",
            "objective": 95,
            "sli": {"kind": "job_success"},
            "alerting": {"name": "QuantumJobSuccessBudgetBurn"},
        }
    ],
}


def _spec(**slo_changes: object) -> dict:
    data = copy.deepcopy(BASE)
    data["slos"][0].update(slo_changes)
    return data


@pytest.mark.parametrize(
    ("data", "field", "hint"),
    [
        (_spec(objective=100), "slos[0]", "objective must be in (0, 100)"),
        (_spec(objective=0), "slos[0]", "objective must be in (0, 100)"),
        (_spec(sli={"kind": "qubit_magic"}), "slos[0].sli", "qubit_magic"),
        (
            _spec(
                sli={
                    "kind": "events",
                    "error_query": "rate(made_up_total[{{.window}}])",
                    "total_query": "rate(quantum_jobs_total[{{.window}}])",
                }
            ),
            "slos[0].sli.events.error_query",
            "unknown metric 'made_up_total'",
        ),
        (
            _spec(
                sli={
                    "kind": "events",
                    "error_query": "rate(quantum_jobs_total[5m])",
                    "total_query": "rate(quantum_jobs_total[{{.window}}])",
                }
            ),
            "slos[0].sli.events.error_query",
            "{{.window}}",
        ),
        (
            _spec(sli={"kind": "job_latency", "threshold": 42}),
            "slos[0].sli.job_latency.threshold",
            "not a bucket bound",
        ),
        (
            _spec(sli={"kind": "job_success", "group_by": ["quantum_qubits"]}),
            "slos[0].sli.job_success",
            "group_by: label 'quantum_qubits'",
        ),
        (_spec(period="2d"), "slos[0].period", "shorter than the longest alert window 3d"),
        (_spec(period="thirty days"), "slos[0].period", "not a duration"),
        (
            _spec(
                sli={"kind": "fidelity", "floor": 0.99},
                alerting={"name": "QuantumFidelityBudgetBurn", "min_events": 5},
            ),
            "slos[0]",
            "alerting.min_events",
        ),
        (_spec(alerting={"name": "lowercase"}), "slos[0].alerting.name", "pattern"),
        (
            _spec(objective=90),
            "slos[0].objective",
            "page tier (14.4x over 1h) needs an error ratio of 1.44",
        ),
        (_spec(colour="blue"), "slos[0].colour", "unknown key"),
        ({**BASE, "slos": BASE["slos"] * 2}, "slos[1].name", "duplicate SLO name 'job-success'"),
        ({**BASE, "apiVersion": "sloth.slok.dev/v1"}, "apiVersion", "qobserve/v1"),
        (
            {**BASE, "alerts": {"telemetry_absent": {"metrics": ["nope_total"]}}},
            "alerts.telemetry_absent.metrics",
            "unknown metric 'nope_total'",
        ),
        (
            {**BASE, "windows": {"time_compression": 7}},
            "windows.time_compression",
            "does not divide",
        ),
    ],
)
def test_bad_spec_names_field(data: dict, field: str, hint: str) -> None:
    """Each invalid spec fails with a SpecError naming the offending field and the problem."""
    with pytest.raises(SpecError) as info:
        parse_spec(data)
    message = str(info.value)
    assert f"{field}" in message and hint in message, message


def test_good_spec_parses() -> None:
    """The minimal spec is valid and keeps its objective exact (95 → 19/20)."""
    spec = parse_spec(BASE)
    assert spec.slos[0].objective_ratio == Fraction(19, 20)


@pytest.mark.parametrize(
    ("period", "objective", "expected"),
    [
        # SRE Workbook table 5-8 for 30 days: factors 14.4, 6, 3, 1.
        ("30d", 99.9, [("14.4", "0.0144"), ("6", "0.006"), ("3", "0.003"), ("1", "0.001")]),
        # 28 days: 2 % × 28d / 1h = 13.44; 5 % × 28d / 6h = 5.6; 10 % × 28d / 1d = 2.8;
        # 10 % × 28d / 3d = 0.9333… (non-terminating: 15 significant digits).
        (
            "28d",
            95,
            [
                ("13.44", "0.672"),
                ("5.6", "0.28"),
                ("2.8", "0.14"),
                ("0.933333333333333", "0.0466666666666667"),
            ],
        ),
    ],
)
def test_burn_factors_are_derived_exactly(
    period: str, objective: float, expected: list[tuple[str, str]]
) -> None:
    """Factors come from budget percent × period / long window and print without float noise."""
    spec = parse_spec(_spec(period=period, objective=objective))
    got = [
        (format_number(w.factor), format_number(w.threshold))
        for w in burn_windows(spec, spec.slos[0])
    ]
    assert got == expected


def test_time_compression_scales_windows_not_factors() -> None:
    """time_compression 60 turns 1h/5m into 1m/5s and keeps the 14.4 factor."""
    spec = parse_spec({**_spec(), "windows": {"time_compression": 60}})
    first = burn_windows(spec, spec.slos[0])[0]
    assert (first.long, first.short, format_number(first.factor)) == ("1m", "5s", "14.4")


@pytest.mark.parametrize("text", ["30d", "1h30m", "5s", "500ms", "2h48m", "1d12h"])
def test_duration_round_trip(text: str) -> None:
    """Durations parse to milliseconds and format back to the same shortest text."""
    assert format_duration(duration_ms(text)) == text
