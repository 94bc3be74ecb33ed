"""Ideal distribution and counts of a Braket circuit, and the hand-off of a local task.

The ideal is the circuit without its noise instructions (``Depolarizing``,
``AmplitudeDamping``… as ``braket_dm`` runs them, or ``apply_noise``'s):
each gate's ``to_matrix()`` (big-endian over its targets, controls first, an
integer ``power`` applied) goes to
:func:`~qobserve.fidelity.lookup.ideal_from_gates` on the circuit's qubits
(statevector up to the cap, stim for Clifford circuits of any width).
Measured qubits are the ``measure`` instructions' targets in order, or all the
circuit's qubits in ascending order (what ``LocalSimulator`` measures); counts
are re-keyed to the Qiskit convention, the first measured qubit rightmost.
Circuits with free parameters are bound to the task's ``inputs`` (in the
worker); OpenQASM and other programs are not compared.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from qobserve.fidelity.lookup import (
    StabilizerIdeal,
    Unsupported,
    VectorIdeal,
    check_gate_width,
    ideal_from_gates,
)

__all__ = ["braket_counts", "braket_ideal", "queue_local_task"]

log = logging.getLogger("qobserve.fidelity")


def _reads(circuit: Any) -> list[int]:
    """Braket qubit read by each clbit (clbit 0 = first measured)."""
    from braket.circuits.measure import Measure

    measured = [
        int(q) for i in circuit.instructions if isinstance(i.operator, Measure) for q in i.target
    ]
    return measured or sorted(int(q) for q in circuit.qubits)


def _matrix(instruction: Any) -> tuple[np.ndarray, list[int]]:
    """Unitary of a gate instruction with its modifiers, and the qubits it acts on (controls first)."""
    name = instruction.operator.name
    check_gate_width(name, len(instruction.control) + len(instruction.target))
    matrix = np.asarray(instruction.operator.to_matrix(), dtype=np.complex128)
    power = float(instruction.power)
    if power != 1:
        if not power.is_integer():
            raise Unsupported(f"gate {name} to a fractional power")
        matrix = np.linalg.matrix_power(matrix, int(power))
    controls = [int(q) for q in instruction.control]
    if controls:
        full = np.eye(2 ** len(controls) * matrix.shape[0], dtype=np.complex128)
        block = int(instruction.control_state.as_int) * matrix.shape[0]
        full[block : block + matrix.shape[0], block : block + matrix.shape[0]] = matrix
        matrix = full
    return matrix, controls + [int(q) for q in instruction.target]


def braket_ideal(circuit: Any, *, max_qubits: int = 20) -> VectorIdeal | StabilizerIdeal:
    """Ideal distribution of a ``braket.circuits.Circuit``'s measured qubits.

    Raises:
        Unsupported: not a Circuit, free parameters, or an instruction that is
            neither a gate, a noise channel, a measurement nor a compiler directive.
        TooWide: not Clifford and more than ``max_qubits`` qubits, or a gate
            (with its controls) on more than ``MAX_GATE_QUBITS``.
    """
    from braket.circuits import Circuit, CompilerDirective, Gate, Noise
    from braket.circuits.measure import Measure

    if not isinstance(circuit, Circuit):
        raise Unsupported(f"{type(circuit).__name__} is not a braket Circuit")
    if circuit.parameters:
        raise Unsupported("circuit has free parameters")
    index = {int(q): i for i, q in enumerate(sorted(int(q) for q in circuit.qubits))}
    gates = []
    for instruction in circuit.instructions:
        op = instruction.operator
        if isinstance(op, (Noise, Measure, CompilerDirective)):
            continue
        if not isinstance(op, Gate):
            raise Unsupported(f"instruction {type(op).__name__} has no unitary")
        matrix, qubits = _matrix(instruction)
        gates.append((matrix, [index[q] for q in qubits]))
    reads = [index[q] for q in _reads(circuit)]
    return ideal_from_gates(gates, len(index), reads, max_qubits=max_qubits)


def braket_counts(result: Any, circuit: Any) -> dict[str, int] | None:
    """Counts of a ``GateModelQuantumTaskResult`` keyed as :func:`braket_ideal` orders the bits
    (None for a task without shots).

    Raises:
        Unsupported: the task measured other qubits than the circuit says.
    """
    if result.measurements is None:  # a shots=0 task: exact result types, nothing sampled
        return None
    measured = [int(q) for q in result.measured_qubits]
    reads = _reads(circuit)
    if sorted(measured) != sorted(reads):
        raise Unsupported(f"task measured qubits {measured}, circuit reads {reads}")
    shots = np.asarray(result.measurements, dtype=np.uint8)
    columns = [shots[:, measured.index(q)] for q in reversed(reads)]
    rows = np.stack(columns, axis=1) + ord("0")
    return dict(Counter(row.tobytes().decode() for row in rows))


class _Bound(Sequence):
    """The tasks' circuits, bound to their ``inputs`` when read (in the worker, not on the call)."""

    def __init__(self, circuits: list, inputs: Any) -> None:
        self._circuits = circuits
        self._inputs = inputs if isinstance(inputs, (list, tuple)) else [inputs] * len(circuits)

    def __len__(self) -> int:
        return len(self._circuits)

    def __getitem__(self, i: int) -> Any:  # type: ignore[override]
        circuit, inputs = self._circuits[i], self._inputs[i]
        if inputs and getattr(circuit, "parameters", None):
            return circuit.make_bound_circuit(inputs)
        return circuit


def queue_local_task(
    fidelity: Any, record: Any, backend: str, specs: Any, results: Sequence, inputs: Any = None
) -> None:
    """Hand a finished ``LocalSimulator`` run or batch to the output-fidelity worker.

    Never raises: a failure here is logged and the user's call goes on.

    Args:
        fidelity: the instrumentor's :class:`~qobserve.fidelity.FidelityRecorder`.
        record: the job's record (its span is linked).
        backend: the ``quantum_backend`` label (``braket_sv``, ``braket_dm``).
        specs: the task specification, or the batch's list of them.
        results: the task results, in the same order (converted in the worker).
        inputs: values of the circuits' free parameters, one dict or one per task.
    """
    try:
        circuits = list(specs) if isinstance(specs, (list, tuple)) else [specs]
        fidelity.submit(
            "braket",
            backend,
            record,
            _Bound(circuits, inputs),
            lambda: [braket_counts(r, c) for r, c in zip(results, circuits, strict=False)],
            ideal=braket_ideal,
        )
    except Exception:  # telemetry must never change what the user's call returns
        log.debug("qobserve: cannot queue output fidelity", exc_info=True)
