"""RB end to end against its simulation floor: Aer (the #19 goal) and an emulated Google processor.

**Aer.** Probe: ``qobserve rb --backend qiskit:aer --qubits 0 --noise
depolarizing:0.01`` with the default design (10 lengths × 30 sequences × 1,024
shots), end to end as a user runs it: a fresh ``python -m qobserve.cli``
process (interpreter start-up, imports, sequences, circuits, Aer, fit,
bootstrap, JSON), its CPU time read from ``getrusage(RUSAGE_CHILDREN)``.
Floor: Aer running equivalent circuits with the error attached through a noise
model, built without qobserve (``_rb_floor.py``: Qiskit's own Clifford tables,
an ``id`` after every Clifford carrying ``depolarizing_error(λ)`` in a
``NoiseModel``), prepared untimed; only ``AerSimulator.run(...).result()`` is
timed, in process CPU time. Goal: end to end ≤ 1.25× the floor. Also printed:
``run_rb`` in process against the same floor.

**Emulated processor.** ``run_rb("cirq_google:willow_pink", (0,), num_samples=5,
shots=100)`` on the sampler the exporter caches, against the same circuits on
``cirq.DensityMatrixSimulator`` with the device's noise model restricted to the
qubit. Goal: ≤ 2×.

Method: ``OMP_NUM_THREADS=1`` and single-threaded Aer on both sides, one
warm-up of each, then ``--repeat`` rounds alternating probe and floor so load
from other processes hits both alike; medians of CPU time (wall printed beside).
``--quick``: 3 samples × 128 shots, 2 rounds, figures not judged.

Run: ``python benchmarks/rb_probe.py [--quick] [--repeat 5] [--skip-emulated]``
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import resource
import statistics
import subprocess
import sys
import time

try:
    from benchmarks._rb_floor import floor_circuits, floor_simulator
    from benchmarks._report import goal
except ImportError:  # run as a script: benchmarks/ is on sys.path
    from _rb_floor import floor_circuits, floor_simulator
    from _report import goal

LENGTHS = (1, 10, 20, 50, 75, 100, 125, 150, 175, 200)
LAMBDA = 0.01


class Clock:
    """Wall and process CPU seconds of a block."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def cli_run(samples: int, shots: int, seed: int) -> tuple[float, float]:
    """(wall, CPU) of one ``qobserve rb`` process, the user's command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "qobserve.cli",
            "rb",
            "--backend",
            "qiskit:aer",
            "--qubits",
            "0",
            "--noise",
            f"depolarizing:{LAMBDA}",
            "--samples",
            str(samples),
            "--shots",
            str(shots),
            "--seed",
            str(seed),
            "--json",
        ],
        check=True,
        capture_output=True,
    )
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def in_process(samples: int, shots: int, seed: int) -> Clock:
    from qobserve.benchmarking import run_rb

    with Clock() as clock:
        run_rb(
            "qiskit:aer",
            (0,),
            noise=f"depolarizing:{LAMBDA}",
            num_samples=samples,
            shots=shots,
            seed=seed,
        )
    return clock


def aer_floor(simulator, circuits, shots: int, seed: int) -> Clock:
    with Clock() as clock:
        simulator.run(circuits, shots=shots, seed_simulator=seed).result()
    return clock


def med(values) -> float:
    return statistics.median(values)


def aer_section(args) -> None:
    samples, shots = (3, 128) if args.quick else (args.samples, args.shots)
    circuits = floor_circuits(LENGTHS, samples, args.seed)
    simulator = floor_simulator(LAMBDA)
    aer_floor(simulator, circuits[:5], 16, args.seed)  # warm-up
    in_process(1, 16, args.seed)
    cli_run(1, 16, args.seed)
    floors, clis, inproc = [], [], []
    for _ in range(args.repeat):
        floors.append(aer_floor(simulator, circuits, shots, args.seed))
        clis.append(cli_run(samples, shots, args.seed))
        inproc.append(in_process(samples, shots, args.seed))
    f_cpu, f_wall = med(c.cpu for c in floors), med(c.wall for c in floors)
    c_wall, c_cpu = med(c[0] for c in clis), med(c[1] for c in clis)
    i_cpu, i_wall = med(c.cpu for c in inproc), med(c.wall for c in inproc)
    print(
        f"Aer, qubit 0, depolarizing:{LAMBDA}: {len(LENGTHS)} lengths x {samples} samples x "
        f"{shots} shots ({len(circuits)} circuits); medians of {args.repeat} interleaved rounds"
    )
    print(
        f"floor    Aer run of equivalent circuits, noise model on id  {f_cpu:6.2f} s CPU  {f_wall:6.2f} s wall"
    )
    print(
        f"qobserve rb (process, end to end)                           {c_cpu:6.2f} s CPU  {c_wall:6.2f} s wall"
    )
    print(
        f"run_rb   (in process)                                       {i_cpu:6.2f} s CPU  {i_wall:6.2f} s wall"
    )
    print(f"ratios   end to end {c_cpu / f_cpu:.2f}x CPU, in process {i_cpu / f_cpu:.2f}x CPU")
    goal(
        "rb qiskit:aer end to end vs Aer floor",
        f"{c_cpu / f_cpu:.2f}x CPU (in process {i_cpu / f_cpu:.2f}x)",
        "<= 1.25x",
        None if args.quick else c_cpu / f_cpu <= 1.25,
    )


def emulated_probe(spec, sampler, qubits, samples, shots, seed):
    from qobserve.benchmarking import run_rb

    with Clock() as clock:
        result = run_rb(spec, qubits, num_samples=samples, shots=shots, seed=seed, device=sampler)
    return result, clock


def floor_inputs(processor, qubits, samples, shots, seed):
    """The probe's circuits (built untimed) and a density-matrix simulator with the device noise."""
    import cirq
    import cirq_google

    from qobserve.benchmarking import RBExperiment
    from qobserve.benchmarking.circuits import to_cirq
    from qobserve.benchmarking.emulation import device_noise_model

    grid = sorted(cirq_google.engine.create_device_from_processor_id(processor).metadata.qubit_set)
    targets = [grid[q] for q in qubits]
    circuits = to_cirq(
        RBExperiment(qubits, None, samples, seed).circuits(), targets, google_native=True
    )
    simulator = cirq.DensityMatrixSimulator(noise=device_noise_model(processor, targets), seed=seed)
    return simulator, circuits


