"""Cached probe results, exported as Prometheus metric families on scrape.

A scrape only reads this cache under a lock (no I/O), so one backend's hanging
API can never slow it down, and the rendered text is kept until a probe
records something new, so a scrape between probe runs costs a copy however
many backends and qubits there are. Series of a removed backend disappear.

Two families depend on the clock rather than on a probe result and are
rendered at every scrape: ``qobserve_probe_stale`` (1 when no run of the probe
has finished within ``2 × interval + timeout``, e.g. a hung provider call or a
stuck loop) and ``qobserve_probe_in_progress`` (1 while a run is executing, so a
long RB run shows its own progress without holding readiness).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from concurrent.futures import Future
from dataclasses import dataclass, field, replace

from prometheus_client import generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from qobserve import semconv
from qobserve.exporter.probes import Sample

__all__ = ["ProbeCollector", "ProbeOutcome", "ProbeState"]


@dataclass(frozen=True)
class ProbeOutcome:
    """The last run of one probe on one backend."""

    success: bool
    duration_seconds: float
    finished_at: float
    samples: tuple[Sample, ...] = ()
    completed: bool = True  # False: skipped because the previous run was still in progress
    error_type: str = ""


@dataclass
class ProbeState:
    """Bookkeeping of one (probe, target) loop beyond its last outcome."""

    backend_label: str
    stale_after: float
    registered_at: float
    last_run: float | None = None
    running_since: float | None = None
    running: Future | None = field(default=None, repr=False)  # while a run executes

    def stale(self, now: float) -> bool:
        return now - (self.last_run or self.registered_at) > self.stale_after

    def in_progress(self) -> bool:
        return self.running is not None and not self.running.done()


class ProbeCollector(Collector):
    """prometheus-client collector over the latest outcome per (probe, target)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._outcomes: dict[tuple[str, str], ProbeOutcome] = {}
        self._backend_label: dict[str, str] = {}
        self._last_success: dict[tuple[str, str], float] = {}
        self._states: dict[tuple[str, str], ProbeState] = {}
        self._version = 0
        self._rendered: tuple[int, bytes] = (-1, b"")

    def register(
        self,
        probe: str,
        target: str,
        backend_label: str,
        stale_after: float,
        *,
        now: float | None = None,
    ) -> None:
        """A loop starts: staleness counts from now until its first finished run."""
        with self._lock:
            self._states[(probe, target)] = ProbeState(
                backend_label, stale_after, time.time() if now is None else now
            )
            self._backend_label[target] = backend_label

    def started(self, probe: str, target: str, running) -> None:
        """A run began; ``running`` is its Future (in progress until done)."""
        with self._lock:
            state = self._states.get((probe, target))
            if state is not None:
                state.running, state.running_since = running, time.time()

    def states(self) -> dict[tuple[str, str], tuple[ProbeState, ProbeOutcome | None]]:
        """A snapshot of every registered loop with its last outcome."""
        with self._lock:
            return {
                k: (ProbeState(**vars(s)), self._outcomes.get(k)) for k, s in self._states.items()
            }

    def record(self, probe: str, target: str, backend_label: str, outcome: ProbeOutcome) -> None:
        """Store a probe outcome; a failed run keeps the previous samples visible
        (the gauge then reports the last known value, ``qobserve_probe_success`` says it is stale)."""
        key = (probe, target)
        with self._lock:
            previous = self._outcomes.get(key)
            if not outcome.success and previous is not None:
                outcome = replace(outcome, samples=previous.samples)
            self._outcomes[key] = outcome
            self._backend_label[target] = backend_label
            if outcome.success:
                self._last_success[key] = outcome.finished_at
            state = self._states.get(key)
            if state is not None and outcome.completed:
                state.last_run = outcome.finished_at
            self._version += 1

    def drop_target(self, target: str) -> None:
        """Forget every series of a backend removed from the config."""
        with self._lock:
            for key in [k for k in self._outcomes if k[1] == target]:
                self._outcomes.pop(key, None)
                self._last_success.pop(key, None)
            for key in [k for k in self._states if k[1] == target]:
                self._states.pop(key)
            self._backend_label.pop(target, None)
            self._version += 1

    def ran(self, probe: str, target: str) -> bool:
        with self._lock:
            return (probe, target) in self._outcomes

    def exposition(self) -> bytes:
        """The text format of :meth:`collect` (re-rendered only after a change),
        then the clock-dependent families (rendered every time, a few series)."""
        with self._lock:
            version = self._version
        cached_version, text = self._rendered
        if cached_version != version:
            text = generate_latest(self)  # calls self.collect()
            self._rendered = (version, text)
        return text + generate_latest(_Live(self))

    def collect_live(self, now: float | None = None):
        """``qobserve_probe_stale`` and ``qobserve_probe_in_progress`` as of ``now``."""
        now = time.time() if now is None else now
        stale = GaugeMetricFamily(
            semconv.QOBSERVE_PROBE_STALE,
            semconv.metric(semconv.QOBSERVE_PROBE_STALE).description,
            labels=[semconv.PROBE_LABEL, semconv.BACKEND_LABEL],
        )
        running = GaugeMetricFamily(
            semconv.QOBSERVE_PROBE_IN_PROGRESS,
            semconv.metric(semconv.QOBSERVE_PROBE_IN_PROGRESS).description,
            labels=[semconv.PROBE_LABEL, semconv.BACKEND_LABEL],
        )
        for (probe, _), (state, _) in sorted(self.states().items()):
            labels = [probe, state.backend_label]
            stale.add_metric(labels, 1.0 if state.stale(now) else 0.0)
            running.add_metric(labels, 1.0 if state.in_progress() else 0.0)
        yield stale
        yield running

    def collect(self):
        with self._lock:
            outcomes = dict(self._outcomes)
            last_success = dict(self._last_success)
            backend_label = dict(self._backend_label)
            last_run = {k: s.last_run for k, s in self._states.items() if s.last_run is not None}
        families: dict[str, GaugeMetricFamily] = {}

        def family(name: str, labels: list[str]) -> GaugeMetricFamily:
            if name not in families:
                m = semconv.metric(name)
                families[name] = GaugeMetricFamily(
                    name, m.description, labels=labels, unit=m.prom_unit
                )
            return families[name]

        by_metric: dict[str, dict[tuple, float]] = defaultdict(dict)
        for (probe, target), out in sorted(outcomes.items()):
            labels = [probe, backend_label[target]]
            family(
                semconv.QOBSERVE_PROBE_SUCCESS, [semconv.PROBE_LABEL, semconv.BACKEND_LABEL]
            ).add_metric(labels, 1.0 if out.success else 0.0)
            family(
                semconv.QOBSERVE_PROBE_DURATION_SECONDS,
                [semconv.PROBE_LABEL, semconv.BACKEND_LABEL],
            ).add_metric(labels, out.duration_seconds)
            if (probe, target) in last_success:
                family(
                    semconv.QOBSERVE_PROBE_LAST_SUCCESS_TIMESTAMP_SECONDS,
                    [semconv.PROBE_LABEL, semconv.BACKEND_LABEL],
                ).add_metric(labels, last_success[(probe, target)])
            if (probe, target) in last_run:
                family(
                    semconv.QOBSERVE_PROBE_LAST_RUN_TIMESTAMP_SECONDS,
                    [semconv.PROBE_LABEL, semconv.BACKEND_LABEL],
                ).add_metric(labels, last_run[(probe, target)])
            for s in out.samples:
                by_metric[s.metric][s.labels] = s.value
        for name, series in by_metric.items():
            label_names = [k for k, _ in next(iter(series))]
            fam = family(name, label_names)
            for label_pairs, value in series.items():
                fam.add_metric([v for _, v in label_pairs], value)
        yield from families.values()


class _Live:
    """Adapter so generate_latest renders only the clock-dependent families."""

    def __init__(self, collector: ProbeCollector) -> None:
        self._collector = collector

    def collect(self):
        return self._collector.collect_live()
