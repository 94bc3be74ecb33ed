"""Standard Clifford RB, the experiment half: seeded sequences → neutral circuits.

Mirrors qiskit-experiments' ``StandardRB``: for each of ``num_samples`` samples a
seeded generator draws ``max(lengths)`` Cliffords uniformly from the group; the
circuit of length m is the first m of them plus the recovery Clifford that
inverts their product (so sequences of one sample are nested prefixes), then a
measurement of every RB qubit. Circuits are SDK-neutral (:class:`RBCircuit`,
one gate tuple per Clifford); :mod:`qobserve.benchmarking.circuits` builds them
natively for Qiskit, Braket, Cirq and stim. The analysis half,
:mod:`qobserve.benchmarking.rb_analysis`, only needs the survival
probabilities, so stored data can be re-fit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from qobserve.benchmarking.cliffords import Gate, clifford_group

__all__ = ["DEFAULT_LENGTHS", "RBCircuit", "RBExperiment", "qubits_label"]

#: Default lengths per qubit count; 2-qubit Cliffords are ~15x noisier, so shorter.
DEFAULT_LENGTHS: dict[int, tuple[int, ...]] = {
    1: (1, 10, 20, 50, 75, 100, 125, 150, 175, 200),
    2: (1, 5, 10, 20, 30, 45, 60, 80, 100),
}


def qubits_label(qubits: Sequence[int]) -> str:
    """The ``quantum_qubits`` label value: ``0`` or ``0_1``."""
    return "_".join(str(q) for q in qubits)


@dataclass(frozen=True)
class RBCircuit:
    """One RB sequence: the Cliffords' neutral gates on local qubits 0..n-1.

    Attributes:
        sample: index of the random sample (nested prefixes share it).
        length: m, the number of random Cliffords (the recovery is not counted).
        cliffords: Clifford indices, recovery last (m + 1 entries; 2m + 1 in interleaved
            RB, the gate's layers marked ``irb_experiment.GATE_INDEX``).
        layers: one gate tuple per Clifford, aligned with ``cliffords``.
    """

    sample: int
    length: int
    cliffords: tuple[int, ...]
    layers: tuple[tuple[Gate, ...], ...] = field(repr=False)


@dataclass(frozen=True)
class RBExperiment:
    """Sequence generation for standard RB on 1 or 2 physical qubits.

    Args:
        qubits: physical qubits, e.g. ``(0,)`` or ``(0, 1)``.
        lengths: Clifford counts m; distinct, non-negative.
        num_samples: random sequences per length.
        seed: seeds the sequence draw (same seed, same circuits).
    """

    qubits: tuple[int, ...]
    lengths: tuple[int, ...] | None = None
    num_samples: int = 30
    seed: int | None = None

    def __post_init__(self) -> None:
        qubits = tuple(int(q) for q in self.qubits)
        if len(qubits) not in (1, 2) or len(set(qubits)) != len(qubits) or min(qubits) < 0:
            raise ValueError(
                f"qubits: expected 1 or 2 distinct non-negative qubit indices, got {self.qubits!r}"
            )
        lengths = (
            DEFAULT_LENGTHS[len(qubits)]
            if self.lengths is None
            else tuple(int(m) for m in self.lengths)
        )
        if not lengths or min(lengths) < 0 or len(set(lengths)) != len(lengths):
            raise ValueError(
                f"lengths: expected distinct non-negative Clifford counts, got {self.lengths!r}"
            )
        if self.num_samples < 1:
            raise ValueError(
                f"samples: need at least 1 sequence per length, got {self.num_samples}"
            )
        object.__setattr__(self, "qubits", qubits)
        object.__setattr__(self, "lengths", tuple(sorted(lengths)))

    @property
    def num_qubits(self) -> int:
        return len(self.qubits)

    @property
    def dimension(self) -> int:
        return 2**self.num_qubits

    @property
    def label(self) -> str:
        return qubits_label(self.qubits)

    def draws(self) -> list[list[int]]:
        """The ``max(lengths)`` random Clifford indices of each sample (seeded)."""
        group = clifford_group(self.num_qubits)
        rng = np.random.default_rng(self.seed)
        return [
            rng.integers(len(group), size=max(self.lengths or (0,))).tolist()
            for _ in range(self.num_samples)
        ]

    def sequences(self) -> list[tuple[int, int, tuple[int, ...]]]:
        """(sample, length, Clifford indices with the recovery last), sample-major."""
        group = clifford_group(self.num_qubits)
        lengths = self.lengths or ()
        out: list[tuple[int, int, tuple[int, ...]]] = []
        for sample, draw in enumerate(self.draws()):
            recoveries = group.recoveries(draw, lengths)
            out.extend(
                (sample, m, (*tuple(draw[:m]), rec))
                for m, rec in zip(lengths, recoveries, strict=False)
            )
        return out

    def circuits(self) -> list[RBCircuit]:
        """Neutral circuits for every (sample, length), in :meth:`sequences` order."""
        gates = clifford_group(self.num_qubits).gates
        return [
            RBCircuit(sample, m, seq, tuple(gates[i] for i in seq))
            for sample, m, seq in self.sequences()
        ]
