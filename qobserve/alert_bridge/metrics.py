"""The bridge's own metrics, on a registry of its own (every name from :mod:`qobserve.semconv`)."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge

from qobserve import semconv
from qobserve.alert_bridge.spool import Spool
from qobserve.semconv import metric

__all__ = ["BridgeMetrics"]

log = logging.getLogger(__name__)


def _counter(name: str, registry: CollectorRegistry) -> Counter:
    m = metric(name)
    return Counter(name, m.description, m.labels, registry=registry)


def _gauge(name: str, registry: CollectorRegistry, read: Callable[[], float]) -> Gauge:
    def safe() -> float:
        try:
            return float(read())
        except Exception as exc:  # a broken spool must not break /metrics; /readyz says why
            log.debug("%s unreadable: %s", name, exc)
            return math.nan

    gauge = Gauge(name, metric(name).description, registry=registry)
    gauge.set_function(safe)
    return gauge


@dataclass
class BridgeMetrics:
    """Counters the bridge increments and gauges read from the spool at scrape time."""

    registry: CollectorRegistry
    received: Counter
    rejected: Counter
    delivered: Counter
    spooled: Counter
    failures: Counter

    @classmethod
    def create(cls, spool: Spool, registry: CollectorRegistry | None = None) -> BridgeMetrics:
        """Register every bridge metric on ``registry`` (a fresh one by default)."""
        registry = registry or CollectorRegistry()
        _gauge(semconv.QOBSERVE_ALERT_BRIDGE_SPOOL_PENDING, registry, spool.pending_count)
        _gauge(
            semconv.QOBSERVE_ALERT_BRIDGE_OLDEST_PENDING_TIMESTAMP_SECONDS,
            registry,
            spool.oldest_pending,
        )
        _gauge(semconv.QOBSERVE_ALERT_BRIDGE_DEAD_LETTERS, registry, spool.dead_count)
        return cls(
            registry=registry,
            received=_counter(semconv.QOBSERVE_ALERT_BRIDGE_ALERTS_RECEIVED_TOTAL, registry),
            rejected=_counter(semconv.QOBSERVE_ALERT_BRIDGE_REQUESTS_REJECTED_TOTAL, registry),
            delivered=_counter(semconv.QOBSERVE_ALERT_BRIDGE_MESSAGES_DELIVERED_TOTAL, registry),
            spooled=_counter(semconv.QOBSERVE_ALERT_BRIDGE_MESSAGES_SPOOLED_TOTAL, registry),
            failures=_counter(semconv.QOBSERVE_ALERT_BRIDGE_DELIVERY_FAILURES_TOTAL, registry),
        )
