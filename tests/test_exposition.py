"""/metrics shows each new counter and histogram series at 0 first, so rate() sees its first event."""

from __future__ import annotations

import pytest
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from qobserve.exposition import ZeroFirstCollector
from qobserve.instrumentation._job import JobTelemetry
from qobserve.semconv import JobStatus


def _scrape(registry) -> dict[tuple, float]:
    text = generate_latest(registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _labels(**labels) -> tuple:
    return tuple(sorted(labels.items()))


@pytest.fixture
def served():
    """(registry the reader fills, registry /metrics would serve, meter provider)."""
    inner = CollectorRegistry()
    provider = MeterProvider(
        metric_readers=[PrometheusMetricReader(scope_info_enabled=False, registry=inner)]
    )
    served = CollectorRegistry(auto_describe=False)
    served.register(ZeroFirstCollector(inner))
    yield inner, served, provider
    provider.shutdown()


def test_first_failure_of_a_new_kind_reads_zero_then_one(served):
    """A backend's first failure with a new error_type is exposed 0, then 1; known series at once."""
    inner, served, provider = served
    jobs = JobTelemetry(meter_provider=provider)
    base = {"quantum_provider": "braket", "quantum_backend": "SV1"}
    ok = _labels(**base, quantum_job_status="completed", error_type="")
    failed = _labels(**base, quantum_job_status="failed", error_type="NewKindError")

    jobs.start("braket", "SV1", "run").finish(JobStatus.COMPLETED)
    assert _scrape(served)[("quantum_jobs_total", ok)] == 1  # a process's first scrape: as is
    jobs.start("braket", "SV1", "run").finish(JobStatus.COMPLETED)
    jobs.start("braket", "SV1", "run").finish(JobStatus.FAILED, error="NewKindError")
    second = _scrape(served)
    assert second[("quantum_jobs_total", ok)] == 2  # known series: its value
    assert second[("quantum_jobs_total", failed)] == 0  # new series: 0 first ...
    assert _scrape(served)[("quantum_jobs_total", failed)] == 1  # ... then its value
    # The histogram's new series start at 0 as well; reading the inner registry is unchanged.
    duration = _labels(**base, quantum_job_status="failed")
    assert second[("quantum_job_duration_seconds_count", duration)] == 0
    assert _scrape(inner)[("quantum_jobs_total", failed)] == 1


def test_gauges_are_served_as_they_are(served):
    """Gauges carry states, not events: their first scrape shows the value."""
    _, served, provider = served
    JobTelemetry(meter_provider=provider)["quantum_executor_breaker_state"].set(
        2, {"quantum_provider": "qiskit", "quantum_backend": "aer_simulator"}
    )
    key = (
        "quantum_executor_breaker_state",
        _labels(quantum_provider="qiskit", quantum_backend="aer_simulator"),
    )
    assert _scrape(served)[key] == 2
