"""request_hook / response_hook on every instrumentor, on the SDKs' local simulators."""

from __future__ import annotations

import logging

import pytest

from qobserve.instrumentation import JobRequest, JobResponse
from qobserve.semconv import Attr


def _qiskit():
    from qiskit import QuantumCircuit
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    from qobserve.instrumentation.qiskit import QiskitInstrumentor

    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure_all()
    backend = FakeManilaV2()

    def run():
        job = backend.run(qc, shots=50)
        return job.result(), [qc]

    return QiskitInstrumentor(), run, ("qiskit", "fake_manila", "run", 50)


def _braket():
    from braket.circuits import Circuit
    from braket.devices import LocalSimulator

    from qobserve.instrumentation.braket import BraketInstrumentor

    bell = Circuit().h(0).cnot(0, 1)

    def run():  # the response carries the list of the call's task results
        return [LocalSimulator("braket_sv").run(bell, shots=50).result()], [bell]

    return BraketInstrumentor(), run, ("braket", "braket_sv", "run", 50)


def _cirq():
    import cirq

    from qobserve.instrumentation.cirq import CirqInstrumentor

    q = cirq.LineQubit.range(2)
    bell = cirq.Circuit(cirq.H(q[0]), cirq.CNOT(*q), cirq.measure(*q, key="m"))

    def run():
        return cirq.Simulator(seed=1).run(bell, repetitions=50), [bell]

    return CirqInstrumentor(), run, ("cirq", "cirq_simulator", "run", 50)


SDKS = pytest.mark.parametrize("sdk", [_qiskit, _braket, _cirq], ids=["qiskit", "braket", "cirq"])


@SDKS
def test_hooks_see_the_job_and_write_on_its_span(otel, sdk):
    """The request hook gets the submission before the SDK runs it, the response hook
    the outcome and the SDK's result before the span ends; both can set attributes."""
    instrumentor, run, (provider, backend, operation, shots) = sdk()
    calls: list = []

    def request_hook(span, request):
        calls.append(request)
        span.set_attribute("app.tenant", "team-a")

    def response_hook(span, response):
        calls.append(response)
        span.set_attribute("app.outcome", response.status)

    instrumentor.instrument(
        **otel.providers, request_hook=request_hook, response_hook=response_hook
    )
    try:
        result, circuits = run()
    finally:
        instrumentor.uninstrument()
    request, response = calls
    assert isinstance(request, JobRequest) and isinstance(response, JobResponse)
    assert (request.provider, request.backend, request.operation) == (provider, backend, operation)
    assert request.shots == shots
    assert list(request.circuits) == circuits
    (span,) = otel.spans()
    assert (response.provider, response.backend, response.status) == (
        provider,
        backend,
        "completed",
    )
    assert response.error_type == ""
    assert response.job_id == span.attributes.get(Attr.JOB_ID)
    assert response.result is result or response.result == result
    assert span.attributes["app.tenant"] == "team-a"
    assert span.attributes["app.outcome"] == "completed"


@SDKS
def test_raising_hooks_are_logged_once_and_never_reach_the_job(otel, sdk, caplog):
    """Hooks that raise on every job leave the jobs, their spans and metrics intact,
    and are each logged as a warning once, whatever the number of jobs."""
    instrumentor, run, (provider, backend, _, _) = sdk()

    def broken(span, detail):
        raise RuntimeError("hook bug")

    instrumentor.instrument(**otel.providers, request_hook=broken, response_hook=broken)
    try:
        with caplog.at_level(logging.WARNING, logger="qobserve.jobs"):
            results = [run()[0] for _ in range(3)]
    finally:
        instrumentor.uninstrument()
    assert all(r is not None for r in results)
    spans = otel.spans()
    assert [s.attributes[Attr.JOB_STATUS] for s in spans] == ["completed"] * 3
    labels = {Attr.PROVIDER: provider, Attr.BACKEND: backend}
    assert (
        otel.value("quantum.jobs", **labels, **{Attr.JOB_STATUS: "completed", Attr.ERROR_TYPE: ""})
        == 3
    )
    warnings = [r for r in caplog.records if "raised" in r.getMessage()]
    assert sorted(r.args[0] for r in warnings) == ["request_hook", "response_hook"]
    assert all(r.exc_info and r.exc_info[0] is RuntimeError for r in warnings)


def test_a_hook_that_is_not_callable_is_rejected(otel):
    """instrument(request_hook=<not callable>) raises TypeError naming the option."""
    from qobserve.instrumentation.qiskit import QiskitInstrumentor

    with pytest.raises(TypeError, match="request_hook: must be a callable"):
        QiskitInstrumentor().instrument(**otel.providers, request_hook="not a function")
