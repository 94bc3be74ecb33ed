"""Cirq simulators and the willow_pink virtual engine under CirqInstrumentor."""

from __future__ import annotations

import asyncio

import cirq
import cirq_google
import pytest

from qobserve.backends import parse_backend
from qobserve.calibration import read_calibration, read_status
from qobserve.errors import classify
from qobserve.instrumentation.cirq import CirqInstrumentor
from qobserve.semconv import Attr

Q = cirq.LineQubit.range(2)
BELL = cirq.Circuit(cirq.H(Q[0]), cirq.CNOT(*Q), cirq.measure(*Q, key="m"))


@pytest.fixture
def instrumented(instrument_with):
    """CirqInstrumentor on in-memory providers (the ``otel`` fixture), removed afterwards."""
    return instrument_with(CirqInstrumentor())


@pytest.fixture(scope="module")
def willow():
    """The willow_pink virtual processor (offline, bundled calibration) and two adjacent qubits."""
    engine = cirq_google.engine.create_default_noisy_quantum_virtual_machine(
        "willow_pink", cirq.Simulator
    )
    processor = engine.get_processor("willow_pink")
    qubits = sorted(processor.get_device().metadata.qubit_set)
    a = qubits[0]
    b = next(q for q in qubits if q.is_adjacent(a))
    return processor, (a, b)


def _one_span(otel):
    spans = otel.spans()
    assert len(spans) == 1, [s.name for s in spans]
    return spans[0]


@pytest.mark.parametrize(
    ("sampler", "label"),
    [
        pytest.param(cirq.Simulator(seed=3), "cirq_simulator", id="simulator"),
        pytest.param(cirq.DensityMatrixSimulator(seed=3), "cirq_density_matrix", id="density"),
    ],
)
@pytest.mark.parametrize(
    ("operation", "call", "circuits"),
    [
        pytest.param("run", lambda s: s.run(BELL, repetitions=100), 1, id="run"),
        pytest.param(
            "run_sweep",
            lambda s: s.run_sweep(BELL, params=[{}] * 3, repetitions=100),
            3,
            id="run_sweep",
        ),
        pytest.param(
            "run_batch", lambda s: s.run_batch([BELL, BELL], repetitions=100), 2, id="run_batch"
        ),
    ],
)
def test_one_call_is_one_job(instrumented, sampler, label, operation, call, circuits):
    """run / run_sweep / run_batch each make exactly one span although they call each other."""
    call(sampler)
    span = _one_span(instrumented)
    assert span.name == f"cirq {label} {operation}"
    assert span.attributes[Attr.CIRCUIT_COUNT] == circuits
    labels = {Attr.PROVIDER: "cirq", Attr.BACKEND: label}
    assert instrumented.value("quantum.job.shots", **labels) == 100 * circuits
    assert (
        instrumented.value(
            "quantum.jobs", **labels, **{Attr.JOB_STATUS: "completed", Attr.ERROR_TYPE: ""}
        )
        == 1
    )


def test_async_sweep_is_one_job(instrumented):
    """await run_sweep_async makes one span too."""
    results = asyncio.run(cirq.Simulator(seed=1).run_sweep_async(BELL, [{}] * 2, 10))
    assert len(results) == 2
    assert _one_span(instrumented).name == "cirq cirq_simulator run_sweep"


def test_mixed_repetitions_count_every_shot(instrumented):
    """run_batch with per-circuit repetitions counts their sum."""
    cirq.Simulator().run_batch([BELL, BELL], repetitions=[5, 7])
    assert instrumented.value("quantum.job.shots") == 12


@pytest.mark.parametrize("operation", ["run", "run_sweep"])
def test_virtual_engine_job(instrumented, willow, operation):
    """A willow_pink job carries the Engine job id and the processor's calibration time."""
    processor, (a, b) = willow
    circuit = cirq.Circuit(cirq.X(a), cirq.CZ(a, b), cirq.measure(a, b, key="m"))
    sampler = processor.get_sampler()
    if operation == "run":
        sampler.run(circuit, repetitions=50)
    else:
        sampler.run_sweep(circuit, params=[{}], repetitions=50)
    span = _one_span(instrumented)
    assert span.name == f"cirq willow_pink {operation}"
    assert "/processors/willow_pink/" in span.attributes[Attr.JOB_ID]
    calibrated = processor.get_current_calibration().timestamp / 1000  # ms → s
    assert span.attributes[Attr.CALIBRATION_TIMESTAMP] == calibrated
    assert (
        instrumented.value("quantum.backend.calibration.timestamp", **{Attr.BACKEND: "willow_pink"})
        == calibrated
    )
    assert instrumented.value("quantum.job.shots", **{Attr.BACKEND: "willow_pink"}) == 50


