"""Overhead of ``track_training`` per optimizer step, against the step itself.

The step: one parameter-shift gradient (with the loss) of a 4-qubit, 2-layer
RY/CZ ansatz, 8 parameters, 17 circuits: once on Aer's Estimator (one job,
Gaussian precision noise, the cheapest step there is) and once on cirq's
Simulator sampling 1000 shots per circuit (what a shot-based step costs). The tracked loop records
loss, gradient, stderr and shot variance each step through real SDK providers
(batching span processor, periodic metric reader), with the three default
detectors. Two measurements, both in this process:

* isolated: time inside ``run.record_step`` over the untracked loop's time, both
  as wall time and as CPU time (thread CPU of record_step over process CPU of
  a step, Aer's threads included) — CPU time is not inflated by other
  processes preempting this one, so it is the figure to compare with the goal;
* A/B: wall time of a tracked loop over an untracked one (noisy on a shared machine).

Goal: under 1% of a step. Run: ``python benchmarks/training_overhead.py [--steps N]``.

``--mlflow`` measures the 1000-shot cirq step again with ``mlflow=True``: a local
``mlflow server`` (SQLite) is started unless ``--mlflow-uri`` names one. The
loop's thread only queues the step; the logging thread's work shows in the
A/B figure (and in process CPU), not in ``record_step``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector
from qiskit.quantum_info import SparsePauliOp
from qiskit_aer.primitives import EstimatorV2

from qobserve.training import cirq_expectation, parameter_shift, qiskit_expectation, track_training


def _ansatz(qubits: int = 4, layers: int = 2) -> QuantumCircuit:
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
    qc = _ansatz()
    estimator = EstimatorV2(options={"run_options": {"seed": 1}})
    return qiskit_expectation(
        estimator, qc, SparsePauliOp("IIIZ"), precision=0.03
    ), qc.num_parameters


def cirq_cost(shots: int = 1000):
    """The same ansatz on cirq's Simulator, really sampling ``shots`` per circuit."""
    import cirq
    import sympy

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


STEPS = {
    "aer estimator (17 circuits)": aer_cost,
    "cirq sampler (17 circuits x 1000 shots)": cirq_cost,
}


def _loop(cost, theta, steps: int, run=None) -> tuple[float, float, float, float]:
    """(wall s, process CPU s) of the loop and (wall s, thread CPU s) inside record_step."""
    rec_wall = rec_cpu = 0.0
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        est = parameter_shift(cost, theta, include_value=True)
        if run is not None:
            t, c = time.perf_counter(), time.thread_time()
            run.record_step(loss=est.value, estimate=est)
            rec_wall += time.perf_counter() - t
            rec_cpu += time.thread_time() - c
        theta = theta - 0.1 * est.gradient
    return time.perf_counter() - t0, time.process_time() - c0, rec_wall, rec_cpu


def measure(make_cost, steps: int, mlflow=False) -> dict:
    """Untracked then tracked loop of ``steps`` steps with the cost ``make_cost()`` builds.

    ``mlflow``: passed to ``track_training`` (False, or MlflowSettings).
    """
    cost, num_params = make_cost()
    theta = np.random.default_rng(0).uniform(-np.pi, np.pi, num_params)
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(InMemorySpanExporter()))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    _loop(cost, theta, 5)  # warm up the simulator and the imports
    base_wall, base_cpu, _, _ = _loop(cost, theta, steps)
    with track_training(
        "benchmark", tracer_provider=tracer_provider, mlflow=mlflow, meter_provider=meter_provider
    ) as run:
        if run.mlflow is not None:
            run.mlflow.wait_run_id(120)  # MLflow's import and the run's creation: not a step
        tracked_wall, _, rec_wall, rec_cpu = _loop(cost, theta, steps, run)
    tracer_provider.shutdown()
    return {
        "step_ms": 1e3 * base_wall / steps,
        "step_cpu_ms": 1e3 * base_cpu / steps,
        "record_step_us": 1e6 * rec_wall / steps,
        "record_step_cpu_us": 1e6 * rec_cpu / steps,
        "cpu_ratio": rec_cpu / base_cpu,
        "wall_ratio": rec_wall / base_wall,
        "ab_ratio": tracked_wall / base_wall - 1.0,
    }


def _mlflow_runs(uri: str | None):
    """(settings, stop) for a run logging to ``uri`` or to a fresh local server."""
    import tempfile
    from pathlib import Path

    from qobserve.training import MlflowSettings

    if uri:
        return MlflowSettings(tracking_uri=uri, experiment="benchmark"), lambda: None
    from qobserve.training.mlflow_server import start_mlflow_server

    server = start_mlflow_server(Path(tempfile.mkdtemp(prefix="qobserve-bench-mlflow-")))
    return MlflowSettings(tracking_uri=server.url, experiment="benchmark"), server.stop


def main(steps: int = 100, mlflow: bool = False, mlflow_uri: str | None = None) -> dict:
    results = {}
    cases = [(name, make_cost, False) for name, make_cost in STEPS.items()]
    stop = None
    if mlflow or mlflow_uri:
        settings, stop = _mlflow_runs(mlflow_uri)
        cases.append(("cirq sampler (17 circuits x 1000 shots), mlflow=True", cirq_cost, settings))
    try:
        for name, make_cost, ml in cases:
            results[name] = measure(make_cost, steps, ml)
            _print(name, results[name])
        if stop is not None:
            off, on = results[cases[1][0]], results[cases[-1][0]]
            extra = on["record_step_cpu_us"] - off["record_step_cpu_us"]
            print(
                f"MLflow's own share of record_step: {extra:+.1f} us CPU = "
                f"{100 * extra / (1e3 * on['step_cpu_ms']):+.3f}% of a 1000-shot step (goal < 1%)"
            )
    finally:
        if stop is not None:
            stop()
    return results


def _print(name: str, r: dict) -> None:
    print(f"{name}:")
    print(f"  step (untracked):   {r['step_ms']:.2f} ms wall, {r['step_cpu_ms']:.2f} ms CPU")
    print(
        f"  record_step:        {r['record_step_us']:.1f} us wall, "
        f"{r['record_step_cpu_us']:.1f} us CPU"
    )
    print(f"  overhead, CPU:      {100 * r['cpu_ratio']:.2f}% of a step  (goal < 1%)")
    print(f"  overhead, wall:     {100 * r['wall_ratio']:.2f}% of a step")
    print(f"  overhead, A/B wall: {100 * r['ab_ratio']:+.2f}%  (noisy on a shared machine)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument(
        "--mlflow",
        action="store_true",
        help="also measure with mlflow=True (starts a local mlflow server)",
    )
    parser.add_argument("--mlflow-uri", help="an MLflow server to log to instead")
    args = parser.parse_args()
    main(args.steps, args.mlflow, args.mlflow_uri)
