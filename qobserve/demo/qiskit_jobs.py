"""Demo stage: Qiskit jobs on a fake IBM backend, some failing for real.

Every ``fail_every``-th job is a 40-qubit non-Clifford circuit that Aer refuses
for lack of memory, a genuine simulator failure rather than a mocked one.
"""

from __future__ import annotations

from qobserve.backends import parse_backend

SHOTS = 256


def _circuits(backend, seed: int):
    from qiskit import QuantumCircuit, transpile

    bell = QuantumCircuit(2)
    bell.h(0)
    bell.cx(0, 1)
    bell.measure_all()
    too_big = QuantumCircuit(40)
    too_big.rx(0.3, range(40))
    for q in range(39):
        too_big.cx(q, q + 1)
    too_big.measure_all()
    return transpile(bell, backend, seed_transpiler=seed), too_big


def run(ctx) -> None:
    opts = ctx.options
    backend = parse_backend("qiskit:fake_manila").load(seed=opts.seed)
    good, bad = _circuits(backend, opts.seed)
    task = ctx.progress.add_task("  jobs", total=opts.jobs)
    for i in range(1, opts.jobs + 1):
        failing = opts.fail_every and i % opts.fail_every == 0
        job = backend.run(bad if failing else good, shots=SHOTS, seed_simulator=opts.seed + i)
        job.result()  # a failed simulation returns success=False; instrumentation records it
        ctx.progress.advance(task)
    ctx.progress.remove_task(task)
