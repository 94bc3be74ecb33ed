"""Cost of per-job output fidelity: on the job's path, and off it in the worker.

Runs the same job (GHZ-5, 1,000 shots, ``AerSimulator.run`` + ``result()``,
Aer's own thread pool as users run it) instrumented, with output fidelity off
(``qobserve.output_fidelity(0)``) and on (``output_fidelity(1.0)``). Each job
gets a fresh circuit object, built outside the timed region. Modes are
interleaved job by job, their order alternating every round, after a warm-up;
figures are medians of the calling thread's CPU time (what the user's call
costs; preemption by other processes does not count) and of wall time.

Between two jobs, in both modes alike, the worker is drained (``flush``) and the
thread sleeps 2 ms: each job starts after the same quiet gap, so the figures
compare the job path alone and not what a different gap does to caches; the
job's result is freed after the timed region in both modes (the worker keeps it
alive when on, which would otherwise move its deallocation off the path). The
worker's own time per job (ideal distribution, Hellinger, TVD, 200 bootstrap
resamples, histogram and span) is timed separately, in the worker thread.

    on-path ratio = median(on) / median(off)        (goal <= 1.02)

``OMP_NUM_THREADS=1`` is set before Aer loads. Run:
``python benchmarks/output_fidelity_overhead.py [--jobs N] [--qubits N] [--quick]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._report import goal

os.environ["OMP_NUM_THREADS"] = "1"  # before Aer loads
GOAL = 1.02
_GAP = 0.002


def _ghz(qubits: int):
    """GHZ state by fan-out: H on qubit 0, then a CX from it to every other qubit."""
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(qubits)
    qc.h(0)
    qc.cx([0] * (qubits - 1), range(1, qubits))
    qc.measure_all()
    return qc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=600, help="jobs per mode")
    parser.add_argument("--qubits", type=int, default=5)
    parser.add_argument("--shots", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="a few dozen jobs, not judged")
    args = parser.parse_args()
    jobs = 40 if args.quick else args.jobs
    warnings.simplefilter("ignore")
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
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
        t0 = time.thread_time()
        process(task)
        worker_times.append(time.thread_time() - t0)

    recorder._process = timed_process
    backend = AerSimulator()

    def job(rate: float) -> tuple[float, float]:
        circuit = _ghz(args.qubits)
        with qobserve.output_fidelity(rate):
            c0, w0 = time.thread_time(), time.perf_counter()
            result = backend.run(circuit, shots=args.shots).result()
            cpu, wall = time.thread_time() - c0, time.perf_counter() - w0
        recorder.flush(30)
        del result  # freed after the timed region in both modes (the worker holds it when on)
        time.sleep(_GAP)
        return cpu, wall

    for _ in range(10 if args.quick else 30):
        job(0.0), job(1.0)
    worker_times.clear()
    cpu: dict[str, list[float]] = {"off": [], "on": []}
    wall: dict[str, list[float]] = {"off": [], "on": []}
    for i in range(jobs):
        order = (("off", 0.0), ("on", 1.0)) if i % 2 == 0 else (("on", 1.0), ("off", 0.0))
        for mode, rate in order:
            c, w = job(rate)
            cpu[mode].append(c)
            wall[mode].append(w)
    inst.uninstrument()

    print(f"jobs per mode {jobs}, GHZ-{args.qubits}, {args.shots} shots, fresh circuit per job")
    for name, series in (("thread CPU", cpu), ("wall", wall)):
        off, on = statistics.median(series["off"]), statistics.median(series["on"])
        print(
            f"{name:10} off {off * 1e6:9.1f} µs  on {on * 1e6:9.1f} µs  "
            f"overhead {(on - off) * 1e6:+8.1f} µs = {on / off:.3f}x"
        )
    ratio = statistics.median(cpu["on"]) / statistics.median(cpu["off"])
    worker = statistics.median(worker_times)
    goal(
        "output fidelity on: job path CPU / fidelity off",
        f"{ratio:.3f}x",
        f"<= {GOAL}x",
        None if args.quick else ratio <= GOAL,
    )
    goal("output fidelity: worker CPU per job (off the path)", f"{worker * 1e3:.2f} ms", "-", None)


if __name__ == "__main__":
    main()