def test_virtual_engine_failed_job(instrumented, willow):
    """A job that fails inside the virtual engine is a failed span with the error's class."""
    processor, (a, _) = willow
    with pytest.raises(ValueError) as raised:
        processor.get_sampler().run(cirq.Circuit(cirq.X(a)), repetitions=5)  # nothing measured
    span = _one_span(instrumented)
    assert span.attributes[Attr.JOB_STATUS] == "failed"
    assert Attr.JOB_ID.value in span.attributes  # the Engine job existed and failed
    error_type = classify(raised.value).error_type
    assert (
        instrumented.value(
            "quantum.jobs", **{Attr.JOB_STATUS: "failed", Attr.ERROR_TYPE: error_type}
        )
        == 1
    )


def test_uninstrument_stops_spans(otel):
    """After uninstrument() sampler calls make no spans."""
    inst = CirqInstrumentor()
    inst.instrument(**otel.providers)
    inst.uninstrument()
    cirq.Simulator().run(BELL, repetitions=5)
    assert otel.spans() == []


def test_device_calibration_and_status(willow):
    """calibration() reads Calibration.timestamp in ms and per-qubit T1/readout; simulators have none."""
    spec = parse_backend("cirq_google:willow_pink")
    sampler = willow[0].get_sampler()
    cal = read_calibration(spec, sampler)
    raw = willow[0].get_current_calibration()
    assert cal.timestamp == raw.timestamp / 1000
    first = min(q for (q,) in raw["single_qubit_idle_t1_micros"])
    assert cal.qubits[0].t1_seconds == raw["single_qubit_idle_t1_micros"][(first,)][0] * 1e-6
    expected = (
        raw["single_qubit_p00_error"][(first,)][0] + raw["single_qubit_p11_error"][(first,)][0]
    ) / 2
    assert cal.qubits[0].readout_error == pytest.approx(expected)
    assert read_status(spec, sampler).operational is True
    local = parse_backend("cirq:simulator")
    assert read_calibration(local, local.load(seed=1)).timestamp is None
    assert read_status(local, local.load(seed=1)).pending_jobs == 0


def _willow_circuit(willow):
    _, (a, b) = willow
    return cirq.Circuit(cirq.X(a), cirq.CZ(a, b), cirq.measure(a, b, key="m"))


def test_direct_processor_job_ends_at_results(instrumented, willow):
    """A job from processor.run_sweep is one span, finished when its results are read."""
    processor = willow[0]
    job = processor.run_sweep(_willow_circuit(willow), params=[{}, {}], repetitions=20)
    assert instrumented.spans() == []  # submitted, not yet observed terminal
    assert len(job.results()) == 2
    span = _one_span(instrumented)
    assert span.name == "cirq willow_pink run_sweep"
    assert span.attributes[Attr.JOB_ID] == job.id()
    assert span.attributes[Attr.JOB_STATUS] == "completed"
    assert instrumented.value("quantum.job.shots", **{Attr.BACKEND: "willow_pink"}) == 40


def test_cancelled_engine_job(instrumented, willow):
    """A job cancelled and then read as CANCELLED finishes as cancelled, with no error type."""
    processor = willow[0]
    job = processor.run_sweep(_willow_circuit(willow), params=[{}], repetitions=5)
    job.cancel()
    assert job.execution_status().name == "CANCELLED"
    span = _one_span(instrumented)
    assert span.attributes[Attr.JOB_STATUS] == "cancelled"
    assert (
        instrumented.value("quantum.jobs", **{Attr.JOB_STATUS: "cancelled", Attr.ERROR_TYPE: ""})
        == 1
    )


def test_processor_run_is_one_job(instrumented, willow):
    """processor.run (run → run_sweep → results) is one span."""
    willow[0].run(_willow_circuit(willow), repetitions=10, device_config_name="")
    assert _one_span(instrumented).attributes[Attr.JOB_STATUS] == "completed"


def test_virtual_engine_job_costs_nothing_and_warns_not(instrumented, willow, caplog):
    """The virtual engine runs here: $0 on the span, no "no price configured" warning
    for the real processor's name it reports (the plain demo printed one)."""
    processor, (a, b) = willow
    circuit = cirq.Circuit(cirq.X(a), cirq.measure(a, b, key="m"))
    with caplog.at_level("WARNING", logger="qobserve"):
        processor.get_sampler().run(circuit, repetitions=10)
    assert _one_span(instrumented).attributes[Attr.JOB_COST_USD] == 0.0
    assert not [r for r in caplog.records if "no price configured" in r.getMessage()]
