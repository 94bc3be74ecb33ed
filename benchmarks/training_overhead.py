"""Overhead of ``run.record_step`` inside ``track_training``, against the step it records.

Two goals (issues #16 and #19), each a ratio measured in this run:

* ``record_step`` ≤ 1 % of the cheapest exact Aer Estimator step: one
  parameter-shift gradient (with the loss) of a 4-qubit, 2-layer RY/CZ ansatz,
  8 parameters, 17 circuits, as one Aer ``EstimatorV2`` job (statevector
  expectation values plus Gaussian precision noise, no sampling);
* ``record_step`` with MLflow logging on ≤ 1 % of a 1,000-shot 4-qubit step: the
  same gradient on cirq's ``Simulator``, sampling 1,000 shots per circuit, with
  ``mlflow=`` logging to a local ``mlflow server`` (SQLite; ``--quick``: the
  SQLite store in-process, no server).

Method. ``OMP_NUM_THREADS=1`` is set before numpy or Aer is imported (with default
threads, identical Aer runs varied up to 6× on a shared 2-core machine). The tracked loop
runs inside one ``track_training`` run with real SDK providers (batching span
processor, periodic metric reader) and the three default detectors; each step
records loss, gradient, stderr and shot variance from the estimate. Numerator:
thread CPU time (``time.thread_time``) spent inside ``record_step`` on the
loop's thread — not inflated by other processes preempting this one.
Denominator: process CPU time of an untracked step (Aer's own threads
included). Blocks of untracked steps and of tracked steps
alternate (interleaving: drift and neighbours hit both sides alike) after a
warm-up; each figure is the median over the rounds (Aer: 15 rounds of 20
steps; cirq: 7 of 4). Work the tracker
does off the loop's thread (the steps' statistics, detectors, spans, gauges
and MLflow batches, done by its worker every ``metrics_interval``) is not in
``record_step``; the A/B line prints it: tracked over untracked process CPU
per step, median of the rounds (noisy, not a goal).

Run: ``python benchmarks/training_overhead.py [--quick] [--profile FILE]``
(``--profile`` writes a cProfile text of the record_step calls, sorted by
cumulative time; ``benchmarks/profiles/training_*.txt`` are such files).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

# Before anything loads numpy or Aer (every SDK import below is lazy).
os.environ["OMP_NUM_THREADS"] = "1"
if __package__ in (None, ""):  # run as a script: make `benchmarks._report` importable
    sys.path.append(str(Path(__file__).resolve().parents[1]))  # after PYTHONPATH: it picks qobserve

AER_GOAL = "record_step ≤ 1 % of the cheapest exact Aer Estimator step"
MLFLOW_GOAL = "record_step with MLflow on ≤ 1 % of a 1,000-shot 4-qubit step"


def _ansatz(qubits: int = 4, layers: int = 2):
    from qiskit import QuantumCircuit
    from qiskit.circuit import ParameterVector

    w = ParameterVector("w", qubits * layers)
    qc = QuantumCircuit(qubits)
    for layer in range(layers):
        for q in range(qubits):
            qc.ry(w[layer * qubits + q], q)
        for q in range(qubits - 1):
            qc.cz(q, q + 1)
    return qc


def aer_cost():
    """Aer Estimator, precision 0.03 (Gaussian noise, no sampling): the cheapest step."""
    from qiskit.quantum_info import SparsePauliOp
    from qiskit_aer.primitives import EstimatorV2

    from qobserve.training import qiskit_expectation

    qc = _ansatz()
    estimator = EstimatorV2(options={"run_options": {"seed": 1}})
    cost = qiskit_expectation(estimator, qc, SparsePauliOp("IIIZ"), precision=0.03)
    return cost, qc.num_parameters


def cirq_cost(shots: int = 1000):
    """The same ansatz on cirq's Simulator, really sampling ``shots`` per circuit."""
    import cirq
    import sympy

    from qobserve.training import cirq_expectation

    qubits, layers = 4, 2
    q = cirq.LineQubit.range(qubits)
    symbols = sympy.symbols(f"w0:{qubits * layers}")
    circuit = cirq.Circuit()
    for layer in range(layers):
        circuit += [cirq.ry(symbols[layer * qubits + i]).on(q[i]) for i in range(qubits)]
        circuit += [cirq.CZ(q[i], q[i + 1]) for i in range(qubits - 1)]
    cost = cirq_expectation(
        cirq.Simulator(seed=1), circuit, cirq.Z(q[0]), symbols, repetitions=shots
    )
    return cost, len(symbols)


