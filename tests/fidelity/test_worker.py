"""Sampling, the bounded queue and its drop counting, and opt-in switches."""

from __future__ import annotations

import math
import threading
import warnings

import pytest

from qobserve.fidelity import FidelityRecorder, output_fidelity
from qobserve.instrumentation._job import JobTelemetry
from qobserve.semconv import METRICS, Attr

DROPPED = METRICS["qobserve_output_fidelity_dropped_total"].otel_name


@pytest.fixture
def telemetry(otel):
    return JobTelemetry(otel.tracer_provider, otel.meter_provider)


def _record(telemetry):
    return telemetry.start("qiskit", "aer_simulator", "run")


def test_off_by_default(telemetry, monkeypatch):
    """Without a rate, an environment variable or a context manager no job is sampled."""
    monkeypatch.delenv("QOBSERVE_OUTPUT_FIDELITY", raising=False)
    recorder = FidelityRecorder(telemetry)
    assert not any(recorder.sampled() for _ in range(1000))


def test_sampling_rate_is_respected(telemetry):
    """At rate 0.2, 2,000 submissions sample 400 ± 4 sd (sd = sqrt(2000·0.2·0.8) ≈ 17.9)."""
    recorder = FidelityRecorder(telemetry, rate=0.2, seed=3)
    hits = sum(recorder.sampled() for _ in range(2000))
    assert abs(hits - 400) <= 4 * math.sqrt(2000 * 0.2 * 0.8)


def test_context_manager_overrides_the_default(telemetry):
    """``output_fidelity(1.0)`` samples every job inside the block, ``(0)`` none."""
    recorder = FidelityRecorder(telemetry, rate=0.5, seed=1)
    with output_fidelity(1.0):
        assert all(recorder.sampled() for _ in range(100))
    with output_fidelity(0):
        assert not any(recorder.sampled() for _ in range(100))


def test_environment_sets_the_rate_and_cap(telemetry, monkeypatch):
    """QOBSERVE_OUTPUT_FIDELITY and QOBSERVE_OUTPUT_FIDELITY_MAX_QUBITS are read at instrumentation."""
    monkeypatch.setenv("QOBSERVE_OUTPUT_FIDELITY", "1")
    monkeypatch.setenv("QOBSERVE_OUTPUT_FIDELITY_MAX_QUBITS", "8")
    recorder = FidelityRecorder(telemetry)
    assert recorder.rate == 1.0 and recorder.max_qubits == 8


@pytest.mark.parametrize("rate", [-0.1, 1.5, "often"])
def test_bad_rate_names_the_option(telemetry, rate):
    """A rate outside [0, 1] is refused with the option's name and the rule."""
    with pytest.raises(ValueError, match=r"output_fidelity: sampling rate must be"):
        FidelityRecorder(telemetry, rate=rate)


def test_full_queue_drops_and_counts(otel, telemetry):
    """With the worker busy and a queue of 2, the 3rd to 5th waiting jobs are dropped and counted."""
    recorder = FidelityRecorder(telemetry, rate=1.0, max_queue=2)
    started, release = threading.Event(), threading.Event()

    def blocked():
        started.set()
        release.wait(10)
        return [None]

    assert recorder.submit("qiskit", "aer_simulator", _record(telemetry), [object()], blocked)
    assert started.wait(10)  # the worker holds the first job; the queue is empty
    accepted = [
        recorder.submit("qiskit", "aer_simulator", _record(telemetry), [object()], lambda: [None])
        for _ in range(5)
    ]
    assert accepted == [True, True, False, False, False]
    release.set()
    assert recorder.flush(10)
    labels = {Attr.BACKEND.value: "aer_simulator"}
    assert otel.value(DROPPED, **labels, **{Attr.REASON.value: "queue_full"}) == 3
    assert otel.value(DROPPED, **labels, **{Attr.REASON.value: "unsupported"}) == 3


def test_submission_does_not_wait_for_the_worker(telemetry):
    """``submit`` returns while the worker is still busy with the job."""
    recorder = FidelityRecorder(telemetry, rate=1.0)
    release = threading.Event()
    recorder.submit(
        "qiskit",
        "aer_simulator",
        _record(telemetry),
        [object()],
        lambda: release.wait(10) and [None],
    )
    assert not recorder.flush(0.05)
    release.set()
    assert recorder.flush(10)


def test_too_wide_non_clifford_circuit_is_counted(otel, qiskit_fidelity):
    """A 6-qubit T-gate circuit over a cap of 4 qubits is dropped as too_wide."""
    from qiskit import QuantumCircuit
    from qiskit_aer import AerSimulator

    otel, recorder = qiskit_fidelity
    recorder.max_qubits = 4
    qc = QuantumCircuit(6)
    qc.h(range(6))
    qc.t(range(6))
    qc.measure_all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        AerSimulator().run(qc, shots=100, seed_simulator=1).result()
    assert recorder.flush(10)
    assert otel.value(DROPPED, **{Attr.REASON.value: "too_wide"}) == 1
    assert not [s for s in otel.spans() if s.name.endswith("output_fidelity")]


def test_sampler_v2_job_is_compared(qiskit_fidelity):
    """A SamplerV2 job on a fake backend (ISA circuit over 5 qubits) gets a linked fidelity span."""
    pytest.importorskip("qiskit_ibm_runtime")
    from qiskit import QuantumCircuit, transpile
    from qiskit_ibm_runtime import SamplerV2
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    otel, recorder = qiskit_fidelity
    backend = FakeManilaV2()
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure_all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        SamplerV2(backend).run([transpile(qc, backend, seed_transpiler=1)], shots=500).result()
    assert recorder.flush(10)
    [span] = [s for s in otel.spans() if s.name == "qiskit fake_manila output_fidelity"]
    assert 0.8 < span.attributes[Attr.OUTPUT_FIDELITY.value] <= 1.0
    assert span.attributes[Attr.JOB_SHOTS.value] == 500
