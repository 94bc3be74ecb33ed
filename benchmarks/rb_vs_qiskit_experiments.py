"""qobserve RB vs qiskit-experiments StandardRB, each against the same Aer floor, in one process.

Floor (as in ``rb_probe.py``, built without qobserve by ``_rb_floor.py``): Aer
running equivalent single-qubit RB circuits, Qiskit's own Clifford
decompositions with an ``id`` after every Clifford carrying
``depolarizing_error(λ)`` through a ``NoiseModel``; circuits prepared untimed,
only ``run(...).result()`` timed. qobserve: ``run_rb("qiskit:aer", noise=
"depolarizing:λ")`` end to end in process (sequences, circuits, Aer, fit,
bootstrap). qiskit-experiments: ``StandardRB`` on an ``AerSimulator`` with
``depolarizing_error(λ)`` on ``sx``/``x`` (it transpiles Cliffords to a basis,
so the noise cannot sit once per Clifford; its EPC is printed, not compared).

Method: same lengths, samples, shots; single-threaded Aer (``max_parallel_threads=1``,
``OMP_NUM_THREADS=1``) everywhere; one warm-up each; ``--repeat`` interleaved rounds;
medians of process CPU time (wall printed beside). Goal: qobserve ≤ 1.25× the
floor (in process; the fresh-process figure is ``rb_probe.py``'s). qiskit-experiments
is a benchmark-only dependency (``pip install 'qobserve[bench]'``); without it that
half is skipped. ``--quick``: 3 samples × 128 shots, 2 rounds, not judged.

Run: ``python benchmarks/rb_vs_qiskit_experiments.py [--quick] [--samples 30] [--shots 1024]``
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import statistics
import time

try:
    from benchmarks._rb_floor import floor_circuits, floor_simulator
    from benchmarks._report import goal
except ImportError:  # run as a script: benchmarks/ is on sys.path
    from _rb_floor import floor_circuits, floor_simulator
    from _report import goal

LENGTHS = (1, 10, 20, 50, 75, 100, 125, 150, 175, 200)


class Clock:
    """Wall and process CPU seconds of a block (CPU counts Aer's thread too)."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def run_qobserve(lam, lengths, samples, shots, seed):
    from qobserve.benchmarking import run_rb

    with Clock() as clock:
        result = run_rb(
            "qiskit:aer",
            (0,),
            lengths=lengths,
            num_samples=samples,
            shots=shots,
            seed=seed,
            noise=f"depolarizing:{lam}",
        )
    return result.fit.epc, result.fit.epc_ci, clock


def run_floor(simulator, circuits, shots, seed):
    with Clock() as clock:
        simulator.run(circuits, shots=shots, seed_simulator=seed).result()
    return clock


def qe_backend(lam: float, seed: int):
    from qiskit_aer import AerSimulator
    from qiskit_aer.noise import NoiseModel, depolarizing_error

    model = NoiseModel(basis_gates=["rz", "sx", "x", "cx"])
    model.add_all_qubit_quantum_error(depolarizing_error(lam, 1), ["sx", "x"])
    return AerSimulator(noise_model=model, seed_simulator=seed, max_parallel_threads=1)


def run_qiskit_experiments(backend, lengths, samples, shots, seed):
    from qiskit_experiments.library import StandardRB

    with Clock() as clock:
        exp = StandardRB(
            physical_qubits=[0],
            lengths=list(lengths),
            num_samples=samples,
            seed=seed,
            backend=backend,
        )
        exp.set_run_options(shots=shots, seed_simulator=seed)
        data = exp.run(backend).block_for_results()
        epc = data.analysis_results("EPC", dataframe=True).iloc[0]
    value, std = float(epc["value"].nominal_value), float(epc["value"].std_dev)
    return value, (value - 1.96 * std, value + 1.96 * std), clock


def med(clocks, attr: str) -> float:
    return statistics.median(getattr(c, attr) for c in clocks)


def fmt(clocks) -> str:
    return f"{med(clocks, 'cpu'):7.3f} s CPU / {med(clocks, 'wall'):7.3f} s wall"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--shots", type=int, default=1024)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--lam", type=float, default=0.01, help="depolarizing λ")
    parser.add_argument("--repeat", type=int, default=5, help="interleaved rounds; medians")
    parser.add_argument("--quick", action="store_true", help="small sizes, 2 rounds, not judged")
    args = parser.parse_args()
    samples, shots, repeat = (3, 128, 2) if args.quick else (args.samples, args.shots, args.repeat)
    try:
        import qiskit_experiments  # noqa: F401

        have_qe = True
    except ImportError:
        have_qe = False
    circuits = floor_circuits(LENGTHS, samples, args.seed)
    simulator = floor_simulator(args.lam)
    backend = qe_backend(args.lam, args.seed)
    # Warm-up: imports, Clifford tables and Aer's first-call costs stay out of the timings.
    run_floor(simulator, circuits[:5], 16, args.seed)
    run_qobserve(args.lam, (1, 2, 3), 1, 16, args.seed)
    if have_qe:
        run_qiskit_experiments(backend, (1, 2, 3), 1, 16, args.seed)
    floors, ours, theirs = [], [], []
    for _ in range(repeat):
        floors.append(run_floor(simulator, circuits, shots, args.seed))
        ours.append(run_qobserve(args.lam, LENGTHS, samples, shots, args.seed))
        if have_qe:
            theirs.append(run_qiskit_experiments(backend, LENGTHS, samples, shots, args.seed))
    epc, ci = ours[0][:2]
    t_ours = [r[2] for r in ours]
    ratio = med(t_ours, "cpu") / med(floors, "cpu")
    print(
        f"RB on Aer, qubit 0, depolarizing:{args.lam}: {len(LENGTHS)} lengths x {samples} samples "
        f"x {shots} shots ({len(circuits)} circuits); medians of {repeat} interleaved rounds"
    )
    print(f"floor              Aer run of equivalent circuits (noise model on id): {fmt(floors)}")
    print(
        f"qobserve           EPC {epc:.3e}  95% CI [{ci[0]:.3e}, {ci[1]:.3e}] (truth {args.lam / 2:.3e})  "
        f"{fmt(t_ours)}  {ratio:.2f}x floor"
    )
    goal(
        "rb run_rb qiskit:aer in process vs Aer floor",
        f"{ratio:.2f}x CPU",
        "<= 1.25x",
        None if args.quick else ratio <= 1.25,
    )
    if not have_qe:
        print("qiskit-experiments SKIPPED: not installed (pip install 'qobserve[bench]')")
        return
    epc_q, ci_q = theirs[0][:2]
    t_qe = [r[2] for r in theirs]
    print(
        f"qiskit-experiments EPC {epc_q:.3e}  95% CI [{ci_q[0]:.3e}, {ci_q[1]:.3e}] (noise per pulse)  "
        f"{fmt(t_qe)}  {med(t_qe, 'cpu') / med(floors, 'cpu'):.2f}x floor"
    )


if __name__ == "__main__":
    main()
