"""configure(): the Prometheus endpoint, OTEL_* variables, global providers, log correlation."""

from __future__ import annotations

import logging
import socket
import urllib.request

import pytest
from opentelemetry import metrics, trace
from opentelemetry.metrics import _internal as metrics_internal
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import SERVICE_NAME
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.util._once import Once
from prometheus_client import CollectorRegistry

from qobserve.instrumentation._job import JobTelemetry
from qobserve.semconv import JobStatus
from qobserve.telemetry import BindError, configure


@pytest.fixture
def fresh_globals():
    """Unset OpenTelemetry's set-once global providers for one test, then restore them."""
    saved = (
        trace._TRACER_PROVIDER,
        trace._TRACER_PROVIDER_SET_ONCE,
        metrics_internal._METER_PROVIDER,
        metrics_internal._METER_PROVIDER_SET_ONCE,
    )
    trace._TRACER_PROVIDER, trace._TRACER_PROVIDER_SET_ONCE = None, Once()
    metrics_internal._METER_PROVIDER, metrics_internal._METER_PROVIDER_SET_ONCE = None, Once()
    yield
    (
        trace._TRACER_PROVIDER,
        trace._TRACER_PROVIDER_SET_ONCE,
        metrics_internal._METER_PROVIDER,
        metrics_internal._METER_PROVIDER_SET_ONCE,
    ) = saved


@pytest.fixture
def no_otel_env(monkeypatch):
    for var in (
        "OTEL_SERVICE_NAME",
        "OTEL_RESOURCE_ATTRIBUTES",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_PROMETHEUS_PORT",
        "OTEL_EXPORTER_PROMETHEUS_HOST",
    ):
        monkeypatch.delenv(var, raising=False)


def test_serves_metrics_on_a_free_port(no_otel_env):
    """prometheus_port=0 binds a free port on 127.0.0.1 and /metrics shows recorded jobs."""
    telemetry = configure(
        "qobserve-test", prometheus_port=0, registry=CollectorRegistry(), set_global=False
    )
    try:
        host, port = telemetry.prometheus_address
        assert host == "127.0.0.1" and port > 0
        jobs = JobTelemetry(telemetry.tracer_provider, telemetry.meter_provider)
        jobs.start("qiskit", "aer_simulator", "run", shots=10).finish(JobStatus.COMPLETED)
        body = urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=5).read().decode()
        jobs.start("qiskit", "aer_simulator", "run", shots=10).finish(
            JobStatus.FAILED, error="Boom"
        )
        second = urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=5).read().decode()
    finally:
        telemetry.shutdown()
    assert (
        'quantum_jobs_total{error_type="",quantum_backend="aer_simulator",'
        'quantum_job_status="completed",quantum_provider="qiskit"} 1.0'
    ) in body
    # A series new since the last scrape reads 0 once, so rate() sees its first job.
    assert (
        'quantum_jobs_total{error_type="Boom",quantum_backend="aer_simulator",'
        'quantum_job_status="failed",quantum_provider="qiskit"} 0.0'
    ) in second
    assert 'service_name="qobserve-test"' in body  # target_info carries the resource


def test_otel_service_name_wins(no_otel_env, monkeypatch):
    """OTEL_SERVICE_NAME overrides the service_name argument, as the OTel spec requires."""
    monkeypatch.setenv("OTEL_SERVICE_NAME", "from-env")
    telemetry = configure("from-argument", set_global=False)
    try:
        assert telemetry.tracer_provider.resource.attributes[SERVICE_NAME] == "from-env"
    finally:
        telemetry.shutdown()


def test_sets_global_providers_when_none(no_otel_env, fresh_globals):
    """With no SDK providers installed, configure() installs its own globally."""
    telemetry = configure("qobserve-test")
    try:
        assert trace.get_tracer_provider() is telemetry.tracer_provider
        assert metrics.get_meter_provider() is telemetry.meter_provider
    finally:
        telemetry.shutdown()


def test_keeps_application_providers(no_otel_env, fresh_globals):
    """Providers the application already set are kept and used, never replaced."""
    app_tracer, app_meter = TracerProvider(), MeterProvider()
    trace.set_tracer_provider(app_tracer)
    metrics.set_meter_provider(app_meter)
    telemetry = configure("qobserve-test")
    try:
        assert trace.get_tracer_provider() is app_tracer
        assert metrics.get_meter_provider() is app_meter
        assert telemetry.tracer_provider is app_tracer and telemetry.meter_provider is app_meter
    finally:
        telemetry.shutdown()


