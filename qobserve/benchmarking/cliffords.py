"""The 1- and 2-qubit Clifford groups as lookup tables, built once per process.

Elements are stim tableaus (phase-free, which is all RB needs) indexed 0..23 and
0..11519. Each element carries one decomposition into the neutral gate set
:data:`GATES` (``x z s sdg sx cx``): single-qubit parts use only Z rotations and
``sx``/``x`` pulses, so IBM-style ``rz, sx, x, cx`` backends run them without
transpiling, and two-qubit elements use the canonical classes of Corcoles et al.,
PRA 87, 030301 (2013) (single-qubit, CNOT-like, iSWAP-like, SWAP-like; at most
3 CX, 1.5 on average) instead of stim's elimination synthesis (up to 5 CX).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence

import stim

__all__ = [
    "GATES",
    "INTERLEAVABLE",
    "CliffordGroup",
    "Gate",
    "clifford_group",
    "gate_tableau",
    "neutral_word",
]

#: A neutral gate: (name, local qubit indices). Names are from :data:`GATES`.
Gate = tuple[str, tuple[int, ...]]

#: Neutral gate set and its stim names; every SDK builder maps exactly these.
GATES: dict[str, str] = {"x": "X", "z": "Z", "s": "S", "sdg": "S_DAG", "sx": "SQRT_X", "cx": "CX"}

#: Gates interleaved RB can benchmark, with their qubit count. ``cz`` and ``ecr`` are
#: outside :data:`GATES`: SDKs that have them run them natively; stim runs
#: :func:`neutral_word`, the same Clifford in the neutral set.
INTERLEAVABLE: dict[str, int] = {"x": 1, "sx": 1, "cx": 2, "cz": 2, "ecr": 2}

# ECR in Qiskit's little-endian convention (qubit 0 the least significant bit):
# ECR = (IX − XY)/√2 with X acting on qubit 1 (Qiskit's ``ECRGate`` matrix).
_ECR = [[0, 1, 0, 1j], [1, 0, -1j, 0], [0, 1j, 0, 1], [-1j, 0, 1, 0]]

_Z_TURNS: tuple[tuple[str, ...], ...] = ((), ("s",), ("z",), ("sdg",))  # rz(k·π/2), k = 0..3


def _tableau(gates: Sequence[Gate], n: int) -> stim.Tableau:
    circuit = stim.Circuit()
    circuit.append("I", list(range(n)))  # fixes the tableau width for words on fewer qubits
    for name, qubits in gates:
        circuit.append(GATES[name], list(qubits))
    return stim.Tableau.from_circuit(circuit)


def _one_qubit_words() -> list[tuple[str, ...]]:
    """Candidate words rz(a) [pulse rz(b) [sx rz(c)]], cheapest first (fewest pulses)."""
    words: list[tuple[str, ...]] = [a for a in _Z_TURNS]
    for pulse in ("x", "sx"):
        words += [(*a, pulse, *b) for a, b in itertools.product(_Z_TURNS, _Z_TURNS)]
    words += [(*a, "sx", *b, "sx", *c) for a, b, c in itertools.product(_Z_TURNS, repeat=3)]
    return words


class CliffordGroup:
    """All Cliffords on ``num_qubits`` (1 or 2) with decompositions and index lookup."""

    def __init__(self, num_qubits: int) -> None:
        if num_qubits not in (1, 2):
            raise ValueError(f"qubits: RB supports 1 or 2 qubits, got {num_qubits}")
        self.num_qubits = num_qubits
        self.tableaus: list[stim.Tableau] = []
        self.gates: list[tuple[Gate, ...]] = []
        self._index: dict[str, int] = {}
        if num_qubits == 1:
            for word in _one_qubit_words():
                self._add(tuple((g, (0,)) for g in word))
        else:
            self._build_two_qubit()
        expected = 24 if num_qubits == 1 else 11520
        if len(self.tableaus) != expected:  # pragma: no cover - construction invariant
            raise RuntimeError(f"built {len(self.tableaus)} Cliffords, expected {expected}")
        self._inverse: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self.tableaus)

    def _add(self, gates: tuple[Gate, ...], tableau: stim.Tableau | None = None) -> None:
        tableau = tableau if tableau is not None else _tableau(gates, self.num_qubits)
        key = str(tableau)
        if key not in self._index:
            self._index[key] = len(self.tableaus)
            self.tableaus.append(tableau)
            self.gates.append(gates)

    def _build_two_qubit(self) -> None:
        c1 = clifford_group(1)
        # S1: the 3-cycle subgroup X→Y→Z→X, completing the CNOT- and iSWAP-like classes.
        images = {
            (str(t.x_output(0))[1:], str(t.z_output(0))[1:]): i
            for i, t in reversed(list(enumerate(c1.tableaus)))
        }
        s1 = [images[("X", "Z")], images[("Y", "X")], images[("Z", "Y")]]
        on = [tuple((g, (q,)) for g, _ in c1.gates[i]) for q in (0, 1) for i in range(24)]
        local = [on[:24], on[24:]]
        cx01, cx10 = (("cx", (0, 1)),), (("cx", (1, 0)),)
        entanglers = [((), False), (cx01, True), (cx01 + cx10, True), (cx01 + cx10 + cx01, False)]
        tab2 = {(q, i): _tableau(local[q][i], 2) for q in (0, 1) for i in range(24)}
        heads = [
            (local[0][a] + local[1][b], tab2[(0, a)].then(tab2[(1, b)]))
            for a, b in itertools.product(range(24), repeat=2)
        ]
        for middle, with_s1 in entanglers:
            mid = _tableau(middle, 2)
            tails = itertools.product(s1, s1) if with_s1 else [(None, None)]
            for s, t in tails:
                tail_gates = () if s is None or t is None else local[0][s] + local[1][t]
                tail = mid if s is None or t is None else mid.then(tab2[(0, s)]).then(tab2[(1, t)])
                for head_gates, head in heads:
                    self._add(head_gates + middle + tail_gates, head.then(tail))

    def index(self, tableau: stim.Tableau) -> int:
        """Index of a tableau (signs included; global phase is not represented)."""
        return self._index[str(tableau)]

    def inverse(self, i: int) -> int:
        """Index of the inverse of element ``i`` (memoized)."""
        if i not in self._inverse:
            self._inverse[i] = self.index(self.tableaus[i].inverse())
        return self._inverse[i]

    def recoveries(self, sequence: Sequence[int], lengths: Sequence[int]) -> list[int]:
        """Recovery Clifford for each prefix ``sequence[:m]``, m in ``lengths``.

        The recovery inverts the product of the prefix, so an ideal run returns
        to |0…0⟩; prefixes share one running product, as in qiskit-experiments'
        StandardRB (``full_sampling=False``).
        """
        wanted = set(lengths)
        out: dict[int, int] = {}
        acc = stim.Tableau(self.num_qubits)
        tabs = self.tableaus
        if 0 in wanted:
            out[0] = self.index(acc)
        for m, idx in enumerate(sequence, start=1):
            acc = acc.then(tabs[idx])
            if m in wanted:
                out[m] = self.index(acc.inverse())
        return [out[m] for m in lengths]


@functools.cache
def clifford_group(num_qubits: int) -> CliffordGroup:
    """The process-wide group for 1 or 2 qubits, built lazily on first use."""
    return CliffordGroup(num_qubits)


@functools.cache
def gate_tableau(name: str) -> stim.Tableau:
    """The tableau of an :data:`INTERLEAVABLE` gate on local qubits 0..n-1 (0 is the control)."""
    if name == "ecr":
        return stim.Tableau.from_unitary_matrix(
            [[v / 2**0.5 for v in row] for row in _ECR], endian="little"
        )
    if name == "cz":
        return stim.Tableau.from_circuit(stim.Circuit("CZ 0 1"))
    if name not in INTERLEAVABLE:
        raise ValueError(f"interleave: expected one of {', '.join(INTERLEAVABLE)}, got {name!r}")
    return _tableau(((name, tuple(range(INTERLEAVABLE[name]))),), INTERLEAVABLE[name])


@functools.cache
def neutral_word(name: str) -> tuple[Gate, ...]:
    """An :data:`INTERLEAVABLE` gate as a word in the neutral set :data:`GATES`."""
    if name in GATES:
        return ((name, tuple(range(INTERLEAVABLE[name]))),)
    group = clifford_group(INTERLEAVABLE[name])
    return group.gates[group.index(gate_tableau(name))]
