"""The demo's summary explains every number a newcomer would read as wrong."""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

import pytest
from prometheus_client.samples import Sample
from rich.console import Console

from qobserve.demo.summary import sli_table
from qobserve.semconv import metric
from qobserve.stack.view import budget_left

NOW = 2_000_000_000.0
DAY = 86400.0


def _registry(*rows: tuple[str, str, float, float | None]):
    """A registry stand-in: ``(provider, backend, cost, calibration age in days)`` per row."""
    samples = []
    for provider, backend, cost, age_days in rows:
        labels = {"quantum_provider": provider, "quantum_backend": backend}
        samples.append(
            Sample(
                metric("quantum_jobs_total").prom_name,
                {**labels, "quantum_job_status": "completed"},
                4.0,
            )
        )
        samples.append(Sample(metric("quantum_job_cost_usd_total").prom_name, labels, cost))
        if age_days is not None:
            samples.append(
                Sample(
                    metric("quantum_backend_calibration_timestamp_seconds").prom_name,
                    labels,
                    NOW - age_days * DAY,
                )
            )
    return SimpleNamespace(collect=lambda: [SimpleNamespace(samples=samples)])


def _render(table) -> str:
    console = Console(file=io.StringIO(), width=200, record=True)
    console.print(table)
    return console.export_text()


def _flat(text: str) -> str:
    """The text with the caption's line wrapping undone."""
    return " ".join(text.split())


def _row(text: str, backend: str) -> str:
    return next(line for line in text.splitlines() if line.strip().startswith(backend))


def test_simulated_prices_are_labelled():
    """A priced row carries a mark whose footnote says the price is simulated."""
    text = _render(
        sli_table(
            _registry(("qiskit", "primary", 3.6, None), ("qiskit", "fake_manila", 0.0, None)), NOW
        )
    )
    assert "$3.60*" in _row(text, "qiskit:primary")
    assert "$0.00*" not in _row(text, "qiskit:fake_manila")
    assert "* simulated price: local simulators cost $0" in _flat(text)


def test_no_price_footnote_without_prices():
    """A summary where everything is free has no price footnote to puzzle over."""
    text = _render(sli_table(_registry(("qiskit", "fake_manila", 0.0, None)), NOW))
    assert "simulated price" not in text


def test_gameday_backends_are_labelled():
    """Rows named after game-day roles are marked and say which simulator they ran on."""
    gameday = {"qiskit:primary": "qiskit:aer", "braket:fallback": "braket:local"}
    text = _render(
        sli_table(
            _registry(
                ("qiskit", "primary", 1.0, None),
                ("braket", "fallback", 1.0, None),
                ("braket", "braket_sv", 0.0, None),
            ),
            NOW,
            gameday=gameday,
        )
    )
    assert "†" in _row(text, "qiskit:primary") and "†" in _row(text, "braket:fallback")
    assert "†" not in _row(text, "braket:braket_sv")
    assert re.search(r"† game-day backend.*qiskit:primary runs on qiskit:aer", _flat(text))
    assert "braket:fallback runs on braket:local" in _flat(text)


@pytest.mark.parametrize(("age_days", "explained"), [(918, True), (29, False)])
def test_bundled_calibration_ages_are_explained(age_days, explained):
    """A calibration older than 30 days gets a footnote about bundled calibration dates."""
    text = _render(sli_table(_registry(("qiskit", "fake_manila", 0.0, age_days)), NOW))
    assert (f"{age_days}d‡" in _row(text, "qiskit:fake_manila")) is explained
    assert ("‡ bundled calibration: fake and virtual backends" in _flat(text)) is explained


@pytest.mark.parametrize(
    ("remaining", "shown"),
    [(-12.197, "over budget by 1219.7%"), (0.25, "25.0%"), (0.0, "0.0%"), (None, "–")],
)
def test_budget_left_never_shows_a_bare_negative_percentage(remaining, shown):
    """The stack view's budget-left cell says "over budget by" instead of a minus sign."""
    assert budget_left(remaining) == shown
    assert "-" not in budget_left(remaining)
