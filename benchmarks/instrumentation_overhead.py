"""Per-job cost of the Qiskit instrumentation versus the OpenTelemetry work it must do.

Runs the same tiny job (a Bell circuit, 1 shot, ``AerSimulator.run`` + ``result()``)
bare (wrapt's ``__wrapped__`` originals) and instrumented, interleaved job by
job in one process, after a warm-up, and takes medians. Each job gets a FRESH
circuit object, built outside the timed region, as users submit them: a cache
keyed on the circuit object would otherwise hide per-circuit work.
``OMP_NUM_THREADS=1`` is set before Aer loads.
Aer's job executor is replaced by an inline one so each job runs in the calling
thread: on a shared machine a thread hand-off costs a scheduler tick
(milliseconds) and would drown the microseconds measured here. Times are the
thread's CPU time, which preemption by other processes does not inflate.

    overhead = median(instrumented job) − median(bare job)
    floor    = median(bare job with the raw OTel calls in place) − median(bare job)
               (the calls one job records, made directly where the instrumentation
               makes them: the span with its attributes and the shots counter
               before submission; the end attributes, terminal event, jobs
               counter and duration histograms after result())
    ratio    = overhead / floor      (goal ≤ 1.25)

Measured in place, the floor carries the same interaction with the simulator
(caches evicted between the calls and Aer's own Python work) as the
instrumentation does. The raw calls are also timed on their own ("floor"), and
the same wrappers around a real AerJob with a no-op payload ("isolated"): that
ratio is the instrumentation's own work against the raw calls on their own.

Both use the same SDK providers (a TracerProvider with a no-op processor, a
MeterProvider with an in-memory reader), so exporter costs cancel out.

The ratio is reported through ``benchmarks/_report.goal``. Run:
``python benchmarks/instrumentation_overhead.py [--jobs N] [--quick]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from concurrent.futures import Executor, Future
from pathlib import Path

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.trace import SpanKind

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._report import goal

os.environ["OMP_NUM_THREADS"] = "1"  # before Aer loads: one thread on both sides
GOAL = 1.25

# CPU time of this thread: with jobs run inline, it is exactly the work done, and
# preemption by other processes on a shared machine does not count.
_clock = time.thread_time


class _Discard(SpanProcessor):
    """Ends spans like an exporting processor would, without the export."""


class _Inline(Executor):
    """Runs each submitted function at once in the caller's thread."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # delivered through the future, like a pool would
            future.set_exception(exc)
        return future


def _providers():
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(_Discard())
    return tracer_provider, MeterProvider(metric_readers=[InMemoryMetricReader()])


def _bell():
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure_all()
    return qc


def _bare_job(backend, circuit) -> None:
    """The same job through the original, unwrapped methods (wrapt keeps them)."""
    from qiskit_aer.jobs.aerjob import AerJob

    job = type(backend).run.__wrapped__(backend, circuit, shots=1)
    AerJob.result.__wrapped__(job)


def _job(backend, circuit) -> None:
    backend.run(circuit, shots=1).result()


def _raw_otel(tracer_provider, meter_provider):
    """(before, after): the OTel calls a completed local job needs, made directly.

    ``before()`` opens the span with its attributes and counts the shots (what
    is known at submission); ``after(span, job_id)`` records the rest.
    """
    from qobserve.instrumentation._job import JobTelemetry

    t = JobTelemetry(tracer_provider, meter_provider)  # the same instruments
    tracer = t.tracer
    shots, jobs = t["quantum_job_shots_total"], t["quantum_jobs_total"]
    duration = t["quantum_job_duration_seconds"]
    execution = t["quantum_job_execution_duration_seconds"]
    labels = {"quantum.provider": "qiskit", "quantum.backend": "aer_simulator"}
    done = {**labels, "quantum.job.status": "completed"}
    counted = {**done, "error.type": ""}

    def before():
        span = tracer.start_span(
            "qiskit aer_simulator run",
            kind=SpanKind.CLIENT,
            attributes={
                **labels,
                "quantum.job.operation": "run",
                "quantum.job.shots": 1,
                "quantum.circuit.qubits": 2,
                "quantum.circuit.depth": 3,
                "quantum.circuit.count": 1,
            },
        )
        shots.add(1, labels)
        return span

    def after(span, job_id: str) -> None:
        span.set_attributes(  # what is known at the end, in one call
            {
                "quantum.job.id": job_id,
                "quantum.job.status": "completed",
                "quantum.job.cost_usd": 0.0,
            }
        )
        span.add_event("completed")
        jobs.add(1, counted)
        duration.record(0.001, done)
        execution.record(0.001, labels)
        span.end()

    return before, after


def _floor(before, after):
    """The raw OTel calls of one job on their own, no job."""

    def record() -> None:
        after(before(), "0f5c2a6e-1b1d-4e0b-9a53-8f2d0c1e7a11")

    return record


