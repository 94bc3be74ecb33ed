"""The same workload (a Bell circuit, 100 shots) under each SDK's instrumentor yields
the same metric names and label sets, so one dashboard and one rule file serve all three."""

from __future__ import annotations

import importlib

import pytest

from qobserve.semconv import Attr

SHOTS = 100


def _braket():
    from braket.circuits import Circuit
    from braket.devices import LocalSimulator

    LocalSimulator("braket_sv").run(Circuit().h(0).cnot(0, 1), shots=SHOTS).result()


def _cirq():
    import cirq

    q = cirq.LineQubit.range(2)
    cirq.Simulator(seed=1).run(
        cirq.Circuit(cirq.H(q[0]), cirq.CNOT(*q), cirq.measure(*q)), repetitions=SHOTS
    )


def _qiskit():
    from qiskit import QuantumCircuit
    from qiskit_aer import AerSimulator

    bell = QuantumCircuit(2)
    bell.h(0)
    bell.cx(0, 1)
    bell.measure_all()
    AerSimulator(seed_simulator=1).run(bell, shots=SHOTS).result()


WORKLOADS = {
    "braket": ("qobserve.instrumentation.braket", "BraketInstrumentor", _braket, "braket_sv"),
    "cirq": ("qobserve.instrumentation.cirq", "CirqInstrumentor", _cirq, "cirq_simulator"),
    "qiskit": ("qobserve.instrumentation.qiskit", "QiskitInstrumentor", _qiskit, "aer_simulator"),
}


def _shape(otel_factory, family: str) -> tuple[dict[str, frozenset], object]:
    """(metric name → label key sets of its points, the providers) after one instrumented Bell job."""
    module, cls, workload, _ = WORKLOADS[family]
    try:
        instrumentor = getattr(importlib.import_module(module), cls)()
    except (ImportError, AttributeError) as exc:  # SDK or its instrumentor not installed
        pytest.skip(f"{family} instrumentation not available: {exc}")
    otel = otel_factory()
    instrumentor.instrument(**otel.providers)
    try:
        workload()
    finally:
        instrumentor.uninstrument()
    data = otel.reader.get_metrics_data()
    shape: dict[str, set] = {}
    for rm in data.resource_metrics:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                for point in metric.data.data_points:
                    shape.setdefault(metric.name, set()).add(frozenset(point.attributes))
    otel.tracer_provider.shutdown()
    otel.meter_provider.shutdown()
    return {name: frozenset(keys) for name, keys in shape.items()}, otel


@pytest.fixture
def otel_factory():
    """Builds fresh in-memory providers, one pair per SDK run."""
    from tests.conftest import Otel

    return Otel


@pytest.mark.parametrize("family", ["cirq", "qiskit"])
def test_same_metric_names_and_label_sets_as_braket(otel_factory, family):
    """Metric names and per-metric label key sets equal Braket's for the same Bell job."""
    braket, _ = _shape(otel_factory, "braket")
    other, _ = _shape(otel_factory, family)
    assert other == braket
    job_labels = frozenset({Attr.PROVIDER, Attr.BACKEND, Attr.JOB_STATUS, Attr.ERROR_TYPE})
    assert braket["quantum.jobs"] == frozenset({job_labels})


@pytest.mark.parametrize("family", sorted(WORKLOADS))
def test_label_values_follow_backend_names(otel_factory, family):
    """Each SDK labels the job with its provider family and backends.py's backend name."""
    _, otel = _shape(otel_factory, family)
    backend = WORKLOADS[family][3]
    assert (
        otel.value(
            "quantum.jobs",
            **{
                Attr.PROVIDER: family,
                Attr.BACKEND: backend,
                Attr.JOB_STATUS: "completed",
                Attr.ERROR_TYPE: "",
            },
        )
        == 1
    )
    assert (
        otel.value("quantum.job.shots", **{Attr.PROVIDER: family, Attr.BACKEND: backend}) == SHOTS
    )
