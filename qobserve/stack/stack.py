"""The running demo stack: Slack sink, alert bridge, Alertmanager, exporter, Prometheus.

:class:`Stack` starts every part on 127.0.0.1 with free ports, wires them
together (Prometheus scrapes this process, the exporter and the bridge and
alerts to Alertmanager, which notifies the bridge, which posts to the sink)
and stops them all in ``close()``, in reverse order, so nothing is left
running. The bridge and the exporter run as ``qobserve`` subprocesses, exactly
as a user would run them.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

import yaml
from prometheus_client import CollectorRegistry

from qobserve.stack import config as cfg
from qobserve.testing import (
    Alertmanager,
    MlflowServer,
    Prometheus,
    start_alertmanager,
    start_prometheus,
)
from qobserve.testing.services import Service, ServiceError, free_port, spawn_python
from qobserve.testing.slack import SlackMessage, SlackServer

if TYPE_CHECKING:
    from qobserve.telemetry import Telemetry

__all__ = ["EXPORTER_BACKENDS", "Stack", "StackOptions", "demo_telemetry"]

log = logging.getLogger("qobserve.stack")

_SLACK_TOKEN_ENV = "QOBSERVE_DEMO_SLACK_TOKEN"
_BEARER_ENV = "QOBSERVE_DEMO_BRIDGE_TOKEN"
#: What the exporter sidecar probes: the fallback simulator the scenario's jobs move to.
EXPORTER_BACKENDS = {"aer": "qiskit:aer"}


def demo_telemetry(
    registry: CollectorRegistry, *, otlp_endpoint: str | None, traces_file: Path | None
) -> Telemetry:
    """Providers for the demo process: ``/metrics`` on a free port for Prometheus, traces
    to the OTLP endpoint or, without one, to ``traces_file`` as OTLP JSON lines.

    Returns:
        The :class:`qobserve.telemetry.Telemetry` handle (not installed globally).
    """
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    from qobserve.stack.traces import OtlpJsonFileExporter
    from qobserve.telemetry import configure

    telemetry = configure(
        "qobserve-demo",
        prometheus_port=0,
        registry=registry,
        otlp_endpoint=otlp_endpoint,
        set_global=False,
    )
    if traces_file is not None:
        telemetry.tracer_provider.add_span_processor(
            BatchSpanProcessor(OtlpJsonFileExporter(traces_file), schedule_delay_millis=1000)
        )
    return telemetry


@dataclass(frozen=True)
class StackOptions:
    """How to run the stack.

    Attributes:
        workdir: configs, logs, TSDB and traces go here (default: a new temp dir).
        compression: ``windows.time_compression`` of the demo SLO spec.
        otlp_endpoint: send traces (and metrics, logs) to this OTLP/HTTP receiver.
        traces_file: without an endpoint, OTLP JSON lines go here (default: in workdir).
        start_timeout: seconds each service may take to become ready.
        mlflow: also start an MLflow server: the training runs and all traces land in
            its experiment ``demo-vqe``.
    """

    workdir: Path | None = None
    compression: int = 60
    otlp_endpoint: str | None = None
    traces_file: Path | None = None
    start_timeout: float = 60.0
    mlflow: bool = False


class Stack:
    """Start with ``start()`` (or ``with Stack(...) as stack``); ``close()`` stops everything."""

    def __init__(
        self, options: StackOptions, *, on_message: Callable[[SlackMessage], None] | None = None
    ) -> None:
        self.options = options
        self.workdir = Path(options.workdir or tempfile.mkdtemp(prefix="qobserve-demo-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.spec = cfg.demo_spec(options.compression)
        self.traces_file: Path | None = None
        if not (options.otlp_endpoint or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")):
            self.traces_file = Path(options.traces_file or self.workdir / "traces.otlp.jsonl")
        self.registry = CollectorRegistry()
        self._on_message = on_message
        self.sink: SlackServer | None = None
        self.telemetry: Telemetry | None = None
        self.services: dict[str, Service] = {}
        self.scrape_targets: dict[str, str] = {}

    # -- lifecycle ---------------------------------------------------------------------

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> Stack:
        """Start every part; on failure stop what started and raise :class:`ServiceError`."""
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def _start(self) -> None:
        w, timeout = self.workdir, self.options.start_timeout
        slack_token, bearer = f"xoxb-demo-{secrets.token_hex(8)}", secrets.token_urlsafe(24)
        # The exporter imports every SDK, by far the slowest to start: launch it first.
        exporter_port = free_port()
        self._write("exporter.yml", cfg.exporter_config(exporter_port, EXPORTER_BACKENDS))
        self.services["exporter"] = spawn_python(
            "exporter", ["exporter", "--config", str(w / "exporter.yml")], exporter_port, w
        )
        if self.options.mlflow:  # slow to start (imports, migrations): up to 3 minutes
            from qobserve.testing import start_mlflow_server

            os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")  # the live view
            self.services["mlflow"] = start_mlflow_server(w / "mlflow", timeout=max(timeout, 180))
        self.sink = SlackServer(slack_token, on_message=self._on_message).start()
        bridge_port = free_port()
        self._write(
            "alert-bridge.yml",
            cfg.bridge_config(
                bridge_port,
                self.sink.api_url,
                w / "spool",
                token_env=_SLACK_TOKEN_ENV,
                bearer_env=_BEARER_ENV,
            ),
        )
        self.services["alert-bridge"] = spawn_python(
            "alert-bridge",
            ["alert-bridge", "--config", str(w / "alert-bridge.yml")],
            bridge_port,
            w,
            env={_SLACK_TOKEN_ENV: slack_token, _BEARER_ENV: bearer},
            stop_signal=signal.SIGINT,
        )  # SIGINT: the bridge closes its spool cleanly
        token_file = w / "alert-bridge.token"
        token_file.touch(mode=0o600)  # Alertmanager reads the bearer token from here
        token_file.write_text(bearer)
        routing = cfg.demo_routing(f"http://127.0.0.1:{bridge_port}/alerts", token_file)
        rules = cfg.write_rules(w, self.spec, routing)
        self.services["alert-bridge"].wait_ready("/healthz", timeout)
        self.services["alertmanager"] = start_alertmanager(
            rules.alertmanager_config, w, timeout=timeout
        )
        telemetry = self.telemetry = demo_telemetry(
            self.registry, otlp_endpoint=self.options.otlp_endpoint, traces_file=self.traces_file
        )
        if "mlflow" in self.services:
            from qobserve.stack.workload import EXPERIMENT

            mlflow = cast(MlflowServer, self.services["mlflow"])  # started above
            telemetry.tracer_provider.add_span_processor(mlflow.span_processor(EXPERIMENT))
        assert telemetry.prometheus_address is not None  # demo_telemetry serves /metrics
        host, port = telemetry.prometheus_address
        # The exporter is not waited for: Prometheus scrapes it once it is up, and
        # the scenario's healthy phase waits for that (see Scenario).
        targets = {
            "qobserve-demo": f"{host}:{port}",
            "qobserve-exporter": f"127.0.0.1:{exporter_port}",
            "qobserve-alert-bridge": f"127.0.0.1:{bridge_port}",
        }
        self.scrape_targets = targets
        # One-second scrapes and evaluations let the compressed windows (5 s at the
        # default compression) hold several samples each.
        self.services["prometheus"] = start_prometheus(
            workdir=w,
            timeout=timeout,
            rule_files=rules.rule_files,
            scrape_targets=targets,
            alertmanagers=[self.services["alertmanager"].url],
            scrape_interval="1s",
            evaluation_interval="1s",
        )

    def _write(self, name: str, data: dict) -> Path:
        path = self.workdir / name
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return path

    def close(self) -> None:
        """Stop every service (Prometheus first, so no alert is sent into a closed pipe)."""
        for name in ("prometheus", "alertmanager", "alert-bridge", "exporter", "mlflow"):
            service = self.services.get(name)
            if service is not None:
                try:
                    service.stop()
                except Exception:  # keep stopping the others
                    log.exception("stopping %s failed", name)
        if self.sink is not None:
            self.sink.stop()
        if self.telemetry is not None:
            self.telemetry.shutdown()
            self.telemetry = None

    # -- reading the stack -------------------------------------------------------------

    @property
    def prometheus(self) -> Prometheus:
        prom = self.services["prometheus"]
        assert isinstance(prom, Prometheus)
        return prom

    @property
    def alertmanager(self) -> Alertmanager:
        am = self.services["alertmanager"]
        assert isinstance(am, Alertmanager)
        return am

    def query(self, promql: str) -> list[dict]:
        """Instant query result vector (``[{metric, value}]``); empty on any error."""
        try:
            return self.prometheus.query(promql)
        except (OSError, ValueError, ServiceError):
            return []

    def active_alerts(self) -> list[dict]:
        """Alertmanager's active (not silenced or inhibited) alerts, API v2."""
        try:
            alerts = self.alertmanager.alerts(active=True, silenced=False, inhibited=False)
        except (OSError, ValueError):
            return []
        return alerts if isinstance(alerts, list) else []

    def messages(self) -> list[SlackMessage]:
        return self.sink.messages() if self.sink is not None else []

    def targets_up(self) -> dict[str, bool]:
        """``job -> up`` for every scrape target Prometheus knows."""
        return {r["metric"].get("job", ""): r["value"][1] == "1" for r in self.query("up")}

    def ensure_running(self) -> None:
        """Raise :class:`ServiceError` if a service process has exited."""
        for name, service in self.services.items():
            if service.process.poll() is not None:
                raise ServiceError(
                    f"{name} exited with {service.process.returncode}: {service.log_tail(1000)}"
                )
