"""Ideal-distribution lookups shared by the SDKs: dense marginals and stabilizer states.

A lookup maps measured bitstrings to ideal probabilities, keys in Qiskit's
order (clbit 0 rightmost). Each SDK module turns its circuit into a list of
``(matrix, axes)`` gates (big-endian: the first axis is the matrix's most
significant bit) on compact qubit indices and the axis each clbit reads;
:func:`ideal_from_gates` then simulates it, densely up to the qubit cap, or
through a stim tableau when every gate is Clifford (any width). A gate's
tableau comes from its unitary (``stim.Tableau.from_unitary_matrix``), so no
gate table is kept per SDK and any global phase is accepted.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

__all__ = [
    "CLIFFORD_PREFERRED_WIDTH",
    "MAX_GATE_QUBITS",
    "MAX_TABLEAU_QUBITS",
    "StabilizerIdeal",
    "TooWide",
    "Unsupported",
    "VectorIdeal",
    "bits",
    "check_gate_width",
    "ideal_from_gates",
    "stabilizer_from_gates",
]

#: From this width on, a Clifford circuit goes through stim even under the cap:
#: its tableau is O(n²) while a statevector is O(2ⁿ).
CLIFFORD_PREFERRED_WIDTH = 13
#: Widest gate turned into a tableau from its unitary (a 2ᵏ × 2ᵏ matrix).
MAX_TABLEAU_QUBITS = 3
#: Widest gate whose unitary is built at all (4¹⁰ amplitudes, 16 MiB).
MAX_GATE_QUBITS = 10

Gate = tuple[np.ndarray, Sequence[int]]


class Unsupported(ValueError):
    """The circuit's ideal distribution is not defined by its terminal measurements."""


class TooWide(ValueError):
    """The circuit is not Clifford and touches more qubits than the cap."""


def check_gate_width(name: str, qubits: int) -> None:
    """Refuse, before its unitary is built, a gate wider than :data:`MAX_GATE_QUBITS`.

    Raises:
        TooWide: ``qubits`` > ``MAX_GATE_QUBITS``.
    """
    if qubits > MAX_GATE_QUBITS:
        raise TooWide(f"gate {name} acts on {qubits} qubits > {MAX_GATE_QUBITS}")


def bits(keys: Sequence[str], nclbits: int) -> np.ndarray:
    """(len(keys), nclbits) 0/1 array, column c = clbit c (Qiskit keys put clbit 0 rightmost)."""
    rows = [k.zfill(nclbits)[::-1][:nclbits] for k in keys]
    return (
        np.frombuffer("".join(rows).encode(), dtype=np.uint8).reshape(len(keys), nclbits) - ord("0")
    ).astype(bool)


class VectorIdeal:
    """Ideal distribution as a flat probability vector (bit j of the index = clbit j)."""

    method = "statevector"

    def __init__(self, probs: np.ndarray, nbits: int) -> None:
        self._probs, self._n = probs, nbits

    def __call__(self, keys: Sequence[str]) -> np.ndarray:
        index = bits(keys, self._n).astype(np.int64) @ (1 << np.arange(self._n, dtype=np.int64))
        return self._probs[index]

    @classmethod
    def marginal(cls, probs: np.ndarray, reads: Sequence[int]) -> VectorIdeal:
        """Lookup of ``probs`` (a tensor, axis i = qubit i) read by clbits ``reads``.

        Raises:
            Unsupported: a qubit is read twice.
        """
        if len(set(reads)) != len(reads):
            raise Unsupported("a qubit is measured twice")
        rest = tuple(i for i in range(probs.ndim) if i not in reads)
        kept = probs.sum(axis=rest) if rest else probs
        # The remaining axes keep their order; put clbit 0's axis last (least significant).
        order = sorted(reads)
        kept = np.transpose(kept, [order.index(a) for a in reversed(reads)])
        return cls(kept.reshape(-1), len(reads))


