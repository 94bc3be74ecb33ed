"""Ideal (noiseless) output distribution of a Qiskit circuit with terminal measurements.

Two methods, chosen per circuit:

* ``statevector``: ``qiskit.quantum_info.Statevector`` of the circuit restricted
  to the qubits it touches (an ISA circuit on a 127-qubit backend usually acts
  on a few), up to ``max_qubits`` of them;
* ``stim``: circuits made only of Clifford gates (any gate whose matrix is
  Clifford: ``h``, ``sx``, ``ecr``, ``rz(π/2)``…), of any width, through a stim
  tableau (:class:`~qobserve.fidelity.lookup.StabilizerIdeal`).

Circuits with mid-circuit measurements, resets, classical control or unbound
parameters are :class:`Unsupported`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qobserve.fidelity.lookup import (
    CLIFFORD_PREFERRED_WIDTH,
    MAX_TABLEAU_QUBITS,
    StabilizerIdeal,
    TooWide,
    Unsupported,
    bits,
    stabilizer_from_gates,
)

__all__ = ["DenseIdeal", "TooWide", "Unsupported", "ideal_distribution", "stabilizer_ideal"]


@dataclass(frozen=True)
class _Terminal:
    """The unitary part of a circuit on its active qubits, and where each clbit reads."""

    ops: list  # (operation, compact qubit indices)
    width: int  # active qubits
    measured: list  # compact qubit index read by each clbit, None if never written


def _terminal(circuit) -> _Terminal:
    if circuit.parameters:
        raise Unsupported("circuit has unbound parameters")
    index = {q: i for i, q in enumerate(circuit.qubits)}
    clbit_index = {c: i for i, c in enumerate(circuit.clbits)}
    active: dict[int, int] = {}
    measured_qubit: dict[int, int] = {}
    done: set[int] = set()
    ops = []
    for inst in circuit.data:
        op, name = inst.operation, inst.operation.name
        qubits = [index[q] for q in inst.qubits]
        if name == "barrier" or name == "delay":
            continue
        if getattr(op, "condition", None) is not None or (inst.clbits and name != "measure"):
            raise Unsupported(f"classically controlled {name!r}")
        if name == "measure":
            q, c = qubits[0], clbit_index[inst.clbits[0]]
            if q in done or c in measured_qubit:
                raise Unsupported("a qubit or clbit is measured twice")
            done.add(q)
            measured_qubit[c] = active.setdefault(q, len(active))
            continue
        if name == "reset" or done.intersection(qubits):
            raise Unsupported(f"{name!r} after a measurement or a reset: not terminal measurements")
        ops.append((op, [active.setdefault(q, len(active)) for q in qubits]))
    if not measured_qubit:
        raise Unsupported("circuit measures nothing")
    return _Terminal(ops, len(active), [measured_qubit.get(c) for c in range(circuit.num_clbits)])


class DenseIdeal:
    """Ideal distribution from the statevector of the circuit's active qubits."""

    method = "statevector"

    def __init__(self, t: _Terminal) -> None:
        from qiskit import QuantumCircuit
        from qiskit.quantum_info import Statevector

        qc = QuantumCircuit(t.width)
        for op, qubits in t.ops:
            qc.append(op, qubits)
        reads = [q for q in t.measured if q is not None]
        self._probs = Statevector(qc).probabilities(qargs=reads)
        self._measured = t.measured

    def __call__(self, keys: Sequence[str]) -> np.ndarray:
        rows = bits(keys, len(self._measured))
        out = np.zeros(len(keys))
        written = [c for c, q in enumerate(self._measured) if q is not None]
        unwritten = [c for c, q in enumerate(self._measured) if q is None]
        valid = ~rows[:, unwritten].any(axis=1) if unwritten else np.ones(len(keys), bool)
        weights = 1 << np.arange(len(written), dtype=np.int64)
        idx = rows[:, written].astype(np.int64) @ weights
        out[valid] = self._probs[idx[valid]]
        return out


def stabilizer_ideal(t: _Terminal) -> StabilizerIdeal | None:
    """The stim lookup of ``t`` if every gate is Clifford (``ecr`` included), else None.

    A Qiskit gate's matrix is little-endian over its qubits, i.e. big-endian over
    them reversed, which is what :func:`~qobserve.fidelity.lookup.stabilizer_from_gates` takes.
    """
    if any(
        len(qubits) > MAX_TABLEAU_QUBITS or not hasattr(op, "to_matrix") for op, qubits in t.ops
    ):
        return None
    try:
        gates = [(op.to_matrix(), qubits[::-1]) for op, qubits in t.ops]
    except Exception:  # a gate without a matrix definition
        return None
    return stabilizer_from_gates(gates, t.width, t.measured)


def ideal_distribution(circuit, *, max_qubits: int = 20) -> DenseIdeal | StabilizerIdeal:
    """The ideal output distribution of ``circuit``, as a lookup over bitstrings.

    Args:
        circuit: a ``qiskit.QuantumCircuit`` whose measurements are all terminal.
        max_qubits: widest circuit simulated by statevector; wider ones must be Clifford.

    Raises:
        Unsupported: mid-circuit measurement, reset, classical control, unbound parameters.
        TooWide: not Clifford and more than ``max_qubits`` active qubits.
    """
    t = _terminal(circuit)
    if t.width > max_qubits or t.width >= CLIFFORD_PREFERRED_WIDTH:
        stabilizer = stabilizer_ideal(t)
        if stabilizer is not None:
            return stabilizer
        if t.width > max_qubits:
            raise TooWide(f"{t.width} active qubits > max_qubits={max_qubits} and not Clifford")
    return DenseIdeal(t)
