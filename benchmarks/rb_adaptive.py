"""Adaptive RB against the default design: shots needed for the same precision, per λ.

For each λ in {0.002, 0.01, 0.03} (``depolarizing:λ`` after every Clifford, one
qubit, true EPC λ/2) the default design (10 lengths × 30 sequences × 1,024 shots
= 307,200 shots) runs with ``--default-seeds`` seeds; the median of its relative
95 % half-widths on EPC is the target. ``run_rb(..., target_precision=target)``
then runs with ``--seeds`` other seeds. Printed per backend and λ: the default's
precision, the adaptive run's median and worst shots as a fraction of the
default's, how many seeds reached the target, the EPC's worst deviation from
λ/2 and how many intervals covered it. Goal: median ≤ 0.5 of the default's shots.

Shots, not time, are the figure (on hardware they are what is billed), so there is
no timing method to state; seeds are fixed. ``--quick``: stim only, one default
seed, three adaptive seeds, figures printed and not judged.

Run: ``python benchmarks/rb_adaptive.py [--quick] [--backends stim,qiskit:aer]``
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import statistics

try:
    from benchmarks._report import goal
except ImportError:  # run as a script: benchmarks/ is on sys.path
    from _report import goal

from qobserve.benchmarking import run_rb

LAMBDAS = (0.002, 0.01, 0.03)
DEFAULT_SHOTS = 10 * 30 * 1024


def compare(backend: str, lam: float, default_seeds: int, seeds: int) -> dict:
    noise, truth = f"depolarizing:{lam}", lam / 2
    target = statistics.median(
        run_rb(backend, (0,), noise=noise, seed=s).precision for s in range(default_seeds)
    )
    runs = [
        run_rb(backend, (0,), noise=noise, seed=1000 + s, target_precision=target)
        for s in range(seeds)
    ]
    fractions = [r.total_shots / DEFAULT_SHOTS for r in runs]
    return {
        "target": target,
        "median": statistics.median(fractions),
        "worst": max(fractions),
        "reached": sum(r.adaptive.reached for r in runs),
        "error": max(abs(r.fit.epc / truth - 1) for r in runs),
        "covered": sum(r.fit.epc_ci[0] <= truth <= r.fit.epc_ci[1] for r in runs),
        "rounds": statistics.median(r.adaptive.rounds for r in runs),
        "seeds": seeds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="stim,qiskit:aer")
    parser.add_argument("--seeds", type=int, default=10, help="adaptive runs per λ")
    parser.add_argument("--default-seeds", type=int, default=3, help="default-design runs per λ")
    parser.add_argument("--quick", action="store_true", help="stim, 1 + 3 seeds, not judged")
    args = parser.parse_args()
    backends = ["stim"] if args.quick else args.backends.split(",")
    default_seeds, seeds = (1, 3) if args.quick else (args.default_seeds, args.seeds)
    print(
        f"adaptive RB vs the default design ({DEFAULT_SHOTS:,} shots); one qubit; "
        f"target = median precision of {default_seeds} default run(s); {seeds} adaptive seeds"
    )
    for backend in backends:
        for lam in LAMBDAS:
            r = compare(backend, lam, default_seeds, seeds)
            print(
                f"{backend:11s} λ={lam:<6} target ±{r['target']:.2%}  shots/default: median "
                f"{r['median']:.2f} worst {r['worst']:.2f}  reached {r['reached']}/{r['seeds']}  "
                f"rounds {r['rounds']:g}  |EPC/truth − 1| ≤ {r['error']:.1%}  "
                f"covered {r['covered']}/{r['seeds']}"
            )
            goal(
                f"rb adaptive {backend} depolarizing:{lam}",
                f"{r['median']:.2f}x the default design's shots (worst {r['worst']:.2f}x)",
                "<= 0.5x at the default's precision",
                None if args.quick else r["median"] <= 0.5 and r["reached"] == r["seeds"],
            )


if __name__ == "__main__":
    main()
