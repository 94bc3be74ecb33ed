"""qobserve RB vs qiskit-experiments StandardRB on one Aer noise model, in one process.

Both run the same lengths, samples and shots on the same ``AerSimulator`` (an IBM-style
``rz, sx, x, cx`` basis with depolarizing errors on the pulses ``sx``/``x`` and on
``cx``; ``rz`` is virtual and error-free). Printed: both EPCs with their 95%
intervals, both end-to-end wall times, and the floor: the simulator's own
``backend.run(...).result()`` time for the same number of circuits and shots.
Goal: qobserve within 1.25x of the floor.

The two EPCs need not agree: EPC is per Clifford, and the tools decompose
Cliffords into different numbers of noisy pulses (qobserve: at most one ``sx``/``x``
per single-qubit Clifford). qiskit-experiments is a benchmark-only dependency
(``pip install 'qobserve[bench]'``); without it that half is skipped.

Run: ``python benchmarks/rb_vs_qiskit_experiments.py [--qubits 0] [--samples 30] [--shots 1024]``
"""

from __future__ import annotations

import argparse
import time

from qiskit_aer import AerSimulator
from qiskit_aer.noise import NoiseModel, depolarizing_error

from qobserve.backends import parse_backend
from qobserve.benchmarking import RBExperiment, run_rb
from qobserve.benchmarking.runners import qiskit_circuits

LENGTHS = (1, 10, 20, 50, 75, 100, 125, 150, 175, 200)


def noisy_backend(p1: float, p2: float, seed: int) -> AerSimulator:
    """Single-threaded AerSimulator restricted to rz/sx/x/cx with depolarizing pulse and CX errors."""
    model = NoiseModel(basis_gates=["rz", "sx", "x", "cx"])
    model.add_all_qubit_quantum_error(depolarizing_error(p1, 1), ["sx", "x"])
    model.add_all_qubit_quantum_error(depolarizing_error(p2, 2), ["cx"])
    # One Aer thread: on a small shared machine OpenMP threads spin-waiting for busy
    # cores made identical runs vary 5x; all three timings use this same backend.
    return AerSimulator(noise_model=model, seed_simulator=seed, max_parallel_threads=1)


def expected_epc_1q(p1: float) -> float:
    """Exact EPC of qobserve's 1-qubit Cliffords: the twirled channel has
    α = mean over Cliffords of (1 − p1)^pulses, EPC = (1 − α)/2."""
    from qobserve.benchmarking.cliffords import clifford_group

    pulses = [sum(name in ("sx", "x") for name, _ in g) for g in clifford_group(1).gates]
    alpha = sum((1 - p1) ** k for k in pulses) / len(pulses)
    return (1 - alpha) / 2


