"""Sampling and the full queue on every hand-off path: Braket run and run_batch, Cirq run, Qiskit sweeps.

Each path runs a real local job; the job's own result is checked, so a hand-off
that changed or delayed what the user's call returns would fail here.
"""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest

from qobserve.fidelity import output_fidelity
from qobserve.fidelity.worker import DEFAULT_QUEUE_SIZE
from qobserve.semconv import METRICS, Attr

DROPPED = METRICS["qobserve_output_fidelity_dropped_total"].otel_name
SHOTS = 100


def _braket_run() -> int:
    from braket.circuits import Circuit
    from braket.devices import LocalSimulator

    counts = LocalSimulator("braket_sv").run(Circuit().h(0).cnot(0, 1), shots=SHOTS).result()
    return sum(counts.measurement_counts.values())


def _braket_batch() -> int:
    from braket.circuits import Circuit
    from braket.devices import LocalSimulator

    circuits = [Circuit().h(0).cnot(0, 1), Circuit().x(0)]
    batch = LocalSimulator("braket_sv").run_batch(circuits, shots=SHOTS).results()
    return sum(sum(r.measurement_counts.values()) for r in batch) // 2


def _cirq_run() -> int:
    import cirq

    q = cirq.LineQubit.range(2)
    circuit = cirq.Circuit(cirq.H(q[0]), cirq.CNOT(*q), cirq.measure(*q, key="m"))
    return len(cirq.Simulator(seed=1).run(circuit, repetitions=SHOTS).measurements["m"])


def _qiskit_sweep() -> int:
    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter
    from qiskit_aer import AerSimulator
    from qiskit_ibm_runtime import SamplerV2

    qc = QuantumCircuit(2)
    qc.ry(Parameter("θ"), 0)
    qc.cx(0, 1)
    qc.measure_all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        job = SamplerV2(mode=AerSimulator(seed_simulator=1)).run(
            [(qc, np.linspace(0, np.pi, 3).reshape(3, 1))], shots=SHOTS
        )
        return int(job.result()[0].data.meas.num_shots)


def _instrumentor(provider: str):
    if provider == "braket":
        pytest.importorskip("braket.devices")
        from qobserve.instrumentation.braket import BraketInstrumentor

        return BraketInstrumentor()
    if provider == "cirq":
        pytest.importorskip("cirq")
        from qobserve.instrumentation.cirq import CirqInstrumentor

        return CirqInstrumentor()
    pytest.importorskip("qiskit_ibm_runtime")
    from qobserve.instrumentation.qiskit import QiskitInstrumentor

    return QiskitInstrumentor()


PATHS = [
    pytest.param("braket", "braket_sv", _braket_run, id="braket-run"),
    pytest.param("braket", "braket_sv", _braket_batch, id="braket-run_batch"),
    pytest.param("cirq", "cirq_simulator", _cirq_run, id="cirq-run"),
    pytest.param("qiskit", "aer_simulator", _qiskit_sweep, id="qiskit-sweep"),
]


@pytest.fixture
def instrumented(otel, monkeypatch):
    """``instrumented(provider, **options)`` → the instrumentor's FidelityRecorder."""
    monkeypatch.delenv("QOBSERVE_OUTPUT_FIDELITY", raising=False)
    applied = []

    def apply(provider: str, **options):
        inst = _instrumentor(provider)
        inst.instrument(**otel.providers, **options)
        applied.append(inst)
        return inst._state.fidelity if provider == "qiskit" else inst._fidelity

    yield apply
    for inst in applied:
        inst.uninstrument()


def _fidelity_spans(otel) -> list:
    return [s for s in otel.spans() if s.name.endswith(" output_fidelity")]


@pytest.mark.parametrize(("provider", "backend", "job"), PATHS)
def test_off_unless_asked(otel, instrumented, provider, backend, job):
    """Without a rate no job is compared; inside ``output_fidelity(1.0)`` the same job is."""
    recorder = instrumented(provider)
    assert job() == SHOTS
    assert recorder.flush(30)
    assert _fidelity_spans(otel) == []
    with output_fidelity(1.0):
        assert job() == SHOTS
    assert recorder.flush(60)
    spans = _fidelity_spans(otel)
    assert spans and all(s.attributes[Attr.BACKEND.value] == backend for s in spans)


@pytest.mark.parametrize(("provider", "backend", "job"), PATHS)
def test_full_queue_drops_and_counts_without_waiting(otel, instrumented, provider, backend, job):
    """With the worker held and its queue full, the job returns its own result and is dropped."""
    recorder = instrumented(provider, output_fidelity=1.0)
    started, release = threading.Event(), threading.Event()

    def held():
        started.set()
        release.wait(30)
        return [None]

    def filler() -> bool:
        record = recorder.telemetry.start("test", "filler", "run")
        return recorder.submit("test", "filler", record, [object()], lambda: [None])

    recorder.submit("test", "filler", recorder.telemetry.start("test", "filler", "run"), [1], held)
    assert started.wait(30)
    assert all(filler() for _ in range(DEFAULT_QUEUE_SIZE))
    # The worker is held: a hand-off that waited for it would never return here.
    assert job() == SHOTS
    release.set()
    assert recorder.flush(60)
    assert (
        otel.value(DROPPED, **{Attr.BACKEND.value: backend, Attr.REASON.value: "queue_full"}) == 1
    )
    assert _fidelity_spans(otel) == []
