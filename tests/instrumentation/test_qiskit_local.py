"""QiskitInstrumentor on real local jobs: fake backends and Aer, every submission path."""

from __future__ import annotations

import importlib.metadata
import warnings

import pytest

pytest.importorskip("qiskit_ibm_runtime")

from qiskit import QuantumCircuit, transpile
from qiskit.quantum_info import SparsePauliOp
from qiskit_aer import AerSimulator
from qiskit_ibm_runtime import Batch, EstimatorV2, SamplerV2, Session
from qiskit_ibm_runtime.executor_estimator import Estimator as ExecutorEstimator
from qiskit_ibm_runtime.executor_sampler import Sampler as ExecutorSampler
from qiskit_ibm_runtime.fake_provider import FakeManilaV2

from qobserve.instrumentation.qiskit import QiskitInstrumentor
from qobserve.semconv import METRICS, Attr

JOBS = METRICS["quantum_jobs_total"].otel_name
SHOTS = METRICS["quantum_job_shots_total"].otel_name
DURATION = METRICS["quantum_job_duration_seconds"].otel_name
EXECUTION = METRICS["quantum_job_execution_duration_seconds"].otel_name
QUEUE = METRICS["quantum_job_queue_duration_seconds"].otel_name
CALIBRATION = METRICS["quantum_backend_calibration_timestamp_seconds"].otel_name


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecation of V2 primitives, local-mode notices
        yield


@pytest.fixture(scope="module")
def manila():
    return FakeManilaV2()


def bell(measure: bool = True) -> QuantumCircuit:
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    if measure:
        qc.measure_all()
    return qc


def too_wide() -> QuantumCircuit:
    """40 entangled qubits: more statevector memory than any test machine has."""
    qc = QuantumCircuit(40)
    qc.h(range(40))
    qc.cx(0, 39)
    qc.measure_all()
    return qc


def _sampler(backend, mode):
    return SamplerV2(mode).run([transpile(bell(), backend)], shots=100), 100, 1


def _estimator(backend, mode):
    isa = transpile(bell(measure=False), backend)
    pub = (isa, SparsePauliOp("ZZ").apply_layout(isa.layout))
    # precision 1/32 → shots = ceil(1/precision²) = 1024
    return EstimatorV2(mode).run([pub], precision=1 / 32), 1024, 1


def _executor_sampler(backend, mode):
    return ExecutorSampler(mode).run([transpile(bell(), backend)], shots=50), 50, 1


def _executor_estimator(backend, mode):
    isa = transpile(bell(measure=False), backend)
    pub = (isa, SparsePauliOp("ZZ").apply_layout(isa.layout))
    # The executor turns one estimator PUB into a program whose items (circuits)
    # and shots depend on its measurement-basis grouping: not pinned here.
    return ExecutorEstimator(mode).run([pub], precision=1 / 16), None, None


def _mode(kind: str, backend):
    if kind == "job":
        return backend
    return (Session if kind == "session" else Batch)(backend=backend)


@pytest.mark.parametrize(
    "submit,operation",
    [
        (_sampler, "sampler"),
        (_estimator, "estimator"),
        (_executor_sampler, "sampler"),
        (_executor_estimator, "estimator"),
    ],
)
@pytest.mark.parametrize("kind", ["job", "session", "batch"])
def test_primitive_job_span_and_metrics(qiskit_otel, manila, submit, operation, kind):
    """A primitive job in any mode yields one span and the job metrics with contract labels."""
    job, shots, circuits = submit(manila, _mode(kind, manila))
    job.result()
    (span,) = qiskit_otel.spans()
    assert span.name == f"qiskit fake_manila {operation}"
    assert [e.name for e in span.events][-1] == "completed"
    attrs = span.attributes
    assert attrs[Attr.PROVIDER] == "qiskit" and attrs[Attr.BACKEND] == "fake_manila"
    assert attrs[Attr.JOB_ID] == job.job_id()
    assert attrs[Attr.JOB_STATUS] == "completed"
    assert attrs[Attr.CIRCUIT_COUNT] == (circuits or attrs[Attr.CIRCUIT_COUNT])
    assert attrs[Attr.CIRCUIT_COUNT] >= 1 and attrs[Attr.CIRCUIT_QUBITS] == 5
    assert attrs[Attr.CIRCUIT_DEPTH] >= 2
    assert attrs[Attr.JOB_COST_USD] == 0.0  # local fake backends are free
    labels = {Attr.PROVIDER.value: "qiskit", Attr.BACKEND.value: "fake_manila"}
    assert (
        qiskit_otel.value(
            JOBS, **labels, **{Attr.JOB_STATUS.value: "completed", Attr.ERROR_TYPE.value: ""}
        )
        == 1
    )
    assert qiskit_otel.value(DURATION, **labels) == 1
    assert qiskit_otel.value(EXECUTION, **labels) == 1
    assert qiskit_otel.value(QUEUE) == 0  # local jobs report identical timestamps
    if shots is not None:
        assert attrs[Attr.JOB_SHOTS] == shots
        assert qiskit_otel.value(SHOTS, **labels) == shots
    (point,) = qiskit_otel.points(JOBS)
    assert set(point.attributes) == set(METRICS["quantum_jobs_total"].attributes)


