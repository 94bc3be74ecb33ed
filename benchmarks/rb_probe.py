"""The RB probe on an emulated Google processor against Cirq's density-matrix floor.

Probe: ``run_rb("cirq_google:willow_pink", (0,), num_samples=5, shots=100)`` end to end
(sequences, native circuits, the processor's sampler rebuilt for the used qubits,
simulation through the virtual engine's job path, fit and bootstrap) on the
sampler the exporter caches (``BackendSpec.load()``, built once, outside the timing).

Floor: the same circuits, built beforehand, on ``cirq.DensityMatrixSimulator``
with the device's noise model restricted to the same qubits
(``cirq_google.NoiseModelFromGoogleNoiseProperties`` of the bundled noise
properties): ``simulator.run_batch(circuits, repetitions=shots)`` and nothing else.
Goal: probe ≤ 2× floor.

Method: ``OMP_NUM_THREADS=1`` (set before numpy loads), one warm-up of each
(imports, Clifford tables, first-call costs), then ``--repeat`` rounds alternating
probe and floor so load from other processes hits both alike; medians of
process CPU time and of wall time. Before this change the same probe ran on the
whole 105-qubit engine with per-shot trajectories: over 5 minutes (not re-run here;
``--before`` times it on one short sample and extrapolates per circuit-Clifford).

Run: ``python benchmarks/rb_probe.py [--processor willow_pink] [--qubits 0] [--samples 5] [--shots 100]``
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import statistics
import time


class Clock:
    """Wall and process CPU seconds of a block."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def probe(spec, sampler, qubits, samples, shots, seed):
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


def floor(simulator, circuits, shots):
    with Clock() as clock:
        simulator.run_batch(circuits, repetitions=shots)
    return clock


def before(spec, qubits, seed, operation_shots: int) -> str:
    """The whole-processor engine (as before this change) on one short sample, extrapolated
    by operations × shots (its cost per shot is per operation: trajectories re-run per shot)."""
    from qobserve.benchmarking import RBExperiment
    from qobserve.benchmarking.circuits import to_cirq

    sampler = spec.load()  # the full virtual engine: state vector, whole-processor noise model
    grid = sorted(sampler.processor.get_device().metadata.qubit_set)
    lengths = (1, 10, 20)
    circuits = to_cirq(
        RBExperiment(qubits, lengths, 1, seed).circuits(),
        [grid[q] for q in qubits],
        google_native=True,
    )
    small_shots = 20
    with Clock() as clock:
        sampler.run_batch(circuits, repetitions=small_shots)
    work = sum(len(list(c.all_operations())) for c in circuits) * small_shots
    estimate = clock.cpu / work * operation_shots
    return (
        f"before (whole {len(grid)}-qubit engine): {clock.cpu:.1f} s CPU for {len(circuits)} short "
        f"circuits x {small_shots} shots -> about {estimate / 60:.0f} min for the probe"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processor", default="willow_pink")
    parser.add_argument("--qubits", default="0", help="0 or 0,1 (the processor's i-th grid qubits)")
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--shots", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--repeat", type=int, default=5, help="interleaved timed rounds; medians reported"
    )
    parser.add_argument("--before", action="store_true", help="also estimate the whole-engine time")
    args = parser.parse_args()
    qubits = tuple(int(q) for q in args.qubits.split(","))

    from qobserve.backends import parse_backend

    spec = parse_backend(f"cirq_google:{args.processor}")
    sampler = spec.load()  # what the exporter caches per target
    simulator, circuits = floor_inputs(args.processor, qubits, args.samples, args.shots, args.seed)
    # Warm-up: imports, Clifford tables, noise-model construction and first calls.
    probe(spec, sampler, qubits, 1, 10, args.seed)
    floor(simulator, circuits[:3], 10)

    probes, floors = [], []
    for _ in range(args.repeat):
        result, clock = probe(spec, sampler, qubits, args.samples, args.shots, args.seed)
        probes.append(clock)
        floors.append(floor(simulator, circuits, args.shots))

    def med(clocks, attr):
        return statistics.median(getattr(c, attr) for c in clocks)

    p_wall, p_cpu, f_wall, f_cpu = (
        med(probes, "wall"),
        med(probes, "cpu"),
        med(floors, "wall"),
        med(floors, "cpu"),
    )
    fit = result.fit
    lengths = list(result.experiment.lengths or ())
    print(
        f"RB probe on cirq_google:{args.processor} qubits {args.qubits}: {len(lengths)} lengths x "
        f"{args.samples} samples x {args.shots} shots ({len(circuits)} circuits); "
        f"medians of {args.repeat} interleaved rounds, OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}"
    )
    print(f"probe  end to end          {p_wall:7.3f} s wall  {p_cpu:7.3f} s CPU   (goal < 10 s)")
    print(
        f"floor  DensityMatrixSimulator + device noise, same circuits  "
        f"{f_wall:7.3f} s wall  {f_cpu:7.3f} s CPU"
    )
    print(
        f"ratio  probe / floor       {p_wall / f_wall:5.2f}x wall  {p_cpu / f_cpu:5.2f}x CPU   (goal <= 2x)"
    )
    if fit.ok:
        print(f"EPC {fit.epc:.3e}  95% CI [{fit.epc_ci[0]:.3e}, {fit.epc_ci[1]:.3e}]")
    else:
        print(f"fit: {fit.status.value} ({fit.message})")
    if args.before:
        work = sum(len(list(c.all_operations())) for c in circuits) * args.shots
        print(before(spec, qubits, args.seed, work))


if __name__ == "__main__":
    main()