def emulated_floor(simulator, circuits, shots):
    with Clock() as clock:
        simulator.run_batch(circuits, repetitions=shots)
    return clock


def emulated_section(args) -> None:
    from qobserve.backends import parse_backend

    samples, shots = (2, 50) if args.quick else (5, 100)
    qubits = (0,)
    spec = parse_backend("cirq_google:willow_pink")
    sampler = spec.load()  # what the exporter caches per target
    simulator, circuits = floor_inputs("willow_pink", qubits, samples, shots, args.seed)
    emulated_probe(spec, sampler, qubits, 1, 10, args.seed)
    emulated_floor(simulator, circuits[:3], 10)
    probes, floors = [], []
    for _ in range(args.repeat):
        probes.append(emulated_probe(spec, sampler, qubits, samples, shots, args.seed)[1])
        floors.append(emulated_floor(simulator, circuits, shots))
    p_cpu, f_cpu = med(c.cpu for c in probes), med(c.cpu for c in floors)
    print(
        f"cirq_google:willow_pink qubit 0: {samples} samples x {shots} shots; probe "
        f"{p_cpu:.2f} s CPU, DensityMatrixSimulator floor {f_cpu:.2f} s CPU"
    )
    goal(
        "rb cirq_google:willow_pink vs density-matrix floor",
        f"{p_cpu / f_cpu:.2f}x CPU",
        "<= 2x",
        None if args.quick else p_cpu / f_cpu <= 2,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--shots", type=int, default=1024)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5, help="interleaved rounds; medians")
    parser.add_argument("--quick", action="store_true", help="small sizes, 2 rounds, not judged")
    parser.add_argument("--skip-emulated", action="store_true", help="only the Aer section")
    args = parser.parse_args()
    if args.quick:
        args.repeat = 2
    aer_section(args)
    if not args.skip_emulated:
        emulated_section(args)


if __name__ == "__main__":
    main()
