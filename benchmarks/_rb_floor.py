"""The CPU floor of single-qubit RB on Aer, built without any qobserve code.

Circuits equivalent to ``qobserve rb --backend qiskit:aer --qubits 0 --noise
depolarizing:λ``: per sample, random single-qubit Cliffords drawn from Qiskit's
own Clifford tables (``qiskit.quantum_info``), each followed by an ``id`` gate,
then the inverse of their product and a measurement; the noise is
``depolarizing_error(λ)`` on ``id`` in an Aer ``NoiseModel``. Aer runs them
single-threaded. Shared by ``rb_probe.py`` and ``rb_vs_qiskit_experiments.py``.
"""

from __future__ import annotations

import numpy as np


def clifford_circuits(seed: int) -> tuple[list, list]:
    """The 24 single-qubit Cliffords (as Qiskit ``Clifford``s and their circuits)."""
    from qiskit.quantum_info import random_clifford

    rng = np.random.default_rng(seed)
    group: dict = {}
    while len(group) < 24:
        c = random_clifford(1, seed=int(rng.integers(2**31)))
        group.setdefault(c.tableau.tobytes(), c)
    cliffords = list(group.values())
    return cliffords, [c.to_circuit() for c in cliffords]


def floor_circuits(lengths, samples: int, seed: int) -> list:
    """RB circuits for ``samples`` × ``lengths`` with an ``id`` after every Clifford."""
    from qiskit import QuantumCircuit
    from qiskit.quantum_info import Clifford

    cliffords, gates = clifford_circuits(seed)
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(samples):
        draw = rng.integers(len(cliffords), size=max(lengths))
        for m in lengths:
            qc = QuantumCircuit(1, 1)
            product = Clifford(QuantumCircuit(1))
            for i in draw[:m]:
                qc.compose(gates[i], inplace=True)
                qc.id(0)
                product = product.compose(cliffords[i])
            qc.compose(product.adjoint().to_circuit(), inplace=True)
            qc.id(0)
            qc.measure(0, 0)
            out.append(qc)
    return out


def floor_simulator(lam: float):
    """Single-threaded Aer with ``depolarizing_error(λ)`` on ``id``."""
    from qiskit_aer import AerSimulator
    from qiskit_aer.noise import NoiseModel, depolarizing_error

    model = NoiseModel()
    model.add_all_qubit_quantum_error(depolarizing_error(lam, 1), ["id"])
    return AerSimulator(noise_model=model, max_parallel_threads=1)
