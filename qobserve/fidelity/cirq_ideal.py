"""Ideal distribution and counts of a Cirq circuit, in the Qiskit key convention.

Measured qubits are ordered as the circuit measures them (by moment, then the
qubit order within each measurement gate); the first is the rightmost character
of a key, as clbit 0 is in Qiskit counts. Only circuits whose measurements are
all terminal and that have no symbols are compared; the statevector covers all
the circuit's qubits, so the cap applies to all of them (no stim path here).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from qobserve.fidelity.ideal import TooWide, Unsupported, _bits

__all__ = ["cirq_counts", "cirq_ideal"]


def _measured(circuit: Any) -> list[tuple[str, int, Any]]:
    """(measurement key, index within the key, qubit) in measurement order."""
    import cirq

    order = []
    for op in circuit.all_operations():
        if cirq.is_measurement(op):
            key = cirq.measurement_key_name(op)
            order.extend((key, i, q) for i, q in enumerate(op.qubits))
    return order


class _VectorIdeal:
    method = "statevector"

    def __init__(self, probs: np.ndarray, nbits: int) -> None:
        self._probs, self._n = probs, nbits

    def __call__(self, keys: Sequence[str]) -> np.ndarray:
        bits = _bits(keys, self._n).astype(np.int64)
        return self._probs[bits @ (1 << np.arange(self._n, dtype=np.int64))]


def cirq_ideal(circuit: Any, *, max_qubits: int = 20) -> _VectorIdeal:
    """Ideal distribution of ``circuit``'s measured qubits (first measured rightmost).

    Raises:
        Unsupported: symbols, non-terminal or no measurements.
        TooWide: more than ``max_qubits`` qubits.
    """
    import cirq

    if cirq.is_parameterized(circuit):
        raise Unsupported("circuit has unresolved symbols")
    if not circuit.are_all_measurements_terminal():
        raise Unsupported("measurements are not all terminal")
    measured = _measured(circuit)
    if not measured:
        raise Unsupported("circuit measures nothing")
    qubits = sorted(circuit.all_qubits())
    if len(qubits) > max_qubits:
        raise TooWide(f"{len(qubits)} qubits > max_qubits={max_qubits}")
    state = cirq.final_state_vector(
        circuit, qubit_order=qubits, ignore_terminal_measurements=True, dtype=np.complex128
    )
    probs = np.abs(state.reshape((2,) * len(qubits))) ** 2  # axis i = qubits[i]
    axes = [qubits.index(q) for _, _, q in measured]
    if len(set(axes)) != len(axes):
        raise Unsupported("a qubit is measured twice")
    rest = tuple(i for i in range(len(qubits)) if i not in axes)
    marginal = probs.sum(axis=rest) if rest else probs
    # The remaining axes keep their original order; put the first measured qubit last
    # (least significant), so that a flat index has bit j = j-th measured qubit.
    kept = sorted(axes)
    marginal = np.transpose(marginal, [kept.index(a) for a in reversed(axes)])
    return _VectorIdeal(marginal.reshape(-1), len(axes))


def cirq_counts(result: Any, circuit: Any) -> dict[str, int]:
    """Counts of a ``cirq.Result`` keyed as :func:`cirq_ideal` orders the bits."""
    columns = [np.asarray(result.measurements[key])[:, i] for key, i, _ in _measured(circuit)]
    rows = np.stack(columns[::-1], axis=1).astype(np.uint8) + ord("0")
    return dict(Counter(row.tobytes().decode() for row in rows))