class StabilizerIdeal:
    """Ideal distribution of a Clifford circuit: uniform over an affine subspace.

    A stabilizer state's Z-basis distribution is uniform over an affine subspace
    of dimension ``k``; ``k`` is found once and each observed outcome is tested
    for membership by postselection, never enumerating the ``2**k`` outcomes.

    Args:
        sim: a ``stim.TableauSimulator`` holding the circuit's final state.
        measured: qubit read by each clbit, None for a clbit never written.
    """

    method = "stim"

    def __init__(self, sim, measured: Sequence[int | None]) -> None:
        self._sim = sim
        self._measured = list(measured)
        self._reads = [q for q in measured if q is not None]
        probe, k = sim.copy(), 0
        for q in self._reads:  # each random outcome, once fixed, halves the support
            if probe.peek_z(q) == 0:
                k += 1
            probe.measure(q)
        self.dimension = k

    def _probability(self, row: np.ndarray) -> float:
        if any(row[c] for c, q in enumerate(self._measured) if q is None):
            return 0.0
        written = [bool(row[c]) for c, q in enumerate(self._measured) if q is not None]
        sim = self._sim.copy()
        try:
            for q, bit in zip(self._reads, written, strict=True):
                sim.postselect_z(q, desired_value=bit)
        except ValueError:  # the outcome is outside the support
            return 0.0
        return 2.0**-self.dimension

    def __call__(self, keys: Sequence[str]) -> np.ndarray:
        rows = bits(keys, len(self._measured))
        return np.array([self._probability(row) for row in rows])


@lru_cache(maxsize=256)
def _tableau(data: bytes, k: int):
    import stim

    matrix = np.frombuffer(data, dtype=np.complex128).reshape(2**k, 2**k)
    return stim.Tableau.from_unitary_matrix(matrix, endian="big")


def stabilizer_from_gates(
    gates: Sequence[Gate], width: int, measured: Sequence[int | None]
) -> StabilizerIdeal | None:
    """The stim lookup of ``gates`` (as :func:`ideal_from_gates` takes them), or None if
    one of them is not Clifford; ``measured`` as :class:`StabilizerIdeal` takes it."""
    import stim

    sim = stim.TableauSimulator()
    sim.set_num_qubits(width)
    for matrix, axes in gates:
        if len(axes) > MAX_TABLEAU_QUBITS:
            return None
        # Rounding makes equal gates share a cache entry despite float noise.
        key = np.round(np.asarray(matrix, dtype=np.complex128), 12) + 0.0
        try:
            tableau = _tableau(key.tobytes(), len(axes))
        except ValueError:  # not a Clifford unitary
            return None
        sim.do_tableau(tableau, list(axes))
    return StabilizerIdeal(sim, measured)


def _dense(gates: Sequence[Gate], width: int, reads: Sequence[int]) -> VectorIdeal:
    state = np.zeros((2,) * width, dtype=np.complex128)
    state[(0,) * width] = 1.0
    for matrix, axes in gates:
        k = len(axes)
        m = np.asarray(matrix, dtype=np.complex128).reshape((2,) * (2 * k))
        state = np.tensordot(m, state, axes=(list(range(k, 2 * k)), list(axes)))
        state = np.moveaxis(state, list(range(k)), list(axes))
    return VectorIdeal.marginal(np.abs(state) ** 2, reads)


def ideal_from_gates(
    gates: Sequence[Gate], width: int, reads: Sequence[int], *, max_qubits: int
) -> VectorIdeal | StabilizerIdeal:
    """The ideal distribution of ``gates`` on ``width`` qubits, read by clbits ``reads``.

    Args:
        gates: ``(unitary, axes)`` in circuit order, big-endian over ``axes``.
        width: qubits (compact indices 0 … width − 1).
        reads: qubit read by clbit j (clbit 0 is the rightmost key character).
        max_qubits: widest circuit simulated densely; wider ones must be Clifford.

    Raises:
        Unsupported: nothing is read, or a qubit is read twice.
        TooWide: not Clifford and wider than ``max_qubits``.
    """
    if not reads:
        raise Unsupported("circuit measures nothing")
    if width > max_qubits or width >= CLIFFORD_PREFERRED_WIDTH:
        if len(set(reads)) != len(reads):
            raise Unsupported("a qubit is measured twice")
        stabilizer = stabilizer_from_gates(gates, width, reads)
        if stabilizer is not None:
            return stabilizer
        if width > max_qubits:
            raise TooWide(f"{width} qubits > max_qubits={max_qubits} and not Clifford")
    return _dense(gates, width, reads)