def _raw_otel_job(before, after):
    """The bare job with the raw OTel calls in place: before submission and after result()."""
    from qiskit_aer.jobs.aerjob import AerJob

    def run(backend, circuit) -> None:
        span = before()
        job = type(backend).run.__wrapped__(backend, circuit, shots=1)
        AerJob.result.__wrapped__(job)
        after(span, job.job_id())

    return run


def _isolated(tracer_provider, meter_provider, backend):
    """(bare, instrumented) callables around a real AerJob whose payload does nothing.

    The same wrappers the instrumentor installs, called directly: this isolates
    the instrumentation's own cost from what its allocations do to Aer's caches.
    """
    from qiskit_aer.jobs.aerjob import AerJob

    from qobserve.instrumentation._job import JobTelemetry
    from qobserve.instrumentation.qiskit import _observe, _submit
    from qobserve.instrumentation.qiskit._state import State

    class _Result:
        success = True

    result, inline = _Result(), _Inline()
    state = State(JobTelemetry(tracer_provider, meter_provider))
    submit = _submit.submit(state, _submit.describe_backend_run)
    observe = _observe.observe_local(state, result=True)
    original_result = AerJob.result.__wrapped__

    def run(run_input, shots=1):
        job = AerJob(backend, "job-0001", lambda *a: result, circuits=[run_input], executor=inline)
        job.submit()
        return job

    def bare(circuit) -> None:
        original_result(run(circuit, shots=1))

    def instrumented(circuit) -> None:
        job = submit(run, backend, (circuit,), {"shots": 1})
        observe(lambda: original_result(job), job, (), {})

    return bare, instrumented


def _timed(fn, *args) -> float:
    t0 = _clock()
    fn(*args)
    return _clock() - t0


def _untimed(fn, *args) -> float:
    """The floor takes no circuit."""
    return _timed(fn)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=3000, help="jobs per mode")
    parser.add_argument("--quick", action="store_true", help="a few hundred jobs, not judged")
    args = parser.parse_args()
    jobs = 200 if args.quick else args.jobs
    warnings.simplefilter("ignore")
    from qiskit_aer import AerSimulator

    from qobserve.instrumentation.qiskit import QiskitInstrumentor

    tracer_provider, meter_provider = _providers()
    from qiskit_aer.jobs import utils as aer_job_utils

    aer_job_utils.DEFAULT_EXECUTOR = _Inline()  # AerJob reads it at construction
    backend = AerSimulator()
    QiskitInstrumentor().instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    before, after = _raw_otel(tracer_provider, meter_provider)
    floor, raw_job = _floor(before, after), _raw_otel_job(before, after)
    iso_bare, iso_inst = _isolated(tracer_provider, meter_provider, backend)
    modes = {
        "bare": (_timed, lambda c: _bare_job(backend, c)),
        "raw OTel in place": (_timed, lambda c: raw_job(backend, c)),
        "instrumented": (_timed, lambda c: _job(backend, c)),
        "floor": (_untimed, floor),
        "isolated bare": (_timed, iso_bare),
        "isolated instr.": (_timed, iso_inst),
    }
    for _ in range(50 if args.quick else 200):  # warm up Aer, the OTel SDK, the price memo
        for timer, fn in modes.values():
            timer(fn, _bell())
    times: dict[str, list[float]] = {name: [] for name in modes}
    # Interleaved job by job, so drift in machine load hits every mode alike.
    for _ in range(jobs):
        for name, (timer, fn) in modes.items():
            times[name].append(timer(fn, _bell()))
    QiskitInstrumentor().uninstrument()

    med = {name: statistics.median(t) for name, t in times.items()}
    overhead = med["instrumented"] - med["bare"]
    in_place = med["raw OTel in place"] - med["bare"]
    isolated = med["isolated instr."] - med["isolated bare"]
    ratio = overhead / in_place
    print(f"jobs per mode                 {jobs}  (fresh circuit per job)")
    for name, value in med.items():
        print(f"{name + ' (median)':29} {value * 1e6:9.1f} µs")
    print(f"raw OTel work in place        {in_place * 1e6:9.1f} µs  (the floor)")
    print(f"overhead per Aer job          {overhead * 1e6:9.1f} µs  = {ratio:.2f}x floor")
    print(
        f"overhead, isolated wrappers   {isolated * 1e6:9.1f} µs  = "
        f"{isolated / med['floor']:.2f}x the raw OTel calls on their own"
    )
    goal(
        "qiskit instrumentation per job / raw OTel work",
        f"{ratio:.2f}x",
        f"<= {GOAL}x",
        None if args.quick else ratio <= GOAL,
    )


if __name__ == "__main__":
    main()
