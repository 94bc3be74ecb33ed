"""Neutral RB circuits → native Qiskit, Braket, Cirq and stim circuits.

Each builder maps the neutral gate set (``x z s sdg sx cx``) one to one, plus the
interleaved-RB gates ``cz`` and ``ecr`` where the SDK has them, and, when a
depolarizing strength λ is given, appends the SDK's depolarizing channel once
after every layer: every Clifford (recovery included) and every interleaved
gate, so the true error per Clifford is exactly λ(d − 1)/d whatever the
Clifford's gate count. The circuits of one sample
are nested prefixes, so the shared prefix is built once and copied.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from qobserve.backends import NoiseSpec
from qobserve.benchmarking.cliffords import GATES, Gate, neutral_word
from qobserve.benchmarking.rb_experiment import RBCircuit

__all__ = ["LAYER_LABEL", "layer_noise_model", "to_braket", "to_cirq", "to_qiskit", "to_stim"]

MEASURE_KEY = "m"
#: Label of the one-unitary-per-layer Qiskit instructions (``to_qiskit(unitaries=True)``),
#: which :func:`layer_noise_model` attaches the injected noise to.
LAYER_LABEL = "qobserve_rb_layer"


def _build(
    circuits: Sequence[RBCircuit],
    new: Callable[[], Any],
    copy: Callable[[Any], Any],
    add_layer: Callable[[Any, tuple[Gate, ...]], None],
    finish: Callable[[Any], Any],
) -> list[Any]:
    """Build each circuit from a per-sample running prefix (copy + recovery + measure)."""
    out: list[Any] = []
    base: Any = None
    built: tuple[int, ...] = ()
    for c in circuits:
        prefix = c.cliffords[:-1]
        if base is None or prefix[: len(built)] != built:
            base, built = new(), ()
        for layer in c.layers[len(built) : len(c.layers) - 1]:
            add_layer(base, layer)
        built = prefix
        circuit = copy(base)
        add_layer(circuit, c.layers[-1])
        out.append(finish(circuit))
    return out


def to_qiskit(
    circuits: Sequence[RBCircuit],
    qubits: Sequence[int],
    *,
    width: int | None = None,
    noise: NoiseSpec | None = None,
    rz_basis: bool = False,
    barriers: bool = False,
    unitaries: bool = False,
) -> list:
    """Qiskit circuits on physical ``qubits`` of a ``width``-qubit register.

    Args:
        rz_basis: express s/sdg/z as ``rz`` (IBM ``rz, sx, x, cx`` basis, no transpile).
        barriers: a barrier after each Clifford, so a transpiler cannot merge them.
        noise: Aer ``depolarizing_error(λ)`` as a circuit instruction after each Clifford.
        unitaries: for Aer, each layer (a Clifford, or the interleaved gate) as one
            unitary labelled :data:`LAYER_LABEL`; injected noise then comes from
            :func:`layer_noise_model` and ``noise`` must be None. Aer converts every
            instruction to its C++ form in Python (a channel instruction at great
            cost, 1.3-1.75x the run): one instruction per Clifford instead of gates
            plus a channel runs the default design in under half the time.
    """
    from qiskit import QuantumCircuit
    from qiskit.circuit import CircuitInstruction
    from qiskit.circuit.library import (
        Barrier,
        CXGate,
        CZGate,
        ECRGate,
        RZGate,
        SdgGate,
        SGate,
        SXGate,
        XGate,
        ZGate,
    )

    if unitaries and noise is not None:
        raise ValueError("noise: with unitaries, inject noise through layer_noise_model()")
    ops = {
        "x": XGate(),
        "sx": SXGate(),
        "cx": CXGate(),
        "s": SGate(),
        "sdg": SdgGate(),
        "z": ZGate(),
        "cz": CZGate(),
        "ecr": ECRGate(),
    }
    if rz_basis:
        ops.update(s=RZGate(math.pi / 2), sdg=RZGate(-math.pi / 2), z=RZGate(math.pi))
    k = len(qubits)
    width = width if width is not None else max(qubits) + 1
    template = QuantumCircuit(width, k)
    phys = [template.qubits[q] for q in qubits]
    tail = []
    if noise is not None:
        from qiskit_aer.noise import depolarizing_error

        tail.append(
            CircuitInstruction(depolarizing_error(noise.strength, k).to_instruction(), tuple(phys))
        )
    if barriers:
        tail.append(CircuitInstruction(Barrier(k), tuple(phys)))

    cache: dict[int, list] = {}  # layers are the group's shared tuples: one entry per Clifford

    def instructions(layer) -> list:
        gates = [
            CircuitInstruction(ops[name], tuple(phys[i] for i in local)) for name, local in layer
        ]
        if not unitaries:
            return gates + tail
        from qiskit.circuit.library import UnitaryGate
        from qiskit.quantum_info import Operator

        local = QuantumCircuit(k)
        for name, where in layer:
            local.append(ops[name], [local.qubits[i] for i in where])
        unitary = UnitaryGate(Operator(local).data, label=LAYER_LABEL, check_input=False)
        return [CircuitInstruction(unitary, tuple(phys)), *tail]

    def add_layer(qc, layer):
        insts = cache.get(id(layer))
        if insts is None:
            insts = cache[id(layer)] = instructions(layer)
        for inst in insts:
            qc._append(inst)

    def finish(qc):
        qc.measure(phys, template.clbits)
        return qc

    return _build(circuits, template.copy_empty_like, lambda qc: qc.copy(), add_layer, finish)


def layer_noise_model(noise: NoiseSpec, num_qubits: int) -> Any:
    """An Aer noise model putting ``depolarizing_error(λ)`` after every :data:`LAYER_LABEL` unitary."""
    from qiskit_aer.noise import NoiseModel, depolarizing_error

    model = NoiseModel()
    model.add_all_qubit_quantum_error(depolarizing_error(noise.strength, num_qubits), LAYER_LABEL)
    return model


def to_braket(
    circuits: Sequence[RBCircuit], qubits: Sequence[int], *, noise: NoiseSpec | None = None
) -> list:
    """Braket circuits; noise as ``Depolarizing``/``TwoQubitDepolarizing`` with p = λ(d²−1)/d²."""
    from braket.circuits import Circuit, Instruction, gates, noises

    ops = {
        "x": gates.X(),
        "z": gates.Z(),
        "s": gates.S(),
        "sdg": gates.Si(),
        "sx": gates.V(),
        "cx": gates.CNot(),
        "cz": gates.CZ(),
        "ecr": gates.ECR(),
    }
    k = len(qubits)
    tail = []
    if noise is not None:
        p = noise.pauli_probability(k)
        tail.append(
            Instruction(
                noises.Depolarizing(p) if k == 1 else noises.TwoQubitDepolarizing(p), list(qubits)
            )
        )

    def add_layer(insts, layer):
        insts.extend(Instruction(ops[name], [qubits[i] for i in local]) for name, local in layer)
        insts.extend(tail)

    return _build(circuits, list, list.copy, add_layer, lambda insts: Circuit(insts))


def to_cirq(
    circuits: Sequence[RBCircuit],
    qubits: Sequence[Any],
    *,
    noise: NoiseSpec | None = None,
    google_native: bool = False,
) -> list:
    """Cirq circuits on ``qubits`` (cirq qubits); noise as ``cirq.depolarize(p, n)``, p = λ(d²−1)/d².

    Args:
        google_native: compile each Clifford as a Google processor runs it: its
            single-qubit runs merged into one ``PhasedXZGate`` (a virtual ``Z`` when
            diagonal) and CX as CZ. The device noise of a Google virtual engine is
            defined on exactly these gates (``GoogleNoiseProperties``), so a circuit
            in other gate types would see almost none of it.
    """
    import cirq

    one = {"x": cirq.X, "z": cirq.Z, "s": cirq.S, "sdg": cirq.S**-1, "sx": cirq.X**0.5}
    two = {"cx": cirq.CNOT, "cz": cirq.CZ}
    k = len(qubits)
    tail = (
        []
        if noise is None
        else [cirq.depolarize(noise.pauli_probability(k), n_qubits=k).on(*qubits)]
    )
    cache: dict[int, list] = {}  # layers are the group's shared tuples: one entry per Clifford

    def native(layer) -> list:
        ops = cache.get(id(layer))
        if ops is None:
            ops = cache[id(layer)] = _google_native(layer, qubits)
        return ops

    def add_layer(moments, layer):
        if google_native:
            moments.extend(native(layer))
        else:
            moments.extend(
                one[name].on(*[qubits[i] for i in local])
                if name in one
                else two[name](*[qubits[i] for i in local])
                for name, local in layer
            )
        moments.extend(tail)

    def finish(op_list):
        return cirq.Circuit([*op_list, cirq.measure(*qubits, key=MEASURE_KEY)])

    return _build(circuits, list, list.copy, add_layer, finish)


def _google_native(layer: tuple[Gate, ...], qubits: Sequence[Any]) -> list:
    """One Clifford in Google's native gates: merged single-qubit runs, CZ for CX.

    CX(c, t) = H_t · CZ · H_t; the Hadamards join the neighbouring single-qubit
    runs, so each run between entanglers is one ``PhasedXZGate`` (Z-only runs
    become a virtual ``Z**t``, which the device does in software, error free).
    """
    import cirq
    import numpy as np

    mats = {
        "x": cirq.unitary(cirq.X),
        "z": cirq.unitary(cirq.Z),
        "s": cirq.unitary(cirq.S),
        "sdg": cirq.unitary(cirq.S**-1),
        "sx": cirq.unitary(cirq.X**0.5),
    }
    hadamard = cirq.unitary(cirq.H)
    pending = [np.eye(2, dtype=complex) for _ in qubits]
    out: list = []

    def flush(i: int) -> None:
        u, pending[i] = pending[i], np.eye(2, dtype=complex)
        if abs(abs(u[0, 0]) - 1) < 1e-9:  # diagonal: identity or a Z rotation
            turns = float(np.angle(u[1, 1] / u[0, 0]) / np.pi)
            if abs(turns) > 1e-9:
                out.append(cirq.Z(qubits[i]) ** round(turns, 12))
            return
        gate = cirq.PhasedXZGate.from_matrix(u)
        out.append(gate.on(qubits[i]))

    for name, local in layer:
        if name == "cz":
            flush(local[0])
            flush(local[1])
            out.append(cirq.CZ(qubits[local[0]], qubits[local[1]]))
        elif name == "cx":
            c, t = local
            pending[t] = hadamard @ pending[t]
            flush(c)
            flush(t)
            out.append(cirq.CZ(qubits[c], qubits[t]))
            pending[t] = hadamard @ pending[t]
        else:
            (i,) = local
            pending[i] = mats[name] @ pending[i]
    for i in range(len(qubits)):
        flush(i)
    return out


def _stim_line(name: str, local: tuple[int, ...]) -> str:
    """A neutral gate in stim's text; ``cz``/``ecr`` as their word in the neutral set."""
    if name in GATES:
        return f"{GATES[name]} {' '.join(map(str, local))}\n"
    return "".join(
        f"{GATES[g]} {' '.join(str(local[i]) for i in sub)}\n" for g, sub in neutral_word(name)
    )


def to_stim(
    circuits: Sequence[RBCircuit],
    num_qubits: int,
    *,
    depolarizing: float = 0.0,
    readout_error: float = 0.0,
) -> list:
    """stim circuits on qubits 0..n-1.

    Args:
        depolarizing: stim's DEPOLARIZE1/DEPOLARIZE2 probability p after each Clifford
            (error per Clifford 2p/3 for one qubit, 4p/5 for two).
        readout_error: probability that each measured bit is flipped.
    """
    import stim

    targets = " ".join(str(q) for q in range(num_qubits))
    noise = f"DEPOLARIZE{num_qubits}({depolarizing!r}) {targets}\n" if depolarizing else ""
    measure = f"M({readout_error!r}) {targets}\n" if readout_error else f"M {targets}\n"
    # stim parses text in C++ far faster than it appends instruction by instruction.
    text: dict[int, str] = {}
    out = []
    for c in circuits:
        for idx, layer in zip(c.cliffords, c.layers, strict=False):
            if idx not in text:
                text[idx] = "".join(_stim_line(name, local) for name, local in layer) + noise
        out.append(stim.Circuit("".join(text[i] for i in c.cliffords) + measure))
    return out
