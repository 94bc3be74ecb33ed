"""Inject a backend spec's depolarizing noise into a Braket circuit.

``qobserve.backends`` returns ``LocalSimulator("braket_dm")`` for a noisy
``braket:`` spec, but Braket simulates noise only where the circuit carries
noise instructions. :func:`apply_noise` adds them after every gate, with the
Pauli probability the spec converts to (``NoiseSpec.pauli_probability``):
``Depolarizing(p₁)`` after each one-qubit gate and ``TwoQubitDepolarizing(p₂)``
after each two-qubit gate, which is the channel ρ → (1−λ)ρ + λ·I/d that
Qiskit Aer applies for the same ``depolarizing:λ``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from braket.circuits import Circuit

    from qobserve.backends import NoiseSpec

__all__ = ["apply_noise"]


def apply_noise(circuit: Circuit, noise: NoiseSpec | None) -> Circuit:
    """A copy of ``circuit`` with depolarizing noise after every gate.

    Args:
        circuit: a Braket circuit (measurements and result types are kept).
        noise: the spec's noise; None returns the circuit unchanged.

    Returns:
        A new circuit; run it on ``LocalSimulator("braket_dm")``.

    Raises:
        ValueError: for a gate on more than two qubits, which this noise model
            does not define (decompose it first).
    """
    if noise is None or noise.strength == 0:
        return circuit
    from braket.circuits import Circuit, Gate, Instruction
    from braket.circuits.noises import Depolarizing, TwoQubitDepolarizing

    p1, p2 = noise.pauli_probability(1), noise.pauli_probability(2)
    noisy = Circuit()
    for instr in circuit.instructions:
        noisy.add_instruction(instr)
        if not isinstance(instr.operator, Gate):
            continue
        targets = list(instr.target)
        if len(targets) == 1:
            noisy.add_instruction(Instruction(Depolarizing(p1), targets))
        elif len(targets) == 2:
            noisy.add_instruction(Instruction(TwoQubitDepolarizing(p2), targets))
        else:
            raise ValueError(
                f"apply_noise: gate {instr.operator.name} acts on {len(targets)} qubits; "
                "depolarizing noise is defined for 1- and 2-qubit gates, decompose it first"
            )
    for result_type in circuit.result_types:
        noisy.add_result_type(result_type)
    return noisy