def _block(cost, theta, steps: int, run=None, profiler=None):
    """(process CPU s, record_step thread CPU s) of ``steps`` steps; ``run`` records them
    (under ``profiler`` if given: its hooks inflate the times, so such a block is not counted)."""
    from qobserve.training import parameter_shift

    inside = 0.0
    c0 = time.process_time()
    for _ in range(steps):
        est = parameter_shift(cost, theta, include_value=True)
        if run is not None:
            if profiler is not None:
                profiler.enable()
            t = time.thread_time()
            run.record_step(loss=est.value, estimate=est)
            inside += time.thread_time() - t
            if profiler is not None:
                profiler.disable()
    return time.process_time() - c0, inside


def measure(make_cost, *, rounds: int, block: int, mlflow=False, profiler=None) -> dict:
    """Interleaved untracked/tracked blocks of one cost; medians over the rounds."""
    import numpy as np
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from qobserve.training import track_training

    cost, num_params = make_cost()
    theta = np.random.default_rng(0).uniform(-np.pi, np.pi, num_params)
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(InMemorySpanExporter()))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    step_cpu, record_cpu, tracked_cpu = [], [], []
    with track_training(
        "benchmark", mlflow=mlflow, tracer_provider=tracer_provider, meter_provider=meter_provider
    ) as run:
        if run.mlflow is not None:
            run.mlflow.wait_run_id(180)  # MLflow's import and the run's creation: not a step
        _block(cost, theta, block)  # warm-up: simulator, imports, the tracker's first steps
        _block(cost, theta, block, run)
        for _ in range(rounds):
            base, _ = _block(cost, theta, block)
            tracked, inside = _block(cost, theta, block, run)
            step_cpu.append(base / block)
            record_cpu.append(inside / block)
            tracked_cpu.append(tracked / block)
        if profiler is not None:
            _block(cost, theta, block, run, profiler)
    tracer_provider.shutdown()
    step = statistics.median(step_cpu)
    return {
        "step_cpu_ms": 1e3 * step,
        "record_step_cpu_us": 1e6 * statistics.median(record_cpu),
        "ratio": statistics.median(r / s for r, s in zip(record_cpu, step_cpu, strict=True)),
        "ab": statistics.median(t / s - 1 for t, s in zip(tracked_cpu, step_cpu, strict=True)),
    }


@contextmanager
def mlflow_target(quick: bool):
    """MlflowSettings for a fresh local server (with ``quick``, its SQLite store in-process)."""
    from qobserve.training import MlflowSettings

    workdir = Path(tempfile.mkdtemp(prefix="qobserve-bench-mlflow-"))
    if quick:
        yield MlflowSettings(tracking_uri=f"sqlite:///{workdir / 'mlflow.db'}", plot=False)
        return
    from qobserve.testing import start_mlflow_server

    server = start_mlflow_server(workdir)
    try:
        yield MlflowSettings(tracking_uri=server.url, plot=False)
    finally:
        server.stop()


def _print(name: str, r: dict) -> None:
    print(f"{name}:")
    print(f"  step (untracked):      {r['step_cpu_ms']:.2f} ms process CPU")
    print(f"  record_step:           {r['record_step_cpu_us']:.1f} us thread CPU")
    print(f"  A/B, all threads:      {100 * r['ab']:+.2f} % process CPU per step (not a goal)")


def main(quick: bool = False, profile: str | None = None) -> dict:
    from benchmarks._report import goal

    # A 1,000-shot cirq step costs ~20 Aer steps: fewer, shorter blocks of it.
    (rounds, block), (ml_rounds, ml_block) = ((3, 5), (2, 2)) if quick else ((15, 20), (7, 4))
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
    results = {"aer": measure(aer_cost, rounds=rounds, block=block, profiler=profiler)}
    _print("aer estimator step (17 circuits, exact + precision noise)", results["aer"])
    with mlflow_target(quick) as settings:
        results["mlflow"] = measure(cirq_cost, rounds=ml_rounds, block=ml_block, mlflow=settings)
    _print("cirq sampler step (17 circuits x 1000 shots), mlflow on", results["mlflow"])
    for key, path in (("aer", AER_GOAL), ("mlflow", MLFLOW_GOAL)):
        ratio = results[key]["ratio"]
        goal(path, f"{100 * ratio:.2f} %", "≤ 1 %", None if quick else ratio <= 0.01)
    if profiler is not None:
        import io
        import pstats

        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
        Path(profile).write_text(out.getvalue())
        print(f"profile of record_step: {profile}")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds: print, do not judge")
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile text of record_step")
    args = parser.parse_args()
    main(args.quick, args.profile)
