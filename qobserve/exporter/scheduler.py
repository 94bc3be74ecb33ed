"""Probe scheduling, cloudprober style: each probe runs on its own clock.

One loop per (probe, backend): run at start-up, then every interval with ±10%
jitter (so many exporters don't hit a provider API in lockstep). Each run has
a timeout; a run that hangs past it is reported failed and the next run is
skipped until it returns, so the same probe never overlaps itself and a hung
API costs one thread, not the exporter.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout

from qobserve.exporter.collector import ProbeCollector, ProbeOutcome
from qobserve.exporter.config import ProbeSchedule
from qobserve.exporter.credentials import redact
from qobserve.exporter.probes import Sample, Target

__all__ = ["ProbeLoop"]

log = logging.getLogger("qobserve.exporter")

JITTER = 0.1
_MAX_MESSAGE = 300


def _one_line(exc: BaseException) -> str:
    """``Class: first line of the message``, secrets redacted, bounded in length."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = redact(text)
    if len(text) > _MAX_MESSAGE:
        text = text[:_MAX_MESSAGE] + "…"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class ProbeLoop:
    """Runs one probe against one target until stopped."""

    def __init__(
        self,
        probe: str,
        fn: Callable[[Target], list[Sample]],
        target: Target,
        schedule: ProbeSchedule,
        collector: ProbeCollector,
        *,
        seed: int | None = None,
    ) -> None:
        self.probe, self.fn, self.target = probe, fn, target
        self.schedule, self.collector = schedule, collector
        self._stop = threading.Event()
        self._rng = random.Random(seed)
        self._pending: Future | None = None
        self._thread = threading.Thread(
            target=self._loop, name=f"loop-{probe}-{target.name}", daemon=True
        )

    def start(self) -> None:
        self.collector.register(
            self.probe, self.target.name, self.target.spec.name, self.schedule.stale_after
        )
        self._thread.start()

    def stop(self) -> None:
        """Ask the loop to end; an in-flight probe is abandoned, not awaited."""
        self._stop.set()

    def _submit(self) -> Future:
        """Run the probe on a daemon thread: a hung provider call must not keep
        the process alive at exit (a thread pool's workers are joined at exit)."""
        future: Future = Future()

        def work() -> None:
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(self.fn(self.target))
                except BaseException as exc:
                    future.set_exception(exc)

        threading.Thread(
            target=work, name=f"probe-{self.probe}-{self.target.name}", daemon=True
        ).start()
        return future

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def run_once(self) -> ProbeOutcome:
        """Run the probe once with its timeout and record the outcome."""
        started = time.monotonic()
        if self._pending is not None and not self._pending.done():
            outcome = ProbeOutcome(
                False, 0.0, time.time(), completed=False, error_type="still_running"
            )
            log.warning(
                "probe %s on %s: previous run still in progress, skipped",
                self.probe,
                self.target.name,
            )
        else:
            self._pending = self._submit()
            self.collector.started(self.probe, self.target.name, self._pending)
            try:
                samples = self._pending.result(timeout=self.schedule.timeout)
                outcome = ProbeOutcome(
                    True, time.monotonic() - started, time.time(), tuple(samples)
                )
            except FutureTimeout:
                outcome = ProbeOutcome(
                    False, time.monotonic() - started, time.time(), error_type="timeout"
                )
                log.warning(
                    "probe %s on %s timed out after %.0f s",
                    self.probe,
                    self.target.name,
                    self.schedule.timeout,
                )
            except Exception as exc:  # a probe failure is data, not a crash
                outcome = ProbeOutcome(
                    False, time.monotonic() - started, time.time(), error_type=type(exc).__name__
                )
                log.warning(
                    "probe %s on %s failed: %s", self.probe, self.target.name, _one_line(exc)
                )
        if not self._stop.is_set():
            self.collector.record(self.probe, self.target.name, self.target.spec.name, outcome)
        return outcome

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            delay = self.schedule.interval * (1 + self._rng.uniform(-JITTER, JITTER))
            self._stop.wait(delay)
