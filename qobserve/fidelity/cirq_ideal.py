"""Ideal distribution and counts of a Cirq circuit, in the Qiskit key convention.

Measured qubits are ordered as the circuit measures them (by moment, then the
qubit order within each measurement gate); the first is the rightmost character
of a key, as clbit 0 is in Qiskit counts. Only circuits whose measurements are
all terminal and that have no symbols are compared; noise channels written
into the circuit (mixtures of unitaries such as ``cirq.depolarize``) are left
out of the ideal. Each operation's unitary
(``cirq.unitary``) goes to :func:`~qobserve.fidelity.lookup.ideal_from_gates`:
a statevector over all the circuit's qubits up to the cap, or a stim tableau
when every operation is Clifford (any width; ``cirq.H``, ``CNOT``, ``S``,
``X**0.5``, ``CZ``, ``ISWAP``… whatever their global phase).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from qobserve.fidelity.lookup import (
    StabilizerIdeal,
    Unsupported,
    VectorIdeal,
    check_gate_width,
    ideal_from_gates,
)

__all__ = ["cirq_counts", "cirq_ideal"]


def _measured(circuit: Any) -> list[tuple[str, int, Any]]:
    """(measurement key, index within the key, qubit) in measurement order."""
    import cirq

    order: list[tuple[str, int, Any]] = []
    for op in circuit.all_operations():
        if cirq.is_measurement(op):
            key = cirq.measurement_key_name(op)
            order.extend((key, i, q) for i, q in enumerate(op.qubits))
    return order


def cirq_ideal(circuit: Any, *, max_qubits: int = 20) -> VectorIdeal | StabilizerIdeal:
    """Ideal distribution of ``circuit``'s measured qubits (first measured rightmost).

    Raises:
        Unsupported: symbols, non-terminal or no measurements, a reset or damping.
        TooWide: not Clifford and more than ``max_qubits`` qubits, or an
            operation on more than ``MAX_GATE_QUBITS``.
    """
    import cirq

    if cirq.is_parameterized(circuit):
        raise Unsupported("circuit has unresolved symbols")
    if not circuit.are_all_measurements_terminal():
        raise Unsupported("measurements are not all terminal")
    index = {q: i for i, q in enumerate(sorted(circuit.all_qubits()))}
    gates = []
    for op in circuit.all_operations():
        if cirq.is_measurement(op):
            continue
        check_gate_width(str(op.gate or op), len(op.qubits))
        unitary = cirq.unitary(op, None)
        if unitary is None and cirq.has_mixture(op):  # a noise channel: not in the ideal
            continue
        if unitary is None:
            raise Unsupported(f"{op!r} has no unitary")
        gates.append((unitary, [index[q] for q in op.qubits]))
    reads = [index[q] for _, _, q in _measured(circuit)]
    return ideal_from_gates(gates, len(index), reads, max_qubits=max_qubits)


def cirq_counts(result: Any, circuit: Any) -> dict[str, int]:
    """Counts of a ``cirq.Result`` keyed as :func:`cirq_ideal` orders the bits."""
    columns = [np.asarray(result.measurements[key])[:, i] for key, i, _ in _measured(circuit)]
    rows = np.stack(columns[::-1], axis=1).astype(np.uint8) + ord("0")
    return dict(Counter(row.tobytes().decode() for row in rows))
