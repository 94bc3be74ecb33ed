"""Braket LocalSimulator jobs (braket_sv, braket_dm, default) under BraketInstrumentor."""

from __future__ import annotations

import pytest
from braket.circuits import Circuit
from braket.devices import LocalSimulator
from opentelemetry.instrumentation.utils import suppress_instrumentation

from qobserve.backends import parse_backend
from qobserve.errors import ErrorKind, classify
from qobserve.instrumentation.braket import BraketInstrumentor
from qobserve.instrumentation.braket.noise import apply_noise
from qobserve.semconv import Attr

BELL = Circuit().h(0).cnot(0, 1)


@pytest.fixture
def instrumented(instrument_with):
    """BraketInstrumentor on in-memory providers (the ``otel`` fixture), removed afterwards."""
    return instrument_with(BraketInstrumentor())


@pytest.mark.parametrize(
    ("backend", "label"),
    [("default", "braket_sv"), ("braket_sv", "braket_sv"), ("braket_dm", "braket_dm")],
)
def test_run_records_one_completed_job(instrumented, backend, label):
    """LocalSimulator.run makes one completed span and the job metrics, with zero cost."""
    task = LocalSimulator(backend).run(BELL, shots=100)
    assert sum(task.result().measurement_counts.values()) == 100
    (span,) = instrumented.spans()
    assert span.name == f"braket {label} run"
    assert span.attributes[Attr.JOB_ID] == task.id
    assert span.attributes[Attr.CIRCUIT_QUBITS] == 2
    assert span.attributes[Attr.CIRCUIT_DEPTH] == 2
    assert [e.name for e in span.events] == ["queued", "running", "completed"]
    labels = {Attr.PROVIDER: "braket", Attr.BACKEND: label}
    assert (
        instrumented.value(
            "quantum.jobs", **labels, **{Attr.JOB_STATUS: "completed", Attr.ERROR_TYPE: ""}
        )
        == 1
    )
    assert instrumented.value("quantum.job.shots", **labels) == 100
    assert instrumented.value("quantum.job.execution.duration", **labels) == 1
    assert span.attributes.get(Attr.JOB_COST_USD, 0.0) == 0.0
    assert instrumented.points("quantum.job.cost_usd") == []


def test_run_batch_is_one_job(instrumented):
    """run_batch over three circuits is one span counting 3 × shots."""
    LocalSimulator("braket_sv").run_batch([BELL] * 3, shots=10)
    (span,) = instrumented.spans()
    assert span.name == "braket braket_sv run_batch"
    assert span.attributes[Attr.CIRCUIT_COUNT] == 3
    assert instrumented.value("quantum.job.shots") == 30


def test_invalid_task_is_failed_job(instrumented):
    """A task the simulator rejects raises to the caller and records a failed job."""
    with pytest.raises(ValueError) as raised:
        LocalSimulator("braket_sv").run(BELL, shots=-1)
    info = classify(raised.value)
    assert info.kind is ErrorKind.PERMANENT
    (span,) = instrumented.spans()
    assert span.attributes[Attr.JOB_STATUS] == "failed"
    assert (
        instrumented.value(
            "quantum.jobs", **{Attr.JOB_STATUS: "failed", Attr.ERROR_TYPE: info.error_type}
        )
        == 1
    )
    assert instrumented.points("quantum.job.shots") == []  # -1 shots are not counted


def test_suppressed_and_uninstrumented_make_no_spans(otel):
    """suppress_instrumentation() and uninstrument() both stop job spans."""
    inst = BraketInstrumentor()
    inst.instrument(**otel.providers)
    with suppress_instrumentation():
        LocalSimulator().run(BELL, shots=10)
    inst.uninstrument()
    LocalSimulator().run(BELL, shots=10)
    assert otel.spans() == []


def test_noisy_local_dm_spec_matches_depolarizing_model(instrumented):
    """braket:local_dm with depolarizing:0.2 gives the odd-parity rate the channel predicts.

    After H the 1-qubit channel keeps q0 at 50/50 in Z, and CNOT copies it, so
    only the 2-qubit channel (1−λ)ρ + λ·I/4 after CNOT makes 01/10: P(odd) = λ/2
    = 0.1. With 4000 shots σ = sqrt(0.1·0.9/4000) = 0.0047; 5σ ≈ 0.024.
    """
    spec = parse_backend("braket:local_dm", noise="depolarizing:0.2")
    device = spec.load()
    counts = device.run(apply_noise(BELL, spec.noise), shots=4000).result().measurement_counts
    odd = (counts.get("01", 0) + counts.get("10", 0)) / 4000
    assert odd == pytest.approx(0.1, abs=0.024)
    (span,) = instrumented.spans()
    assert span.name == "braket braket_dm run"


def test_apply_noise_without_noise_is_identity_and_rejects_three_qubit_gates():
    """No noise returns the same circuit; a 3-qubit gate is refused with a clear message."""
    assert apply_noise(BELL, None) is BELL
    with pytest.raises(ValueError, match="decompose"):
        apply_noise(
            Circuit().ccnot(0, 1, 2), parse_backend("braket:local_dm", "depolarizing:0.1").noise
        )
