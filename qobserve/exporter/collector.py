"""Cached probe results, exported as Prometheus metric families on scrape.

A scrape only reads this cache under a lock (no I/O), so one backend's hanging
API can never slow it down, and the rendered text is kept until a probe
records something new, so a scrape between probe runs costs a copy however
many backends and qubits there are. Series of a removed backend disappear.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass

from prometheus_client import generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from qobserve import semconv
from qobserve.exporter.probes import Sample

__all__ = ["ProbeCollector", "ProbeOutcome"]

_PROBE, _B = semconv.LABEL[semconv.Attr.PROBE], semconv.LABEL[semconv.Attr.BACKEND]


@dataclass(frozen=True)
class ProbeOutcome:
    """The last run of one probe on one backend."""

    success: bool
    duration_seconds: float
    finished_at: float
    samples: tuple[Sample, ...] = ()


class ProbeCollector(Collector):
    """prometheus-client collector over the latest outcome per (probe, target)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._outcomes: dict[tuple[str, str], ProbeOutcome] = {}
        self._backend_label: dict[str, str] = {}
        self._last_success: dict[tuple[str, str], float] = {}
        self._version = 0
        self._rendered: tuple[int, bytes] = (-1, b"")

    def record(self, probe: str, target: str, backend_label: str, outcome: ProbeOutcome) -> None:
        """Store a probe outcome; a failed run keeps the previous samples visible
        (the gauge then reports the last known value, ``qobserve_probe_success`` says it is stale)."""
        key = (probe, target)
        with self._lock:
            previous = self._outcomes.get(key)
            if not outcome.success and previous is not None:
                outcome = ProbeOutcome(False, outcome.duration_seconds, outcome.finished_at, previous.samples)
            self._outcomes[key] = outcome
            self._backend_label[target] = backend_label
            if outcome.success:
                self._last_success[key] = outcome.finished_at
            self._version += 1

    def drop_target(self, target: str) -> None:
        """Forget every series of a backend removed from the config."""
        with self._lock:
            for key in [k for k in self._outcomes if k[1] == target]:
                self._outcomes.pop(key, None)
                self._last_success.pop(key, None)
            self._backend_label.pop(target, None)
            self._version += 1

    def ran(self, probe: str, target: str) -> bool:
        with self._lock:
            return (probe, target) in self._outcomes

    def exposition(self) -> bytes:
        """The text format of :meth:`collect`, re-rendered only after a change."""
        with self._lock:
            version = self._version
        cached_version, text = self._rendered
        if cached_version != version:
            text = generate_latest(self)  # calls self.collect()
            self._rendered = (version, text)
        return text

    def collect(self):
        with self._lock:
            outcomes = dict(self._outcomes)
            last_success = dict(self._last_success)
            backend_label = dict(self._backend_label)
        families: dict[str, GaugeMetricFamily] = {}

        def family(name: str, labels: list[str]) -> GaugeMetricFamily:
            if name not in families:
                m = semconv.metric(name)
                families[name] = GaugeMetricFamily(name, m.description, labels=labels, unit=m.prom_unit)
            return families[name]

        by_metric: dict[str, dict[tuple, float]] = defaultdict(dict)
        for (probe, target), out in sorted(outcomes.items()):
            labels = [probe, backend_label[target]]
            family("qobserve_probe_success", [_PROBE, _B]).add_metric(labels, 1.0 if out.success else 0.0)
            family("qobserve_probe_duration_seconds", [_PROBE, _B]).add_metric(labels, out.duration_seconds)
            if (probe, target) in last_success:
                family("qobserve_probe_last_success_timestamp_seconds", [_PROBE, _B]).add_metric(
                    labels, last_success[(probe, target)])
            for s in out.samples:
                by_metric[s.metric][s.labels] = s.value
        for name, series in by_metric.items():
            label_names = [k for k, _ in next(iter(series))]
            fam = family(name, label_names)
            for labels, value in series.items():
                fam.add_metric([v for _, v in labels], value)
        yield from families.values()
