"""Cost of per-job output fidelity: on the job's path, and off it in the worker.

Runs the same job (GHZ-5 transpiled for Aer, 1,000 shots, ``AerSimulator.run``
+ ``result()``) instrumented, interleaved job by job with output fidelity off
(``qobserve.output_fidelity(0)``) and on (``output_fidelity(1.0)``), and takes
medians of the calling thread's CPU time and of wall time. The worker is drained
after each sampled job, outside the timed region, so the job path is measured
alone; the worker's own time per job (ideal distribution, Hellinger, TVD, 200
bootstrap resamples, histogram and span) is timed separately.

    path overhead = median(on) − median(off)        (goal ≤ 2 % of median(off))

Run: ``python benchmarks/output_fidelity_overhead.py [--jobs N] [--qubits N]``
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=300, help="jobs per mode")
    parser.add_argument("--qubits", type=int, default=5)
    parser.add_argument("--shots", type=int, default=1000)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from qiskit import QuantumCircuit
    from qiskit_aer import AerSimulator

    import qobserve
    from qobserve.instrumentation.qiskit import QiskitInstrumentor

    inst = QiskitInstrumentor()
    inst.instrument(
        tracer_provider=TracerProvider(),
        meter_provider=MeterProvider(metric_readers=[InMemoryMetricReader()]),
    )
    recorder = inst._state.fidelity
    worker_times: list[float] = []
    process = recorder._process

    def timed_process(task):
        t0 = time.perf_counter()
        process(task)
        worker_times.append(time.perf_counter() - t0)

    recorder._process = timed_process
    qc = QuantumCircuit(args.qubits)
    qc.h(0)
    for i in range(args.qubits - 1):
        qc.cx(i, i + 1)
    qc.measure_all()
    backend = AerSimulator()

    def job(rate: float) -> tuple[float, float]:
        with qobserve.output_fidelity(rate):
            c0, w0 = time.thread_time(), time.perf_counter()
            backend.run(qc, shots=args.shots).result()
            cpu, wall = time.thread_time() - c0, time.perf_counter() - w0
        recorder.flush(30)
        return cpu, wall

    for _ in range(30):
        job(0), job(1.0)
    worker_times.clear()
    cpu = {"off": [], "on": []}
    wall = {"off": [], "on": []}
    for _ in range(args.jobs):
        for mode, rate in (("off", 0.0), ("on", 1.0)):
            c, w = job(rate)
            cpu[mode].append(c)
            wall[mode].append(w)
    inst.uninstrument()
    print(f"jobs per mode {args.jobs}, GHZ-{args.qubits}, {args.shots} shots")
    for name, series in (("thread CPU", cpu), ("wall", wall)):
        off, on = statistics.median(series["off"]), statistics.median(series["on"])
        print(
            f"{name:10} off {off * 1e6:9.1f} µs  on {on * 1e6:9.1f} µs  "
            f"overhead {(on - off) * 1e6:8.1f} µs = {(on - off) / off:+.2%} (goal <= 2 %)"
        )
    print(f"worker per job (off the path): median {statistics.median(worker_times) * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
