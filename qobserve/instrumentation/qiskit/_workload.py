"""What a submitted Qiskit job asks for: shots, circuit count, width and depth.

Read from the objects the SDK already built (coerced PUBs, a QuantumProgram,
the circuits given to ``backend.run``), never by re-validating them: this runs
on every submission, so it must stay cheap and must never raise.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from typing import Any

__all__ = ["Workload", "from_program", "from_pubs", "from_run"]

# Defaults the SDK applies when neither the PUB nor the options set shots:
# BackendSamplerV2 (local mode) samples 1024, the IBM service 4096; estimators
# default to precision 1/64, i.e. 4096 shots (shots ≈ 1/precision²).
_SAMPLER_SHOTS = {True: 1024, False: 4096}
_ESTIMATOR_PRECISION = 0.015625

# id(circuit) → (weakref, len(data), depth) for circuits of at least _CACHE_FROM
# instructions. QuantumCircuit defines __eq__ and so is unhashable: key by id and
# check the weakref still points at it. Small circuits are cheaper to measure
# than to cache, and users mostly submit a fresh circuit object per job.
_depths: dict[int, tuple] = {}
_MAX_CACHED = 1024
_CACHE_FROM = 64


@dataclass(slots=True)
class Workload:
    shots: int | None
    circuits: int
    qubits: int | None
    depth: int | None
    #: The circuits as submitted (for per-job output fidelity); not copied.
    programs: list | None = None
    #: Coerced PUBs of a V2 primitive submission (estimator output checks).
    pubs: list | None = None


def _depth(circuit: Any) -> int | None:
    """``circuit.depth()``, computed in one lean pass; cached per object for large circuits."""
    try:
        size = len(circuit._data)
        if size < _CACHE_FROM:
            return _lean_depth(circuit)
        cached = _depths.get(id(circuit))
        if cached is not None and cached[0]() is circuit and cached[1] == size:
            return cached[2]
        depth = _lean_depth(circuit)
        if len(_depths) >= _MAX_CACHED:
            _depths.clear()
        _depths[id(circuit)] = (weakref.ref(circuit), size, depth)
        return depth
    except Exception:  # not a QuantumCircuit, or not weak-referenceable
        return None


def _lean_depth(circuit: Any) -> int:
    """What ``QuantumCircuit.depth()`` returns, in about a third of its time.

    The same rule (directives such as barriers synchronise the wires they touch
    without adding a layer) without its per-instruction sets and generators;
    circuits with control flow or classical variables take Qiskit's own method.
    """
    data = circuit._data
    if data.has_control_flow_op() or circuit.num_vars:
        return circuit.depth()
    depths: dict = {}
    get = depths.get
    top = 0
    for inst in data:
        wires = inst.qubits + inst.clbits
        if not wires and inst.name == "store":  # a Store on clbits: Qiskit's rules
            return circuit.depth()
        level = 0
        for wire in wires:
            if (d := get(wire, 0)) > level:
                level = d
        if not inst.is_directive():
            level += 1
            if level > top:
                top = level
        for wire in wires:
            depths[wire] = level
    return top


def _shape_size(obj: Any) -> int:
    shape = getattr(obj, "shape", ())
    try:
        return max(1, math.prod(shape))
    except TypeError:
        return 1


def _summarise(circuits: list, shots: int | None) -> Workload:
    if len(circuits) == 1:  # the common case, without the generator machinery
        return Workload(
            shots, 1, getattr(circuits[0], "num_qubits", None), _depth(circuits[0]), circuits
        )
    qubits = max((getattr(c, "num_qubits", 0) for c in circuits), default=None)
    depth = max((d for c in circuits if (d := _depth(c)) is not None), default=None)
    return Workload(shots, len(circuits), qubits, depth, circuits)


def from_pubs(program_id: str, inputs: dict, *, local: bool) -> Workload:
    """Workload of a V2 primitive submission (``inputs["pubs"]`` are coerced PUBs)."""
    pubs = list(inputs.get("pubs") or ())
    options = inputs.get("options") or {}
    if program_id == "estimator":
        default = options.get("default_precision") or _ESTIMATOR_PRECISION
        if options.get("default_shots"):
            default = 1 / math.sqrt(options["default_shots"])
        per = [math.ceil(1 / (getattr(p, "precision", None) or default) ** 2) for p in pubs]
    else:
        default = options.get("default_shots") or _SAMPLER_SHOTS[local]
        per = [getattr(p, "shots", None) or default for p in pubs]
    total = sum(s * _shape_size(p) for s, p in zip(per, pubs, strict=False))
    work = _summarise([p.circuit for p in pubs], total or None)
    work.pubs = pubs
    return work


def from_program(program: Any) -> Workload:
    """Workload of an executor QuantumProgram: ``shots`` per element of each item's shape."""
    items = list(getattr(program, "items", ()) or ())
    shots = getattr(program, "shots", None)
    total = shots * sum(_shape_size(i) for i in items) if shots else None
    return _summarise([i.circuit for i in items if hasattr(i, "circuit")], total)


def from_run(backend: Any, run_input: Any, options: dict) -> Workload:
    """Workload of ``backend.run(run_input, shots=...)``."""
    circuits = list(run_input) if isinstance(run_input, (list, tuple)) else [run_input]
    shots = options.get("shots")
    if shots is None:
        shots = getattr(getattr(backend, "options", None), "shots", None)
    return _summarise(circuits, shots * len(circuits) if shots else None)
