"""``configure()``: OpenTelemetry providers and exporters for qobserve.

Two export paths, usable together: a Prometheus pull endpoint (the OpenTelemetry
Prometheus reader on a prometheus-client HTTP server) and OTLP push to an
OpenTelemetry Collector, which is the scale-out path for many processes. The
standard ``OTEL_*`` variables are honoured: ``OTEL_SERVICE_NAME`` and
``OTEL_RESOURCE_ATTRIBUTES`` through the SDK's resource detection,
``OTEL_EXPORTER_OTLP_*`` by the OTLP exporters themselves (a traces-only
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``, e.g. an MLflow server's ``/v1/traces``
with ``OTEL_EXPORTER_OTLP_TRACES_HEADERS=x-mlflow-experiment-id=ID``, is enough
to export traces), and
``OTEL_EXPORTER_PROMETHEUS_HOST``/``_PORT`` as defaults for the pull endpoint.

Providers an application already installed are never replaced: qobserve then
records through them and says so in a log line.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import View
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

__all__ = ["BindError", "Telemetry", "configure"]

log = logging.getLogger("qobserve")


@dataclass
class Telemetry:
    """What ``configure()`` set up; ``shutdown()`` flushes and stops exporters."""

    tracer_provider: TracerProvider  # the SDK's: configure() keeps or builds only those
    meter_provider: MeterProvider
    prometheus_address: tuple[str, int] | None = None
    _stoppers: list[Callable[[], object]] = field(default_factory=list, repr=False)

    def shutdown(self) -> None:
        """Flush pending telemetry and stop servers, exporters and log handlers."""
        for stop in reversed(self._stoppers):
            try:
                stop()
            except Exception:  # a failing exporter must not mask the others
                log.exception("qobserve: telemetry shutdown step failed")
        self._stoppers.clear()


class BindError(OSError):
    """The ``/metrics`` endpoint cannot listen where asked.

    ``str()`` is one line naming the address, who may hold it and the setting
    that picks another; :meth:`message` renders it for a command-line option.
    """

    def __init__(self, host: str, port: int, cause: OSError) -> None:
        super().__init__(cause.errno, cause.strerror)
        self.host, self.port, self.cause = host, port, cause

    def message(self, option: str = "prometheus_port", *, zero: str | None = None) -> str:
        """One line for an operator; ``option`` is how they set the port (``--port``)."""
        zero = zero or (f"{option}=0" if option.isidentifier() else f"{option} 0")
        where = f"{self.host}:{self.port}"
        if self.errno == errno.EADDRINUSE:
            return (
                f"{option}: port {self.port} on {self.host} is already in use (another qobserve "
                f"demo or exporter? `ss -ltnp 'sport = :{self.port}'` shows which process); "
                f"stop it, or pass {zero} for a free port"
            )
        if self.errno == errno.EACCES:
            return (
                f"{option}: not allowed to listen on {where} (ports below 1024 need privileges); "
                f"use a port above 1023, or {zero} for a free one"
            )
        if isinstance(self.cause, socket.gaierror):
            return (
                f"{option}: cannot listen on {where}: host {self.host!r} does not resolve "
                f"({self.cause.strerror}); use an address such as 127.0.0.1"
            )
        return (
            f"{option}: cannot listen on {where}: {self.cause.strerror or self.cause}; "
            f"check the host, or pass {zero} for a free port"
        )

    def __str__(self) -> str:
        return self.message()


def _port_number(value: object, setting: str) -> int:
    """A TCP port 0–65535 (0: a free one), or ValueError naming ``setting``."""
    try:
        port = int(str(value).strip()) if isinstance(value, str) else value
    except ValueError:
        port = None
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(
            f"{setting}: expected a TCP port 0-65535 (0 picks a free one), got {value!r}"
        )
    return port


def _prometheus_reader(
    host: str, port: int, registry: CollectorRegistry | None
) -> tuple[MetricReader, Callable[[], None], tuple[str, int]]:
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from prometheus_client import REGISTRY, CollectorRegistry, start_http_server

    from qobserve.exposition import ZeroFirstCollector

    registry = registry or REGISTRY
    # /metrics shows each new counter/histogram series at 0 on its first scrape,
    # so rate() sees a backend's first failure of a new kind (qobserve.exposition).
    served = CollectorRegistry(auto_describe=False)
    served.register(ZeroFirstCollector(registry))
    try:
        server, _thread = start_http_server(port, addr=host, registry=served)
    except OSError as exc:
        raise BindError(host, port, exc) from None
    # The reader registers on the registry only once the port is ours. Scope labels would
    # add otel_scope_* to every series and break the contract's label sets; target_info
    # is kept for resource attributes.
    reader = PrometheusMetricReader(scope_info_enabled=False, registry=registry)

    def stop() -> None:
        # The reader unregisters its collector itself when its provider shuts
        # it down; unregistering here too made MeterProvider.shutdown fail.
        server.shutdown()
        server.server_close()

    return reader, stop, (host, server.server_address[1])


def configure(
    service_name: str | None = None,
    *,
    prometheus_port: int | None = None,
    prometheus_host: str | None = None,
    otlp_endpoint: str | None = None,
    registry: CollectorRegistry | None = None,
    metric_readers: Sequence[MetricReader] = (),
    views: Sequence[View] = (),
    set_global: bool = True,
) -> Telemetry:
    """Set up tracer and meter providers with Prometheus and/or OTLP export.

    Args:
        service_name: ``service.name`` resource attribute; ``OTEL_SERVICE_NAME``
            wins when set, as the OpenTelemetry specification requires.
        prometheus_port: serve ``/metrics`` on this port (0 picks a free one).
            Defaults to ``OTEL_EXPORTER_PROMETHEUS_PORT``; unset means no pull endpoint.
            Each new counter or histogram series reads 0 on its first scrape
            (:mod:`qobserve.exposition`), so burn rates see its first event.
        prometheus_host: bind address, default ``OTEL_EXPORTER_PROMETHEUS_HOST``
            or ``127.0.0.1`` (bind wider only behind a network policy).
        otlp_endpoint: OTLP/HTTP base URL of a collector, e.g.
            ``http://127.0.0.1:4318``; defaults to ``OTEL_EXPORTER_OTLP_ENDPOINT``.
            ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` (a full URL) sends traces there
            instead, with or without a base endpoint.
        registry: prometheus-client registry to expose (default: the global one).
        metric_readers: further readers, e.g. a Prometheus reader on a registry
            that an existing server already serves.
        views: OpenTelemetry views, e.g. to drop instruments another component exports.
        set_global: install the providers globally unless some are already set.

    Returns:
        A :class:`Telemetry` handle; call ``shutdown()`` before exit.

    Raises:
        ValueError: ``prometheus_port`` or ``OTEL_EXPORTER_PROMETHEUS_PORT`` is not a port.
        BindError: the port is taken or the host cannot be listened on; the
            message names the port and says to pass ``prometheus_port=0``.
    """
    attrs = (
        {SERVICE_NAME: service_name}
        if service_name and not os.environ.get("OTEL_SERVICE_NAME")
        else {}
    )
    resource = Resource.create(attrs)
    stoppers: list[Callable[[], object]] = []

    if prometheus_port is not None:
        prometheus_port = _port_number(prometheus_port, "prometheus_port")
    elif os.environ.get("OTEL_EXPORTER_PROMETHEUS_PORT"):
        prometheus_port = _port_number(
            os.environ["OTEL_EXPORTER_PROMETHEUS_PORT"], "OTEL_EXPORTER_PROMETHEUS_PORT"
        )
    host = prometheus_host or os.environ.get("OTEL_EXPORTER_PROMETHEUS_HOST", "127.0.0.1")
    otlp_endpoint = otlp_endpoint or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")

    readers: list[MetricReader] = list(metric_readers)
    address = None
    if prometheus_port is not None:
        reader, stop, address = _prometheus_reader(host, prometheus_port, registry)
        readers.append(reader)
        stoppers.append(stop)
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

        readers.append(
            PeriodicExportingMetricReader(
                OTLPMetricExporter(endpoint=f"{otlp_endpoint.rstrip('/')}/v1/metrics")
            )
        )

    existing_t = trace.get_tracer_provider() if set_global else None
    existing_m = metrics.get_meter_provider() if set_global else None
    sdk_t = existing_t if isinstance(existing_t, TracerProvider) else None
    sdk_m = existing_m if isinstance(existing_m, MeterProvider) else None
    kept_t, kept_m = sdk_t is not None, sdk_m is not None
    if kept_t or kept_m:
        # Our exporters are attached to the kept providers, so /metrics and
        # OTLP still see what is recorded through them; shutdown() detaches
        # them and leaves the application's providers running. (A metric
        # reader can belong to one MeterProvider only: build ours only if used.)
        log.info("qobserve: keeping the application's OpenTelemetry providers")
    tracer_provider = sdk_t if sdk_t is not None else TracerProvider(resource=resource)
    if sdk_m is not None:
        meter_provider = sdk_m
        for reader in readers:
            sdk_m.add_metric_reader(reader)
            stoppers.append(partial(sdk_m.remove_metric_reader, reader))
    else:
        meter_provider = MeterProvider(resource=resource, metric_readers=readers, views=list(views))
    # A traces-only endpoint (an MLflow server's /v1/traces) takes the traces, as the
    # OTLP exporter specification says a signal-specific endpoint wins over the base one.
    traces_endpoint = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    if otlp_endpoint or traces_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        # With no endpoint argument the exporter reads OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
        # itself; headers (OTEL_EXPORTER_OTLP_[TRACES_]HEADERS) are read either way.
        span_processor = BatchSpanProcessor(
            OTLPSpanExporter(
                endpoint=None
                if traces_endpoint or not otlp_endpoint
                else f"{otlp_endpoint.rstrip('/')}/v1/traces"
            )
        )
        tracer_provider.add_span_processor(span_processor)
        if kept_t:
            stoppers.append(span_processor.shutdown)
    if otlp_endpoint:
        stoppers.append(_bridge_logs(resource, otlp_endpoint))

    if set_global and not kept_t:
        trace.set_tracer_provider(tracer_provider)
    if set_global and not kept_m:
        metrics.set_meter_provider(meter_provider)

    if not kept_m:
        stoppers.insert(0, lambda: getattr(meter_provider, "shutdown", lambda: None)())
    if not kept_t:
        stoppers.insert(0, lambda: getattr(tracer_provider, "shutdown", lambda: None)())
    return Telemetry(tracer_provider, meter_provider, address, stoppers)


def _bridge_logs(resource: Resource, endpoint: str) -> Callable[[], None]:
    """Send qobserve's log records over OTLP too, correlated with their spans."""
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor

    provider = LoggerProvider(resource=resource)
    provider.add_log_record_processor(
        BatchLogRecordProcessor(OTLPLogExporter(endpoint=f"{endpoint.rstrip('/')}/v1/logs"))
    )
    handler = LoggingHandler(logger_provider=provider)
    log.addHandler(handler)

    def stop() -> None:
        log.removeHandler(handler)
        provider.shutdown()

    return stop