@pytest.mark.parametrize(
    "backend_factory,name", [(FakeManilaV2, "fake_manila"), (AerSimulator, "aer_simulator")]
)
def test_backend_run_is_one_job(qiskit_otel, backend_factory, name):
    """backend.run gives one 'run' span even when a fake backend delegates to Aer."""
    backend = backend_factory()
    job = backend.run(transpile(bell(), backend), shots=10)
    counts = job.result().get_counts()
    assert sum(counts.values()) == 10
    (span,) = qiskit_otel.spans()
    assert span.name == f"qiskit {name} run"
    assert span.attributes[Attr.JOB_SHOTS] == 10
    assert qiskit_otel.value(SHOTS) == 10
    assert qiskit_otel.value(JOBS, **{Attr.BACKEND.value: name}) == 1


def test_status_polling_records_running_once_and_finishes_once(qiskit_otel):
    """Polling status() until DONE yields at most one running event and one terminal record."""
    backend = AerSimulator()
    job = backend.run(transpile(bell(), backend), shots=10)
    job.wait_for_final_state()
    job.status()
    job.result()
    (span,) = qiskit_otel.spans()
    names = [e.name for e in span.events]
    assert names.count("completed") == 1 and names.count("running") <= 1
    assert qiskit_otel.value(JOBS) == 1


def test_failed_job_is_recorded_with_error_type(qiskit_otel):
    """A sampler job that fails in Aer (40 qubits on statevector) is a failed span and count."""
    job = SamplerV2(AerSimulator(method="statevector")).run([too_wide()], shots=10)
    with pytest.raises(Exception) as raised:
        job.result()
    (span,) = qiskit_otel.spans()
    error_type = type(raised.value).__name__
    assert span.status.status_code.name == "ERROR"
    assert span.attributes[Attr.JOB_STATUS] == "failed"
    assert span.attributes[Attr.ERROR_TYPE] == error_type
    assert [e.name for e in span.events][-1] == "failed"
    assert (
        qiskit_otel.value(
            JOBS, **{Attr.JOB_STATUS.value: "failed", Attr.ERROR_TYPE.value: error_type}
        )
        == 1
    )


def test_unsuccessful_aer_result_is_a_failed_job(qiskit_otel):
    """backend.run whose Result reports success=False counts as failed, not completed."""
    sim = AerSimulator(method="statevector")
    assert sim.run(too_wide(), shots=10).result().success is False
    (span,) = qiskit_otel.spans()
    assert span.attributes[Attr.JOB_STATUS] == "failed"
    assert span.attributes[Attr.ERROR_TYPE] == "unsuccessful_result"


def test_tracked_job_still_pickles(qiskit_otel, manila):
    """A tracked local job pickles as before (its telemetry is left behind)."""
    import pickle

    job = SamplerV2(manila).run([transpile(bell(), manila)], shots=10)
    job.result()
    clone = pickle.loads(pickle.dumps(job))
    assert clone.result()[0].data.meas.num_shots == 10
    assert len(qiskit_otel.spans()) == 1


def test_client_side_validation_is_not_a_job(qiskit_otel, manila):
    """A non-ISA circuit rejected before submission leaves no span and no job count."""
    from qiskit_ibm_runtime.exceptions import IBMInputValueError

    with pytest.raises(IBMInputValueError):
        SamplerV2(manila).run([bell()])
    assert qiskit_otel.spans() == []
    assert qiskit_otel.value(JOBS) == 0


def test_calibration_read_once_per_backend(qiskit_otel, manila, monkeypatch):
    """properties() is read once per backend and exported as the calibration gauge."""
    calls = []
    original = FakeManilaV2.properties

    def counting(self, *a, **k):
        calls.append(1)
        return original(self, *a, **k)

    monkeypatch.setattr(FakeManilaV2, "properties", counting)
    isa = transpile(bell(), manila)
    for _ in range(3):
        SamplerV2(manila).run([isa], shots=10).result()
    assert len(calls) == 1
    expected = manila.properties().last_update_date.timestamp()
    assert qiskit_otel.value(CALIBRATION, **{Attr.BACKEND.value: "fake_manila"}) == expected
    assert all(s.attributes[Attr.CALIBRATION_TIMESTAMP] == expected for s in qiskit_otel.spans())


def test_uninstrument_round_trip(otel, manila):
    """After uninstrument() jobs record nothing; instrument() again records again."""
    inst = QiskitInstrumentor()
    isa = transpile(bell(), manila)
    inst.instrument(**otel.providers)
    inst.uninstrument()
    SamplerV2(manila).run([isa], shots=10).result()
    assert otel.spans() == []
    inst.instrument(**otel.providers)
    try:
        SamplerV2(manila).run([isa], shots=10).result()
    finally:
        inst.uninstrument()
    assert len(otel.spans()) == 1
    assert not hasattr(SamplerV2.run, "__wrapped__")
    from qiskit_ibm_runtime.runtime_job_v2 import RuntimeJobV2

    assert not hasattr(RuntimeJobV2.status, "__wrapped__")


def test_entry_point_loads_the_instrumentor():
    """The opentelemetry_instrumentor entry point qobserve_qiskit resolves to the class."""
    (ep,) = [
        e
        for e in importlib.metadata.entry_points(group="opentelemetry_instrumentor")
        if e.name == "qobserve_qiskit"
    ]
    assert ep.load() is QiskitInstrumentor
