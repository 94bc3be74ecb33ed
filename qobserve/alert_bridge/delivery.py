"""The delivery loop: drains the spool into Slack, in order, retrying with backoff.

One worker thread sends the oldest undelivered message and does not move on
until Slack has taken it, so messages arrive in the order Alertmanager sent
them and a resolved message always finds the ``ts`` of its firing message.
Failed attempts back off exponentially with jitter (tenacity), never shorter
than Slack's ``Retry-After``; the backoff restarts from the spool after a
restart because every message stays on disk until delivered.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge
from tenacity import RetryCallState, Retrying, retry_if_exception_type, wait_exponential_jitter

from qobserve.alert_bridge.slack import DeliveryError, SlackSender
from qobserve.alert_bridge.spool import Spool, SpooledMessage
from qobserve.semconv import metric

__all__ = ["BridgeMetrics", "DeliveryWorker"]

log = logging.getLogger(__name__)


def _counter(name: str, registry: CollectorRegistry) -> Counter:
    m = metric(name)
    return Counter(name, m.description, m.labels, registry=registry)


@dataclass
class BridgeMetrics:
    """The bridge's own metrics, on a registry of its own (names from semconv)."""

    registry: CollectorRegistry
    received: Counter
    rejected: Counter
    delivered: Counter
    spooled: Counter
    failures: Counter
    pending: Gauge

    @classmethod
    def create(cls, spool: Spool, registry: CollectorRegistry | None = None) -> BridgeMetrics:
        """Register every bridge metric on ``registry`` (a fresh one by default)."""
        registry = registry or CollectorRegistry()
        pending_name = "qobserve_alert_bridge_spool_pending"
        pending = Gauge(pending_name, metric(pending_name).description, registry=registry)
        pending.set_function(spool.pending_count)
        return cls(
            registry=registry,
            received=_counter("qobserve_alert_bridge_alerts_received_total", registry),
            rejected=_counter("qobserve_alert_bridge_requests_rejected_total", registry),
            delivered=_counter("qobserve_alert_bridge_messages_delivered_total", registry),
            spooled=_counter("qobserve_alert_bridge_messages_spooled_total", registry),
            failures=_counter("qobserve_alert_bridge_delivery_failures_total", registry),
            pending=pending,
        )


class DeliveryWorker:
    """Background thread that delivers spooled messages one at a time, oldest first."""

    def __init__(self, spool: Spool, sender: SlackSender, metrics: BridgeMetrics, *,
                 backoff_initial: float = 1.0, backoff_max: float = 300.0,
                 poll_interval: float = 5.0) -> None:
        self._spool, self._sender, self._metrics = spool, sender, metrics
        self._backoff = wait_exponential_jitter(multiplier=backoff_initial, max=backoff_max,
                                                jitter=backoff_initial)
        self._poll = poll_interval
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="alert-bridge-delivery",
                                        daemon=True)

    def start(self) -> None:
        """Start delivering (also whatever a previous run left in the spool)."""
        self._thread.start()

    def wake(self) -> None:
        """Tell the worker new messages were spooled."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the current attempt; undelivered messages stay in the spool."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None) or 0.0
        return max(self._backoff(state), retry_after)

    def _on_failure(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        reason = getattr(exc, "reason", "unknown")
        self._metrics.failures.labels(reason=reason).inc()
        if state.attempt_number == 1:
            self._metrics.spooled.inc()
        log.warning("Slack delivery failed (%s); message stays spooled, attempt %d",
                    exc, state.attempt_number)

    def _send(self, msg: SpooledMessage) -> None:
        thread_ts = (self._spool.thread_ts(msg.fingerprint, msg.channel)
                     if msg.status == "resolved" else None)
        ts = self._sender.send(msg.channel, msg.message, thread_ts)
        self._spool.mark_delivered(msg, ts)
        self._metrics.delivered.labels(status=msg.status).inc()

    def _deliver(self, msg: SpooledMessage) -> bool:
        retrying = Retrying(
            retry=retry_if_exception_type(DeliveryError),
            wait=self._wait,
            stop=lambda _state: self._stop.is_set(),
            sleep=self._stop.wait,
            before_sleep=self._on_failure,
            reraise=True,
        )
        try:
            retrying(self._send, msg)
            return True
        except DeliveryError:
            return False  # stopping: the message stays in the spool for the next run

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()  # before reading, so a wake during the read is not lost
            batch = self._spool.pending()
            if not batch:
                self._wake.wait(self._poll)
                continue
            for msg in batch:
                if self._stop.is_set() or not self._deliver(msg):
                    break
