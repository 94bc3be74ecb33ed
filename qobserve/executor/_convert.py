"""Move a circuit between SDKs through OpenQASM so fallback can cross providers.

Routes (Qiskit is the hub because it reads and writes both QASM versions):
Qiskit → Braket: ``qiskit.qasm3.dumps(includes=[])`` (gates defined from ``U``,
which Braket's interpreter understands; it has no ``stdgates.inc``) wrapped in a
``braket.ir.openqasm.Program``. Qiskit → Cirq: ``qiskit.qasm2.dumps`` read by
``cirq.contrib.qasm_import.circuit_from_qasm`` (QASM 2 only). Cirq → others:
``cirq.qasm`` (QASM 2). OpenQASM text is parsed by Qiskit first. A construct
that does not survive a route raises :class:`ConversionError` naming it.
"""

from __future__ import annotations

import re
from typing import Any

from qobserve.semconv import Provider

__all__ = ["ConversionError", "convert", "qubit_count", "sdk_of"]

# Qiskit operations that QASM 2 (and so Cirq's importer) cannot express.
_CONTROL_FLOW = {"if_else", "while_loop", "for_loop", "switch_case", "box"}


class ConversionError(ValueError):
    """A circuit cannot be expressed for the target SDK; the message names the construct."""

    def __init__(self, target: str, construct: str, detail: str = "") -> None:
        self.target = target
        self.construct = construct
        msg = f"cannot convert the circuit for {target}: unsupported construct {construct!r}"
        super().__init__(f"{msg} ({detail})" if detail else msg)


def sdk_of(circuit: Any) -> str:
    """``qiskit``, ``braket``, ``cirq`` or ``qasm`` for an OpenQASM string."""
    if isinstance(circuit, str):
        return "qasm"
    mod = type(circuit).__module__.split(".", 1)[0]
    if mod in ("qiskit", "braket", "cirq"):
        return mod
    raise TypeError(
        f"circuit: expected a Qiskit, Braket or Cirq circuit or OpenQASM text, "
        f"got {type(circuit).__name__}"
    )


def qubit_count(circuit: Any) -> int | None:
    """Qubits of ``circuit`` for the job span (depth is left to the SDK job spans:
    Qiskit computes it by walking every gate)."""
    sdk = sdk_of(circuit)
    if sdk == "qiskit":
        return circuit.num_qubits
    if sdk == "braket":
        return circuit.qubit_count
    if sdk == "cirq":
        return len(circuit.all_qubits())
    return None


def convert(circuit: Any, provider: Provider | str) -> Any:
    """The circuit as the ``provider`` SDK's native program.

    Raises:
        ConversionError: naming the construct that has no equivalent on the route.
    """
    provider = Provider(provider)
    src = sdk_of(circuit)
    if src == provider.value:
        return circuit
    if provider is Provider.QISKIT:
        return _to_qiskit(circuit, src)
    qc = circuit if src == "qiskit" else _to_qiskit(circuit, src)
    if provider is Provider.BRAKET:
        return _qiskit_to_braket(qc)
    return _qiskit_to_cirq(qc)


def _to_qiskit(circuit: Any, src: str):
    from qiskit import qasm3

    if src == "cirq":
        import cirq

        try:
            text = cirq.qasm(circuit)
        except Exception as exc:
            raise ConversionError("qiskit", _construct(exc), _first_line(exc)) from exc
        return _load_qasm2(text)
    if src == "braket":
        from braket.circuits.serialization import IRType

        text = _braket_to_stdgates(circuit.to_ir(IRType.OPENQASM).source)
        try:
            return qasm3.loads(text)
        except Exception as exc:
            raise ConversionError("qiskit", _construct(exc), _first_line(exc)) from exc
    text = circuit.strip()
    if text.startswith("OPENQASM 3"):
        try:
            return qasm3.loads(text)
        except Exception as exc:
            raise ConversionError("qiskit", _construct(exc), _first_line(exc)) from exc
    return _load_qasm2(text)


def _load_qasm2(text: str):
    from qiskit import qasm2

    try:
        return qasm2.loads(text, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    except Exception as exc:
        raise ConversionError("qiskit", _construct(exc), _first_line(exc)) from exc


def _check_ops(qc, target: str, unsupported: set[str]) -> None:
    for inst in qc.data:
        if inst.operation.name in unsupported:
            raise ConversionError(
                target,
                inst.operation.name,
                "classical control flow has no "
                "equivalent on this route; run it on a Qiskit backend",
            )


# Qiskit standard gate → the Braket built-in with the same matrix, so a program
# uses native gates (QPUs reject gate definitions); others are defined from U.
_BRAKET_GATES = {
    "id": "i",
    "h": "h",
    "x": "x",
    "y": "y",
    "z": "z",
    "s": "s",
    "sdg": "si",
    "t": "t",
    "tdg": "ti",
    "sx": "v",
    "sxdg": "vi",
    "rx": "rx",
    "ry": "ry",
    "rz": "rz",
    "p": "phaseshift",
    "cx": "cnot",
    "cy": "cy",
    "cz": "cz",
    "cp": "cphaseshift",
    "swap": "swap",
    "ccx": "ccnot",
    "cswap": "cswap",
}
_GATE_CALL = re.compile(r"^(\s*)([a-z]+)(?=[\s(])", re.MULTILINE)


def _qiskit_to_braket(qc):
    from braket.ir.openqasm import Program
    from qiskit import qasm3

    _check_ops(qc, "braket", _CONTROL_FLOW)
    try:
        text = qasm3.dumps(qc, includes=[], basis_gates=tuple(_BRAKET_GATES))
    except Exception as exc:
        raise ConversionError("braket", _construct(exc), _first_line(exc)) from exc
    text = _GATE_CALL.sub(lambda m: m.group(1) + _BRAKET_GATES.get(m.group(2), m.group(2)), text)
    return Program(source=text)


_FROM_BRAKET = {v: k for k, v in _BRAKET_GATES.items()}


def _braket_to_stdgates(text: str) -> str:
    """Braket's built-in gate names → OpenQASM 3 ``stdgates.inc`` names Qiskit reads."""
    text = _GATE_CALL.sub(lambda m: m.group(1) + _FROM_BRAKET.get(m.group(2), m.group(2)), text)
    head, _, rest = text.partition("\n")
    return f'{head}\ninclude "stdgates.inc";\n{rest}'


def _qiskit_to_cirq(qc):
    from cirq.contrib.qasm_import import circuit_from_qasm
    from qiskit import qasm2

    _check_ops(qc, "cirq", _CONTROL_FLOW)
    try:
        text = qasm2.dumps(qc)
    except Exception as exc:
        raise ConversionError("cirq", _construct(exc), _first_line(exc)) from exc
    try:
        return circuit_from_qasm(text)
    except Exception as exc:
        raise ConversionError("cirq", _construct(exc), _first_line(exc)) from exc


_QUOTED = re.compile(r"['\"`]([A-Za-z_][\w.]*)['\"`]")


def _construct(exc: BaseException) -> str:
    """The first quoted identifier in an SDK's error message, else its class name."""
    m = _QUOTED.search(str(exc))
    return m.group(1) if m else type(exc).__name__


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
