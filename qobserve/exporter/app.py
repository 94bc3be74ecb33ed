"""The exporter process: probe loops, the cached collector and the HTTP server.

Reload keeps the loops (and so the series) of backends whose config did not
change, stops those of changed or removed backends and drops their series.
Jobs that probes submit go through the instrumented SDK path, so they appear
in the job metrics too; the gauges the probe collector owns are dropped from
the OpenTelemetry pipeline so no series is exported twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from opentelemetry.sdk.metrics.view import DropAggregation, View
from prometheus_client import CollectorRegistry

from qobserve import semconv
from qobserve.exporter.collector import ProbeCollector
from qobserve.exporter.config import BackendEntry, ExporterConfig, ProbeSchedule
from qobserve.exporter.probes import Sample, Target, calibration_probe, status_probe
from qobserve.exporter.scheduler import ProbeLoop
from qobserve.exporter.server import MetricsServer

__all__ = ["Exporter"]

log = logging.getLogger("qobserve.exporter")

#: Gauges the probe collector exports; the OTel pipeline must not export them too.
PROBE_OWNED = (
    "quantum_backend_calibration_timestamp_seconds", "quantum_backend_up",
    "quantum_backend_pending_jobs", "quantum_backend_qubit_t1_seconds",
    "quantum_backend_qubit_t2_seconds", "quantum_backend_qubit_readout_error_ratio",
    "quantum_rb_error_per_clifford", "quantum_fidelity_ratio",
)

ProbeFn = Callable[[Target], list[Sample]]


def _probes(config: ExporterConfig) -> dict[str, tuple[ProbeFn, ProbeSchedule]]:
    probes: dict[str, tuple[ProbeFn, ProbeSchedule]] = {}
    if config.probes.calibration.enabled:
        probes["calibration"] = (calibration_probe, config.probes.calibration)
    if config.probes.status.enabled:
        probes["status"] = (status_probe, config.probes.status)
    rb = config.probes.rb
    if rb is not None and rb.enabled:
        from qobserve.exporter.rb_probe import RBProbe

        probes["rb"] = (RBProbe(rb), rb)
    return probes


class Exporter:
    """A running exporter; ``start()``, ``reload(config)``, ``stop()``."""

    def __init__(self, config: ExporterConfig, *, registry: CollectorRegistry | None = None) -> None:
        from opentelemetry.exporter.prometheus import PrometheusMetricReader

        from qobserve.telemetry import configure

        self.config = config
        self.registry = registry or CollectorRegistry()
        self.collector = ProbeCollector()  # served pre-rendered, beside the registry
        self.telemetry = configure(
            "qobserve-exporter",
            otlp_endpoint=config.otlp.endpoint if config.otlp else None,
            metric_readers=[PrometheusMetricReader(scope_info_enabled=False, registry=self.registry)],
            views=[View(instrument_name=semconv.metric(n).otel_name, aggregation=DropAggregation())
                   for n in PROBE_OWNED],
            set_global=False)
        self._loops: dict[str, list[ProbeLoop]] = {}
        self._entries: dict[str, BackendEntry] = {}
        self._probes = _probes(config)
        self._lock = threading.Lock()
        host, port = config.address
        self.server = MetricsServer(host, port, self.registry, self.ready, config.web,
                                    extra=self.collector.exposition)

    @property
    def address(self) -> tuple[str, int]:
        return self.server.address

    def start(self) -> None:
        from qobserve.instrumentation import instrument

        instrument(tracer_provider=self.telemetry.tracer_provider,
                   meter_provider=self.telemetry.meter_provider)
        self.server.start()
        self._apply(self.config)

    def ready(self) -> bool:
        """True once every probe has run at least once on every backend."""
        with self._lock:
            return all(self.collector.ran(loop.probe, name)
                       for name, loops in self._loops.items() for loop in loops)

    def reload(self, config: ExporterConfig) -> None:
        """Apply a new config; unchanged backends keep their loops and series."""
        if config.address != self.config.address or config.web != self.config.web:
            log.warning("listen/web changed: restart the exporter to apply them")
        probes_changed = config.probes != self.config.probes
        if probes_changed:
            self._probes = _probes(config)
        self.config = config
        self._apply(config, restart_all=probes_changed)

    def _apply(self, config: ExporterConfig, restart_all: bool = False) -> None:
        wanted = {e.name: e for e in config.backends}
        with self._lock:
            for name in list(self._loops):
                if restart_all or name not in wanted or wanted[name] != self._entries[name]:
                    for loop in self._loops.pop(name):
                        loop.stop()
                    self._entries.pop(name)
                    self.collector.drop_target(name)
            for name, entry in wanted.items():
                if name in self._loops:
                    continue
                target = Target(name, entry.spec)
                loops = [ProbeLoop(probe, fn, target, schedule, self.collector)
                         for probe, (fn, schedule) in self._probes.items()]
                self._loops[name], self._entries[name] = loops, entry
                for loop in loops:
                    loop.start()
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