def test_prometheus_endpoint_sees_application_provider(no_otel_env, fresh_globals):
    """With the application's MeterProvider kept, /metrics still serves what it records, and
    qobserve's shutdown leaves the application's providers running."""
    app_meter = MeterProvider()
    metrics.set_meter_provider(app_meter)
    telemetry = configure("qobserve-test", prometheus_port=0, registry=CollectorRegistry())
    try:
        JobTelemetry(meter_provider=metrics.get_meter_provider()).start(
            "qiskit", "aer_simulator", "run"
        ).finish(JobStatus.COMPLETED)
        host, port = telemetry.prometheus_address
        body = urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=5).read().decode()
    finally:
        telemetry.shutdown()
    assert 'quantum_jobs_total{error_type="",quantum_backend="aer_simulator"' in body
    counter = app_meter.get_meter("after").create_counter("still_alive")
    counter.add(1)  # a shut-down provider would log a warning and drop this
    assert not app_meter._shutdown_once._done


def test_job_log_line_carries_trace_and_span_ids(otel, caplog):
    """The terminal log line of a job names its trace and span so logs join traces."""
    caplog.set_level(logging.INFO, logger="qobserve.jobs")
    record = JobTelemetry(**otel.providers).start("qiskit", "fake_manila", "sampler", job_id="j-1")
    record.finish(JobStatus.FAILED, error="RuntimeJobFailureError")
    (span,) = otel.spans()
    (line,) = [r for r in caplog.records if r.name == "qobserve.jobs"]
    assert line.trace_id == f"{span.context.trace_id:032x}"
    assert line.span_id == f"{span.context.span_id:016x}"
    assert line.job_id == "j-1" and line.status == "failed"


@pytest.fixture
def busy_port():
    """A port some other process (here: a listening socket) already holds."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_busy_port_is_one_line_naming_port_holder_hint_and_fix(no_otel_env, busy_port):
    """A taken port raises BindError: one line with the port, an `ss -ltnp` hint and prometheus_port=0."""
    with pytest.raises(BindError) as err:
        configure(prometheus_port=busy_port, registry=CollectorRegistry(), set_global=False)
    message = str(err.value)
    assert "\n" not in message and err.value.__cause__ is None
    assert f"port {busy_port} on 127.0.0.1 is already in use" in message
    assert f"ss -ltnp 'sport = :{busy_port}'" in message and "prometheus_port=0" in message
    assert "--port 0" in err.value.message("--port")


@pytest.mark.parametrize(
    ("kwargs", "env", "message"),
    [
        ({"prometheus_port": 70000}, None, "prometheus_port: expected a TCP port 0-65535"),
        ({"prometheus_port": -1}, None, "prometheus_port: expected a TCP port 0-65535"),
        (
            {},
            "abc",
            "OTEL_EXPORTER_PROMETHEUS_PORT: expected a TCP port 0-65535 (0 picks a free one), got 'abc'",
        ),
        ({}, "99999", "OTEL_EXPORTER_PROMETHEUS_PORT: expected a TCP port"),
    ],
)
def test_bad_port_setting_names_it(no_otel_env, monkeypatch, kwargs, env, message):
    """A port that is not 0-65535, from the argument or the environment, names the setting."""
    if env is not None:
        monkeypatch.setenv("OTEL_EXPORTER_PROMETHEUS_PORT", env)
    with pytest.raises(ValueError) as err:
        configure(registry=CollectorRegistry(), set_global=False, **kwargs)
    assert message in str(err.value)


def test_unresolvable_host_names_it(no_otel_env):
    """A bind host that does not resolve is one line naming the host."""
    with pytest.raises(
        BindError,
        match=r"prometheus_port: cannot listen on nohost\.invalid:0: host 'nohost\.invalid' does not resolve",
    ):
        configure(
            prometheus_port=0,
            prometheus_host="nohost.invalid",
            registry=CollectorRegistry(),
            set_global=False,
        )


@pytest.mark.parametrize("base_endpoint", [False, True])
def test_traces_endpoint_and_headers_variables(no_otel_env, monkeypatch, base_endpoint):
    """OTEL_EXPORTER_OTLP_TRACES_ENDPOINT alone exports traces (an MLflow server's /v1/traces),
    with OTEL_EXPORTER_OTLP_TRACES_HEADERS; it wins over a base OTEL_EXPORTER_OTLP_ENDPOINT."""
    import http.server
    import threading

    seen: list[tuple[str, str | None]] = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            seen.append((self.path, self.headers.get("x-mlflow-experiment-id")))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", f"http://127.0.0.1:{port}/v1/traces")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "x-mlflow-experiment-id=42")
    if base_endpoint:  # a collector that is not there: only metrics and logs would go to it
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
    telemetry = configure("qobserve-test", set_global=False)
    try:
        with telemetry.tracer_provider.get_tracer("t").start_as_current_span("job"):
            pass
        telemetry.tracer_provider.force_flush()
    finally:
        telemetry.shutdown()
        server.shutdown()
    assert ("/v1/traces", "42") in seen
