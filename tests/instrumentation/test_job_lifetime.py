"""Job spans nobody sees finish end after a maximum lifetime as unobserved; memory stays flat."""

from __future__ import annotations

import gc
import time
import tracemalloc

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import NoOpTracerProvider

from qobserve.instrumentation._job import (
    DEFAULT_MAX_JOB_LIFETIME,
    DEFAULT_MAX_OPEN_JOBS,
    JobTelemetry,
)
from qobserve.instrumentation.braket._aws import AwsTasks
from qobserve.semconv import JOB_UNOBSERVED, Attr, JobStatus, SpanEvent


def test_defaults_are_a_week_and_ten_thousand_jobs(monkeypatch):
    """Seven days and 10,000 open jobs unless QOBSERVE_JOB_MAX_LIFETIME / QOBSERVE_MAX_OPEN_JOBS say otherwise."""
    assert (DEFAULT_MAX_JOB_LIFETIME, DEFAULT_MAX_OPEN_JOBS) == (604800.0, 10_000)
    monkeypatch.setenv("QOBSERVE_JOB_MAX_LIFETIME", "2h")
    monkeypatch.setenv("QOBSERVE_MAX_OPEN_JOBS", "50")
    t = JobTelemetry(TracerProvider(), MeterProvider())
    assert (t.open_jobs.max_lifetime, t.open_jobs.max_open) == (7200.0, 50)


def test_overdue_span_ends_as_unobserved_without_metrics(otel):
    """A job started two minutes ago with a one-minute lifetime ends unobserved at the next start."""
    t = JobTelemetry(**otel.providers, max_job_lifetime=60)
    old = t.start("braket", "SV1", "run", shots=10, start_time=time.time() - 120)
    t.start("braket", "SV1", "run", shots=10)
    (span,) = otel.spans()
    assert span.attributes[Attr.JOB_STATUS] == JOB_UNOBSERVED == "unobserved"
    assert span.attributes[Attr.JOB_MAX_LIFETIME] == 60.0
    assert [e.name for e in span.events] == [SpanEvent.UNOBSERVED]
    assert otel.points("quantum.jobs") == []  # its end is unknown: not a completed or failed job
    assert len(t.open_jobs) == 1
    # Seen finishing after all: the metrics count it, the ended span is left alone.
    assert old.finish(JobStatus.COMPLETED) is True
    assert otel.value("quantum.jobs", **{Attr.JOB_STATUS: "completed"}) == 1
    assert len(otel.spans()) == 1


def test_collection_ends_overdue_spans_even_when_no_job_starts(otel):
    """A metric collection checks the lifetime too (a process that stopped submitting)."""
    t = JobTelemetry(**otel.providers, max_job_lifetime=0.05)
    t.start("qiskit", "ibm_kyiv", "sampler")
    time.sleep(0.1)
    otel.points("quantum.budget.limit_usd")  # a scrape
    assert [s.attributes[Attr.JOB_STATUS] for s in otel.spans()] == ["unobserved"]


def test_memory_stays_flat_over_100000_unobserved_jobs():
    """100,000 jobs never seen to finish: at most max_open_jobs stay open; memory does not grow."""
    # Non-recording spans keep this fast; the registries under test are the same.
    t = JobTelemetry(NoOpTracerProvider(), MeterProvider(), max_open_jobs=1000)
    tasks = AwsTasks(t)
    arn = iter(range(10**6))

    def create(**kwargs):
        return f"arn:aws:braket:us-east-1:1:quantum-task/{next(arn)}"

    def submit(n: int) -> None:
        for _ in range(n):
            tasks.wrap_create(
                create,
                None,
                (),
                {"deviceArn": "arn:aws:braket:::device/qpu/ionq/Aria-1", "shots": 10},
            )

    submit(85_000)  # well past the bound (tracing all of it would take half a minute)
    assert len(t.open_jobs) <= 1000 and len(tasks) <= 1001
    tracemalloc.start()
    submit(3_000)  # every record still kept from here on was allocated while traced
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    submit(12_000)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert len(t.open_jobs) <= 1000 and len(tasks) <= 1001
    # Kept, 12,000 more jobs would add ~25 MB (about 2 kB each); bounded, the size stays
    # put: under 200 kB, i.e. a leak of more than ~16 bytes per job would fail this.
    assert abs(after - before) < 200_000, (before, after)
