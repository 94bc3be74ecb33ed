"""Resilient executor: overhead per job, and success rate under transient faults.

Run: ``python benchmarks/executor_overhead.py [--jobs 3000] [--fault-jobs 1000] [--quick]
[--profile]``

1. Overhead (goal: ``ResilientExecutor.run`` ≤ 1.05× the bare submission it
   wraps). The same Bell circuit, 100 shots, on one AerSimulator: submitted bare
   (``backend.run(qc).result().get_counts()``) and through ``run`` with default
   policies and no faults. Two executors are timed, one with OpenTelemetry SDK
   providers configured the way users run it (a TracerProvider with a
   BatchSpanProcessor whose exporter drops the batch, a MeterProvider with a
   reader) and one without providers (no-op API). A fourth mode wraps the bare
   job in one SDK span with the job span's attributes (start, make current,
   end): the least the executor's contract span costs, printed for reference.
   Method: the four modes interleaved job by job in one process, their order
   reversed every round (ABCD DCBA) so neither drift nor position favours one;
   a fresh circuit object per job, as users submit them (per-object caches do
   not help); Aer's job executor replaced by an inline one and
   ``OMP_NUM_THREADS=1``, so each job's whole cost lands in the calling
   thread, timed with that thread's CPU time (preemption by other processes on
   a shared machine does not count); warm-up first; medians compared.
   ``--profile`` writes cProfile text profiles of both executors to
   ``benchmarks/profiles/executor_{providers,no_providers}.txt``.
2. Success under 30 % transient faults: the fraction of jobs that succeed with
   max_attempts = k, against the theory for independent attempts, 1 − 0.3ᵏ
   (breaker off and an ample retry budget so only the retry policy is measured;
   a second row per k uses the default breaker and retry budget).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before Aer loads: one thread per job

import argparse
import cProfile
import pstats
import statistics
import sys
import time
import warnings
from pathlib import Path

from opentelemetry import context, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from qiskit import QuantumCircuit

sys.path.append(str(Path(__file__).resolve().parent.parent))  # PYTHONPATH comes first
from benchmarks._report import goal
from benchmarks.instrumentation_overhead import _Inline  # Aer jobs in the calling thread
from qobserve.chaos import ChaosBackend, Faults
from qobserve.executor import (
    ExecutionResult,
    ResilientExecutor,
    RetryBudget,
    RetryPolicy,
)

PROFILES = Path(__file__).resolve().parent / "profiles"
_clock = time.thread_time


class _Drop(SpanExporter):
    """An exporter that accepts every batch: the processor's work stays, the I/O goes."""

    def export(self, spans) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def bell() -> QuantumCircuit:
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc


def _providers() -> dict:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(_Drop()))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    return {"tracer_provider": tracer_provider, "meter_provider": meter_provider}


