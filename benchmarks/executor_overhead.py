"""Resilient executor: overhead per job, and success rate under transient faults.

Run: ``python benchmarks/executor_overhead.py [--jobs 300] [--fault-jobs 1000]``

1. Overhead: the same Bell circuit on the same AerSimulator, submitted bare
   (``backend.run(...).result()``) and through ``ResilientExecutor.run`` with
   default policies and no faults, interleaved in one process; medians are
   compared (goal: executor ≤ 5 % over bare).
2. Success under 30 % transient faults: the fraction of jobs that succeed with
   max_attempts = k, against the theory for independent attempts, 1 − 0.3ᵏ
   (breaker off and an ample retry budget so only the retry policy is measured;
   a second row per k uses the default breaker and retry budget).
"""

from __future__ import annotations

import argparse
import statistics
import time

from qiskit import QuantumCircuit

from qobserve.chaos import ChaosBackend, Faults
from qobserve.executor import ExecutionResult, ResilientExecutor, RetryBudget, RetryPolicy


def bell() -> QuantumCircuit:
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc


def overhead(jobs: int, shots: int) -> tuple[float, float]:
    ex = ResilientExecutor(["qiskit:aer"], seed=1)
    backend = ex.backends[0].native  # the very AerSimulator the executor uses
    qc = bell()
    for _ in range(20):  # warm-up: imports, thread pools, caches
        backend.run(qc, shots=shots).result().get_counts()
        ex.run(qc, shots=shots)
    bare, wrapped = [], []
    for _ in range(jobs):
        t = time.perf_counter()
        backend.run(qc, shots=shots).result().get_counts()
        bare.append(time.perf_counter() - t)
        t = time.perf_counter()
        ex.run(qc, shots=shots)
        wrapped.append(time.perf_counter() - t)
    return statistics.median(bare), statistics.median(wrapped)


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
    ap.add_argument("--jobs", type=int, default=300, help="jobs per arm of the overhead test")
    ap.add_argument("--shots", type=int, default=100)
    ap.add_argument("--fault-jobs", type=int, default=1000, help="jobs per success-rate row")
    args = ap.parse_args()

    bare, wrapped = overhead(args.jobs, args.shots)
    extra = wrapped / bare - 1
    print(
        f"overhead: bare {bare * 1e3:.3f} ms/job, executor {wrapped * 1e3:.3f} ms/job, "
        f"+{(wrapped - bare) * 1e6:.0f} µs = {extra:+.1%} (goal ≤ +5%: "
        f"{'met' if extra <= 0.05 else 'NOT met'})"
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
