"""The exporter process: probe loops, the cached collector and the HTTP server.

Reload keeps the loops (and so the series) of backends whose config did not
change, stops those of changed or removed backends and drops their series.
With ``probes.rb.plot`` the last RB decay plot of each backend is served at
``/probes/<name>/rb.png`` (behind the same basic auth as ``/metrics``).
Jobs that probes submit go through the instrumented SDK path, so they appear
in the job metrics too; the gauges the probe collector owns are dropped from
the OpenTelemetry pipeline so no series is exported twice.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

from opentelemetry.sdk.metrics.view import DropAggregation, View
from prometheus_client import CollectorRegistry

from qobserve import semconv
from qobserve.exporter.collector import ProbeCollector
from qobserve.exporter.config import BackendEntry, ExporterConfig, ProbeSchedule
from qobserve.exporter.credentials import set_secrets
from qobserve.exporter.probes import Sample, Target, calibration_probe, status_probe
from qobserve.exporter.scheduler import ProbeLoop
from qobserve.exporter.server import MetricsServer

__all__ = ["Exporter"]

log = logging.getLogger("qobserve.exporter")

#: Gauges the probe collector exports; the OTel pipeline must not export them too.
PROBE_OWNED = (
    semconv.QUANTUM_BACKEND_CALIBRATION_TIMESTAMP_SECONDS,
    semconv.QUANTUM_BACKEND_UP,
    semconv.QUANTUM_BACKEND_PENDING_JOBS,
    semconv.QUANTUM_BACKEND_QUBIT_T1_SECONDS,
    semconv.QUANTUM_BACKEND_QUBIT_T2_SECONDS,
    semconv.QUANTUM_BACKEND_QUBIT_READOUT_ERROR_RATIO,
    semconv.QUANTUM_RB_ERROR_PER_CLIFFORD,
    semconv.QUANTUM_FIDELITY_RATIO,
    semconv.QUANTUM_BACKEND_GATE_ERROR_RATIO,
)

_PLOT_PATH = re.compile(r"^/probes/([A-Za-z0-9_.-]+)/rb\.png$")  # names as BackendEntry allows

ProbeFn = Callable[[Target], list[Sample]]

#: Probes whose first round gates readiness; the others (RB) can take minutes.
FAST_PROBES = ("calibration", "status")


def _probes(config: ExporterConfig, state_dir: Path) -> dict[str, tuple[ProbeFn, ProbeSchedule]]:
    probes: dict[str, tuple[ProbeFn, ProbeSchedule]] = {}
    if config.probes.calibration.enabled:
        probes["calibration"] = (calibration_probe, config.probes.calibration)
    if config.probes.status.enabled:
        probes["status"] = (status_probe, config.probes.status)
    rb = config.probes.rb
    if rb is not None and rb.enabled:
        from qobserve.exporter.rb_probe import RBProbe

        probes["rb"] = (RBProbe(rb, state_dir=state_dir), rb)
    return probes


class Exporter:
    """A running exporter; ``start()``, ``reload(config)``, ``stop()``.

    Raises:
        qobserve.state.StateDirError: no usable state directory.
        qobserve.exporter.server.ServerStartError: ``listen`` cannot be bound or TLS files loaded.
    """

    def __init__(
        self, config: ExporterConfig, *, registry: CollectorRegistry | None = None
    ) -> None:
        from opentelemetry.exporter.prometheus import PrometheusMetricReader

        from qobserve.state import ensure_state_dir
        from qobserve.telemetry import configure

        # Checked before anything runs: a probe must never be the first to find it unusable.
        self.state_dir = ensure_state_dir(config.state_dir)
        self.config = config
        self.registry = registry or CollectorRegistry()
        self.collector = ProbeCollector()  # served pre-rendered, beside the registry
        self.telemetry = configure(
            "qobserve-exporter",
            otlp_endpoint=config.otlp.endpoint if config.otlp else None,
            metric_readers=[
                PrometheusMetricReader(scope_info_enabled=False, registry=self.registry)
            ],
            views=[
                View(instrument_name=semconv.metric(n).otel_name, aggregation=DropAggregation())
                for n in PROBE_OWNED
            ],
            set_global=False,
        )
        self._loops: dict[str, list[ProbeLoop]] = {}
        # The server answers before the first config is applied: no loops yet is not "ready".
        self._applied = False
        self._entries: dict[str, BackendEntry] = {}
        self._probes = _probes(config, self.state_dir)
        self._lock = threading.Lock()
        host, port = config.address
        try:
            self.server = MetricsServer(
                host,
                port,
                self.registry,
                self.readiness,
                config.web,
                extra=self.collector.exposition,
            )
        except BaseException:
            self.telemetry.shutdown()
            raise
        # MetricsServer routes only metrics and health; plots are served around its app,
        # which keeps answering (401 included) for every other path.
        self.server._httpd.set_app(self._with_plots(self.server._httpd.get_app(), config))

    def _with_plots(self, inner, config: ExporterConfig):
        from qobserve.exporter.server import _authorized

        users = dict(config.web.basic_auth_users)

        def app(environ, start_response):
            match = _PLOT_PATH.match(environ.get("PATH_INFO", ""))
            if match is None or (users and not _authorized(environ, users)):
                return inner(environ, start_response)
            png = self.rb_plot(match.group(1))
            if png is None:
                start_response("404 Not Found", [("Content-Type", "text/plain")])
                return [
                    b"no RB plot for this backend yet: set probes.rb.plot and wait for a probe run\n"
                ]
            start_response("200 OK", [("Content-Type", "image/png"), ("Cache-Control", "no-cache")])
            return [png]

        return app

    def rb_plot(self, name: str) -> bytes | None:
        """The last RB decay plot (PNG) of the configured backend ``name``, if any."""
        probe = self._probes.get("rb", (None,))[0]
        with self._lock:
            known = name in self._entries
        plot = getattr(probe, "plot", None)  # the RB probe keeps its last plot
        return plot(name) if known and plot is not None else None

    @property
    def address(self) -> tuple[str, int]:
        return self.server.address

    def start(self) -> None:
        from qobserve.instrumentation import instrument

        instrument(
            tracer_provider=self.telemetry.tracer_provider,
            meter_provider=self.telemetry.meter_provider,
        )
        self.server.start()
        self._apply(self.config)

    def ready(self) -> bool:
        """True while serving once the fast probes (calibration, status) have run on every backend.

        Long probes (RB) never hold readiness, and a failed run counts as run: a
        failing backend is data to scrape, not a reason to take the exporter out.
        """
        return self.readiness()[0]

    def readiness(self) -> tuple[bool, str]:
        """``(ready, body)``: the verdict, then one line per probe and backend with its state."""
        now = time.time()
        with self._lock:
            keys = {(loop.probe, name) for name, loops in self._loops.items() for loop in loops}
        states = {k: v for k, v in self.collector.states().items() if k in keys}
        waiting = [
            k for k in keys if k[0] in FAST_PROBES and (k not in states or states[k][1] is None)
        ]
        ok = self.server.serving and self._applied and not waiting
        lines = [
            "ready" if ok else f"not ready: first round of {', '.join(FAST_PROBES)} not finished"
        ]
        for (probe, target), (state, outcome) in sorted(states.items()):
            lines.append(
                f"{probe} {target}: {_describe(state, outcome, now)}"
                + ("" if probe in FAST_PROBES else " (does not hold readiness)")
            )
        return ok, "\n".join(lines) + "\n"

    def reload(self, config: ExporterConfig) -> None:
        """Apply a new config; unchanged backends keep their loops and series."""
        if config.address != self.config.address or config.web != self.config.web:
            log.warning("listen/web changed: restart the exporter to apply them")
        if config.state_dir != self.config.state_dir:
            log.warning("state_dir changed: restart the exporter to apply it")
        probes_changed = config.probes != self.config.probes
        if probes_changed:
            self._probes = _probes(config, self.state_dir)
        self.config = config
        self._apply(config, restart_all=probes_changed)

    def _apply(self, config: ExporterConfig, restart_all: bool = False) -> None:
        wanted = {e.name: e for e in config.backends}
        set_secrets(v for e in config.backends for v in e.secret_values)
        with self._lock:
            for name in list(self._loops):
                if restart_all or name not in wanted or wanted[name] != self._entries[name]:
                    for loop in self._loops.pop(name):
                        loop.stop()
                    self._entries.pop(name)
                    self.collector.drop_target(name)
                    rb = self._probes.get("rb", (None,))[0]
                    drop_plot = getattr(rb, "drop_plot", None)
                    if drop_plot is not None:
                        drop_plot(name)
            for name, entry in wanted.items():
                if name in self._loops:
                    continue
                target = Target(name, entry.spec, entry.resolved_credentials)
                loops = [
                    ProbeLoop(probe, fn, target, schedule, self.collector)
                    for probe, (fn, schedule) in self._probes.items()
                ]
                self._loops[name], self._entries[name] = loops, entry
                for loop in loops:
                    loop.start()
            self._applied = True
        log.info("exporter: probing %d backends with %s", len(wanted), ", ".join(self._probes))

    def stop(self) -> None:
        """Stop probes and the server and flush telemetry; in-flight probes are abandoned."""
        from qobserve.instrumentation import uninstrument

        with self._lock:
            loops = [loop for group in self._loops.values() for loop in group]
            self._loops.clear()
        for loop in loops:
            loop.stop()
        self.server.stop()
        uninstrument()
        self.telemetry.shutdown()


def _describe(state, outcome, now: float) -> str:
    parts = []
    if state.in_progress():
        parts.append(f"running for {now - (state.running_since or now):.0f}s")
    if outcome is None:
        parts.append("pending")
    elif outcome.success:
        parts.append(f"ok {now - outcome.finished_at:.0f}s ago")
    else:
        parts.append(
            f"failing ({outcome.error_type or 'error'}) {now - outcome.finished_at:.0f}s ago"
        )
    if state.stale(now):
        parts.append(f"STALE: no run finished in {state.stale_after:.0f}s")
    return ", ".join(parts)
