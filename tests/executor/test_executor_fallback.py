"""Fallback across SDKs through OpenQASM, on the real local simulators of each SDK."""

from __future__ import annotations

import pytest

from qobserve.chaos import ChaosBackend, Faults, Ledger
from qobserve.executor import ConversionError, ResilientExecutor, RetryPolicy
from qobserve.executor._convert import convert

_DOWN = Faults(outage={"after_jobs": 0, "for_jobs": 1000})


def test_qiskit_to_braket_to_cirq_fallback(bell, otel):
    """Qiskit and Braket are offline: a Qiskit circuit runs on Cirq, counting two fallbacks."""
    ledger = Ledger()
    ex = ResilientExecutor(
        [
            ChaosBackend("qiskit:aer", _DOWN, ledger=ledger),
            ChaosBackend("braket:local", _DOWN, ledger=ledger),
            ChaosBackend("cirq:simulator", ledger=ledger),
        ],
        gates={"require_operational": False},
        **otel.providers,
    )
    result = ex.run(bell, shots=200)
    p = result.provenance
    assert (p.backend, p.provider) == ("cirq_simulator", "cirq")
    assert [a.backend for a in p.attempts] == ["aer_simulator", "braket_sv", "cirq_simulator"]
    assert p.fallbacks == 2
    assert set(result.counts) <= {"00", "11"} and sum(result.counts.values()) == 200
    assert (
        otel.value("quantum.job.fallbacks", from_backend="aer_simulator", to_backend="braket_sv")
        == 1
    )
    assert (
        otel.value("quantum.job.fallbacks", from_backend="braket_sv", to_backend="cirq_simulator")
        == 1
    )


def test_qiskit_to_braket_fallback_runs_on_braket(bell):
    """With Qiskit down the same circuit runs on the Braket local simulator as OpenQASM 3."""
    ex = ResilientExecutor(
        [ChaosBackend("qiskit:aer", _DOWN), "braket:local", "cirq:simulator"],
        gates={"require_operational": False},
    )
    result = ex.run(bell, shots=100)
    assert result.provenance.backend == "braket_sv"
    assert set(result.counts) <= {"00", "11"}


@pytest.mark.parametrize("spec", ["qiskit:aer", "braket:local", "cirq:simulator"])
def test_counts_use_one_bit_order_on_every_sdk(x0, spec):
    """X on qubit 0 of three reads '001' (bit 0 rightmost) whichever SDK ran it."""
    assert ResilientExecutor([spec]).run(x0, shots=20).counts == {"001": 20}


def _native(sdk: str):
    if sdk == "cirq":
        import cirq

        q = cirq.LineQubit.range(3)
        return cirq.Circuit(cirq.X(q[0]), cirq.measure(*q, key="m"))
    from braket.circuits import Circuit

    return Circuit().x(0).i(1).i(2)


@pytest.mark.parametrize("sdk", ["cirq", "braket"])
@pytest.mark.parametrize("spec", ["qiskit:aer", "braket:local", "cirq:simulator"])
def test_native_circuits_of_each_sdk_cross_over(sdk, spec):
    """Cirq and Braket circuits run on every SDK's simulator with the same counts."""
    assert ResilientExecutor([spec]).run(_native(sdk), shots=10).counts == {"001": 10}


def _feed_forward():
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(1, 1)
    qc.h(0)
    qc.measure(0, 0)
    with qc.if_test((qc.clbits[0], 1)):
        qc.x(0)
    qc.measure(0, 0)
    return qc


@pytest.mark.parametrize("target", ["braket", "cirq"])
def test_unconvertible_construct_is_named(target):
    """Classical feed-forward cannot cross to Braket or Cirq: the error names 'if_else'."""
    with pytest.raises(ConversionError, match=r"unsupported construct 'if_else'"):
        convert(_feed_forward(), target)


def test_unconvertible_circuit_falls_back_to_a_backend_that_can_run_it():
    """A Qiskit-only circuit skips the Cirq target with the reason and runs on Aer."""
    result = ResilientExecutor(["cirq:simulator", "qiskit:aer"]).run(_feed_forward(), shots=50)
    assert result.provenance.backend == "aer_simulator"
    assert "if_else" in result.provenance.skipped[0].reason
    assert result.counts == {"0": 50}  # measured 1 → flipped back to 0


def test_unconvertible_everywhere_raises_conversion_error():
    """When no target can express the circuit the caller gets the ConversionError itself."""
    ex = ResilientExecutor(["cirq:simulator", "braket:local"], retry=RetryPolicy(max_attempts=1))
    with pytest.raises(ConversionError, match="if_else") as err:
        ex.run(_feed_forward(), shots=10)
    assert err.value.provenance.attempts == []


def test_openqasm_text_runs_anywhere():
    """An OpenQASM 2 program given as text runs on each SDK."""
    text = (
        'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nx q[1];\nmeasure q -> c;\n'
    )
    for spec in ("qiskit:aer", "braket:local", "cirq:simulator"):
        assert ResilientExecutor([spec]).run(text, shots=5).counts == {"10": 5}