def overhead(jobs: int, shots: int, profile: bool) -> dict[str, list[float]]:
    """Thread CPU seconds of every job of each mode."""
    from qiskit_aer.jobs import utils as aer_job_utils

    aer_job_utils.DEFAULT_EXECUTOR = _Inline()  # AerJob reads it at construction
    providers = _providers()
    with_otel = ResilientExecutor(["qiskit:aer"], seed=1, **providers)
    tracer = providers["tracer_provider"].get_tracer("floor")
    without = ResilientExecutor(["qiskit:aer"], seed=1)
    backend = with_otel.backends[0].native
    without.backends[0]._native = backend  # the very same AerSimulator for every mode

    def bare(qc: QuantumCircuit) -> None:
        backend.run(qc, shots=shots).result().get_counts()

    def one_span(qc: QuantumCircuit) -> None:
        """The least OTel work a job span takes: start, make current, end (same attributes)."""
        span = tracer.start_span("job", attributes={"a": "client-id", "b": shots, "c": 2})
        token = context.attach(trace.set_span_in_context(span))
        try:
            bare(qc)
        finally:
            context.detach(token)
            span.set_attributes({"d": "qiskit", "e": "aer_simulator", "f": "job-id", "g": 0.0})
            span.end()

    modes = {
        "bare": bare,
        "bare + one span": one_span,
        "providers": lambda qc: with_otel.run(qc, shots=shots),
        "no providers": lambda qc: without.run(qc, shots=shots),
    }
    for _ in range(max(jobs // 10, 50)):  # warm-up: imports, caches, the first spans
        for run in modes.values():
            run(bell())
    times: dict[str, list[float]] = {name: [] for name in modes}
    order = list(modes.items())
    for i in range(jobs):
        for name, run in order if i % 2 == 0 else order[::-1]:
            qc = bell()  # fresh, outside the timed region
            t0 = _clock()
            run(qc)
            times[name].append(_clock() - t0)
    if profile:
        PROFILES.mkdir(exist_ok=True)
        for name, ex in (("providers", with_otel), ("no_providers", without)):
            _profile(ex, shots, jobs, PROFILES / f"executor_{name}.txt")
    return times


def _profile(ex: ResilientExecutor, shots: int, jobs: int, path: Path) -> None:
    circuits = [bell() for _ in range(jobs)]
    profiler = cProfile.Profile()
    profiler.enable()
    for qc in circuits:
        ex.run(qc, shots=shots)
    profiler.disable()
    with path.open("w", encoding="utf-8") as out:
        out.write(f"# cProfile of {jobs} ResilientExecutor.run jobs (Bell, {shots} shots, Aer)\n")
        stats = pstats.Stats(profiler, stream=out)
        stats.strip_dirs().sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(30)
    print(f"profile: {path}")


def success_rate(jobs: int, attempts: int, *, defaults: bool) -> float:
    kwargs = (
        {}
        if defaults
        else {"breaker": {"enabled": False}, "retry_budget": RetryBudget(capacity=10**9)}
    )
    ex = ResilientExecutor(
        [ChaosBackend("qiskit:aer", Faults(transient_error_rate=0.3), seed=attempts)],
        retry=RetryPolicy(max_attempts=attempts, initial="1ms", maximum="1ms"),
        sleep=lambda s: None,
        **kwargs,
    )
    qc = bell()
    ok = sum(isinstance(ex.run_many([qc], shots=10)[0], ExecutionResult) for _ in range(jobs))
    return ok / jobs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=3000, help="jobs per mode of the overhead test")
    ap.add_argument("--shots", type=int, default=100)
    ap.add_argument("--fault-jobs", type=int, default=1000, help="jobs per success-rate row")
    ap.add_argument("--quick", action="store_true", help="seconds, figures not judged")
    ap.add_argument("--profile", action="store_true", help="write cProfile text profiles")
    args = ap.parse_args()
    if args.quick:
        args.jobs, args.fault_jobs = 150, 100
    warnings.simplefilter("ignore")

    times = overhead(args.jobs, args.shots, args.profile)
    medians = {name: statistics.median(t) for name, t in times.items()}
    # The tenth percentile: jobs no other process disturbed (a loaded machine inflates the rest).
    p10 = {name: statistics.quantiles(t, n=10)[0] for name, t in times.items()}
    bare = medians["bare"]
    print(
        f"bare submission: {bare * 1e6:.0f} µs thread CPU per job (median of {args.jobs}; "
        f"10th percentile {p10['bare'] * 1e6:.0f} µs)"
    )
    for mode in ("providers", "no providers"):
        ratio = medians[mode] / bare
        print(
            f"executor, {mode}: {medians[mode] * 1e6:.0f} µs, +{(medians[mode] - bare) * 1e6:.0f} µs"
            f" (10th percentile {p10[mode] * 1e6:.0f} µs: {p10[mode] / p10['bare']:.3f}×)"
        )
        goal(
            f"executor run over bare submission ({mode})",
            f"{ratio:.3f}×",
            "≤ 1.05×",
            None if args.quick else ratio <= 1.05,
        )
    floor = medians["bare + one span"]
    print(
        f"bare + one SDK span (the job span's floor): {floor * 1e6:.0f} µs = "
        f"{floor / bare:.3f}× bare; executor with providers over it: "
        f"{medians['providers'] / floor:.3f}×"
    )
    print("success under 30% transient faults:")
    for k in (1, 2, 3, 4):
        theory = 1 - 0.3**k
        plain = success_rate(args.fault_jobs, k, defaults=False)
        default = success_rate(args.fault_jobs, k, defaults=True)
        # Binomial sd of the achieved rate: sqrt(p(1-p)/n).
        sd = (theory * (1 - theory) / args.fault_jobs) ** 0.5
        print(
            f"  max_attempts={k}: theory 1-0.3^{k} = {theory:.4f}, achieved {plain:.4f} "
            f"({(plain - theory) / sd if sd else 0:+.1f} sd); with default breaker and "
            f"retry budget {default:.4f}"
        )


if __name__ == "__main__":
    main()
