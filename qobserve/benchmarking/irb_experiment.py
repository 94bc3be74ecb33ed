"""Interleaved RB, the experiment half: the reference and the interleaved sequences.

Magesan et al., PRL 109, 080505 (2012), as qiskit-experiments' ``InterleavedRB``
builds it: the reference circuits are standard RB's; the interleaved circuit of
length m runs the *same* m random Cliffords with the benchmarked gate G after
each (C₁, G, C₂, G, …, C_m, G) and a recovery Clifford that inverts that whole
product, so an ideal run still returns to |0…0⟩. Sharing the draws pairs each
interleaved sequence with its reference, and the analysis
(:mod:`qobserve.benchmarking.irb_analysis`) resamples the pairs together.

In an :class:`~qobserve.benchmarking.rb_experiment.RBCircuit` the gate's layer
carries the index :data:`GATE_INDEX`; SDK builders add the injected noise after
every layer, so ``depolarizing:λ`` acts once after every Clifford *and* once
after every interleaved gate.
"""

from __future__ import annotations

from dataclasses import dataclass

import stim

from qobserve.benchmarking.cliffords import INTERLEAVABLE, clifford_group, gate_tableau
from qobserve.benchmarking.rb_experiment import RBCircuit, RBExperiment

__all__ = ["GATE_INDEX", "InterleavedRBExperiment"]

#: ``RBCircuit.cliffords`` entry of the interleaved gate (Clifford indices are ≥ 0).
GATE_INDEX = -1


@dataclass(frozen=True)
class InterleavedRBExperiment:
    """Reference and interleaved sequences for one gate on the RB qubits.

    Args:
        reference: the standard RB design (qubits, lengths, samples, seed).
        gate: one of ``x``, ``sx`` (one qubit), ``cx``, ``cz``, ``ecr`` (two; the first
            RB qubit is the control).
    """

    reference: RBExperiment
    gate: str

    def __post_init__(self) -> None:
        if self.gate not in INTERLEAVABLE:
            raise ValueError(
                f"interleave: expected one of {', '.join(INTERLEAVABLE)}, got {self.gate!r}"
            )
        if INTERLEAVABLE[self.gate] != self.reference.num_qubits:
            n = INTERLEAVABLE[self.gate]
            raise ValueError(
                f"interleave: {self.gate} acts on {n} qubit{'s' if n > 1 else ''}; "
                f"pass --qubits with {'two coupled qubits, e.g. 0,1' if n > 1 else 'one qubit, e.g. 0'}"
            )

    def gate_layer(self) -> tuple:
        """The gate as one layer on local qubits (its native name; builders map it)."""
        return ((self.gate, tuple(range(INTERLEAVABLE[self.gate]))),)

    def interleaved_sequences(self) -> list[tuple[int, int, tuple[int, ...]]]:
        """(sample, length, entries): C₁, G, …, C_m, G, recovery, with G as :data:`GATE_INDEX`."""
        group = clifford_group(self.reference.num_qubits)
        g = gate_tableau(self.gate)
        lengths = self.reference.lengths or ()
        wanted = set(lengths)
        out = []
        for sample, draw in enumerate(self.reference.draws()):
            acc = stim.Tableau(self.reference.num_qubits)
            recovery = {0: group.index(acc)} if 0 in wanted else {}
            for m, idx in enumerate(draw, start=1):
                acc = acc.then(group.tableaus[idx]).then(g)
                if m in wanted:
                    recovery[m] = group.index(acc.inverse())
            for m in lengths:
                body = tuple(x for idx in draw[:m] for x in (idx, GATE_INDEX))
                out.append((sample, m, (*body, recovery[m])))
        return out

    def circuits(self) -> tuple[list[RBCircuit], list[RBCircuit]]:
        """Neutral circuits: (reference, interleaved), each sample-major as in RB."""
        gates = clifford_group(self.reference.num_qubits).gates
        layer = self.gate_layer()
        interleaved = [
            RBCircuit(sample, m, seq, tuple(layer if i == GATE_INDEX else gates[i] for i in seq))
            for sample, m, seq in self.interleaved_sequences()
        ]
        return self.reference.circuits(), interleaved
