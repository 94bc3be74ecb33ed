"""The calibration probe exports provider-reported gate and readout errors."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from qobserve.backends import parse_backend
from qobserve.exporter.probes import Target, calibration_probe
from qobserve.instrumentation.braket.device import _two_qubit_errors

GATE_ERROR = "quantum_backend_gate_error_ratio"


def test_calibration_probe_exports_provider_gate_errors():
    """fake_manila: cx on 0_1 and readout (gate=measure) per qubit, with source=provider."""
    pytest.importorskip("qiskit_ibm_runtime")
    target = Target("manila", parse_backend("qiskit:fake_manila"))
    samples = {
        tuple(sorted(s.labels)): s.value
        for s in calibration_probe(target)
        if s.metric == GATE_ERROR
    }
    base = (
        ("quantum_backend", "fake_manila"),
        ("quantum_provider", "qiskit"),
        ("source", "provider"),
    )
    props = target.device().properties()

    def key(gate, qubits):
        return tuple(sorted((*base, ("gate", gate), ("quantum_qubits", qubits))))

    assert samples[key("cx", "0_1")] == props.gate_error("cx", [0, 1])
    assert samples[key("measure", "3")] == props.readout_error(3)


def test_braket_two_qubit_fidelities_become_errors():
    """Braket standardized twoQubitGateFidelity entries give 1 - fidelity per gate and pair."""
    standardized = SimpleNamespace(
        twoQubitProperties={
            "0-1": SimpleNamespace(
                twoQubitGateFidelity=[SimpleNamespace(gateName="CZ", fidelity=0.99)]
            ),
            "a-b": SimpleNamespace(twoQubitGateFidelity=[]),
        }
    )
    assert _two_qubit_errors(standardized) == {("cz", (0, 1)): pytest.approx(0.01)}