class Clock:
    """Wall and CPU seconds of a block; CPU time (all threads, Aer's included) is
    less sensitive to other processes competing for the cores."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def run_qobserve(backend, qubits, lengths, samples, shots, seed):
    with Clock() as clock:
        result = run_rb(
            parse_backend("qiskit:aer"),
            qubits,
            lengths=lengths,
            num_samples=samples,
            shots=shots,
            seed=seed,
            device=backend,
        )
    return result.fit.epc, result.fit.epc_ci, clock


def run_floor(backend, qubits, lengths, samples, shots, seed):
    circuits = qiskit_circuits(
        backend, RBExperiment(qubits, lengths, samples, seed).circuits(), qubits
    )
    with Clock() as clock:
        backend.run(circuits, shots=shots, seed_simulator=seed).result()
    return len(circuits), clock


def run_qiskit_experiments(backend, qubits, lengths, samples, shots, seed):
    from qiskit_experiments.library import StandardRB

    clock = Clock().__enter__()
    exp = StandardRB(
        physical_qubits=list(qubits),
        lengths=list(lengths),
        num_samples=samples,
        seed=seed,
        backend=backend,
    )
    exp.set_run_options(shots=shots, seed_simulator=seed)
    data = exp.run(backend).block_for_results()
    epc = data.analysis_results("EPC", dataframe=True).iloc[0]
    clock.__exit__()
    value, std = float(epc["value"].nominal_value), float(epc["value"].std_dev)
    return value, (value - 1.96 * std, value + 1.96 * std), clock


def best(clocks: list[Clock]) -> Clock:
    """The fastest run by wall time and, separately, by CPU time."""
    out = Clock()
    out.wall, out.cpu = min(c.wall for c in clocks), min(c.cpu for c in clocks)
    return out


def fmt(c: Clock) -> str:
    return f"{c.wall:7.3f} s wall / {c.cpu:7.3f} s CPU"


def ratio(a: Clock, b: Clock) -> str:
    return f"{a.wall / b.wall:5.2f}x wall / {a.cpu / b.cpu:5.2f}x CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qubits", default="0", help="0 or 0,1")
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--shots", type=int, default=1024)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--p1", type=float, default=0.002, help="depolarizing λ on sx and x")
    parser.add_argument("--p2", type=float, default=0.02, help="depolarizing λ on cx")
    parser.add_argument(
        "--repeat", type=int, default=5, help="timed runs of each; the best is reported"
    )
    args = parser.parse_args()
    qubits = tuple(int(q) for q in args.qubits.split(","))
    backend = noisy_backend(args.p1, args.p2, args.seed)
    size = (qubits, LENGTHS, args.samples, args.shots, args.seed)
    try:
        import qiskit_experiments  # noqa: F401

        have_qe = True
    except ImportError:
        have_qe = False
    # Warm-up: imports, the Clifford tables and Aer's first-call costs stay out of the timings.
    run_qobserve(backend, qubits, (1, 2, 3), 1, 16, args.seed)
    if have_qe:
        run_qiskit_experiments(backend, qubits, (1, 2, 3), 1, 16, args.seed)

    # Best of --repeat, interleaved, so load from other processes hits all three alike.
    floors, ours, theirs = [], [], []
    for _ in range(args.repeat):
        floors.append(run_floor(backend, *size))
        ours.append(run_qobserve(backend, *size))
        if have_qe:
            theirs.append(run_qiskit_experiments(backend, *size))
    n_circuits = floors[0][0]
    floor = best([r[1] for r in floors])
    epc, ci = ours[0][:2]
    t_qobserve = best([r[2] for r in ours])
    print(
        f"RB on AerSimulator, qubits {args.qubits}: lengths {list(LENGTHS)}, {args.samples} samples, "
        f"{args.shots} shots ({n_circuits} circuits); noise: depolarizing {args.p1} on sx/x, {args.p2} on cx"
    )
    print(f"best of {args.repeat} runs each; wall s / CPU s (CPU counts Aer's threads)")
    print(f"floor  backend.run for {n_circuits} circuits x {args.shots} shots: {fmt(floor)}")
    if len(qubits) == 1:
        print(
            f"truth for qobserve's decomposition (EPC of depolarizing pulses averaged over the 24 "
            f"Cliffords): {expected_epc_1q(args.p1):.3e}"
        )
    print(
        f"qobserve             EPC {epc:.3e}  95% CI [{ci[0]:.3e}, {ci[1]:.3e}]  "
        f"end-to-end {fmt(t_qobserve)}  ratio to floor {ratio(t_qobserve, floor)} (goal <= 1.25x)"
    )
    if not have_qe:
        print("qiskit-experiments   SKIPPED: not installed (pip install 'qobserve[bench]')")
        return
    epc_q, ci_q = theirs[0][:2]
    t_qe = best([r[2] for r in theirs])
    print(
        f"qiskit-experiments   EPC {epc_q:.3e}  95% CI [{ci_q[0]:.3e}, {ci_q[1]:.3e}]  "
        f"end-to-end {fmt(t_qe)}  ratio to floor {ratio(t_qe, floor)}"
    )
    print(f"qobserve / qiskit-experiments: {ratio(t_qobserve, t_qe)}")


if __name__ == "__main__":
    main()
