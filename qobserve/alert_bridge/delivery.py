"""Delivery lanes: one thread per Slack channel drains the spool, supervised.

**Lanes.** Each destination channel has its own lane, so a page never waits
behind a ticket, and a channel that is slow, rate-limited or refusing does not
slow the others. Within a lane messages go oldest first, which is the one
order that matters: a resolved message after its firing message.

**Refusals.** A transient error (429, 5xx, connection, timeout) stops the lane
and backs off, capped at ``backoff_max``; meanwhile the lane probes Slack
(``auth.test``) every ``probe_interval`` and resumes as soon as it answers, never
before a ``Retry-After``. A permanent refusal is never retried as is: the
message is posted again as plain text, then (as plain text) to the fallback
channel, and only then becomes a dead letter (``qobserve alert-bridge
dead-letters list|retry``); the lane moves on at once.

**Exactly once.** Before each post the spool marks the message *in doubt*; once
Slack answers, the doubt is cleared. A message still in doubt (timeout, crash
mid-post) is looked up by its delivery id in the channel before any new post,
as is every message when the bridge runs as one of several replicas.

**Pacing.** Posts to one channel are at least ``min_interval`` apart (Slack
allows about one message per second per channel).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from qobserve.alert_bridge.metrics import BridgeMetrics
from qobserve.alert_bridge.slack import PermanentError, SlackSender, TransientError
from qobserve.alert_bridge.spool import Spool, SpooledMessage

__all__ = ["Delivery", "Lane", "LanePolicy"]

log = logging.getLogger(__name__)

#: Stages of a message Slack refuses for good.
BLOCKS, PLAIN, FALLBACK, DEAD = 0, 1, 2, 3


@dataclass(frozen=True)
class LanePolicy:
    """Timings of a lane, in seconds (``delivery`` and ``replica`` in the config).

    The first five come from :class:`~qobserve.alert_bridge.config.DeliveryConfig`,
    which holds their defaults and meaning.
    """

    backoff_initial: float
    backoff_max: float
    probe_interval: float
    min_interval: float
    poll_interval: float
    #: Look each message up before its first post too (several replicas share the channels).
    look_up_first: bool = False
    #: Wait this long after spooling before a message's first attempt (replica stagger).
    first_delay: float = 0.0
    #: How far back in the channel a look-up reads, before the message was spooled.
    lookback: float = 3600.0
    batch: int = 50


class Lane:
    """Delivers the spooled messages of one configured channel, in a thread of its own."""

    def __init__(
        self,
        channel: str,
        spool: Spool,
        sender: SlackSender,
        metrics: BridgeMetrics,
        policy: LanePolicy,
        *,
        fallback: str | None,
        stop: threading.Event,
    ) -> None:
        self.channel = channel
        self._spool, self._sender, self._metrics, self._policy = spool, sender, metrics, policy
        self._fallback = fallback if fallback and fallback != channel else None
        self._stop = stop
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._failures = 0
        self._last_post = 0.0
        self._last_failed: int | None = None
        self._ids: dict[str, str] = {}
        self._scans: dict[str, tuple[float, dict[str, str]]] = {}  # channel -> (when, id -> ts)

    def start(self) -> None:
        """Start (or restart after it died) the lane's thread."""
        self._thread = threading.Thread(
            target=self._run, name=f"alert-bridge-lane {self.channel}", daemon=True
        )
        self._thread.start()

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wake(self) -> None:
        self._wake.set()

    def join(self, timeout: float) -> None:
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        try:
            self._loop()
        except Exception:  # the thread ends here; the supervisor sees it and restarts it
            log.exception("delivery lane %s died; the supervisor restarts it", self.channel)

    def _loop(self) -> None:
        try:  # resolve the channel name at start, so a missing scope is reported at once
            self._id(self.channel)
        except TransientError:
            pass  # Slack unreachable: resolved before the first delivery instead
        while not self._stop.is_set():
            self._wake.clear()  # before reading, so a wake during the read is not lost
            batch = self._spool.pending(self.channel, self._policy.batch)
            if not batch:
                self._wake.wait(self._policy.poll_interval)
                continue
            for msg in batch:
                if self._stop.is_set():
                    return
                try:
                    if not self._deliver(msg):
                        break  # degraded: read it back at its new stage
                except TransientError as exc:
                    self._back_off(msg, exc)
                    break
                self._failures = 0

    # -- one message -----------------------------------------------------------------

    def _target(self, msg: SpooledMessage) -> tuple[str, dict[str, Any]]:
        plain = {"text": msg.message.get("plain") or msg.message["text"]}
        if msg.stage == BLOCKS:
            return msg.channel, msg.message
        if msg.stage == PLAIN:
            return msg.channel, plain
        note = f"(refused in {msg.channel}, posted here instead)\n"
        return self._fallback or msg.channel, {"text": note + plain["text"]}

    def _id(self, channel: str) -> str:
        if channel in self._ids:
            return self._ids[channel]
        try:
            resolved = self._sender.resolve(channel)
        except PermanentError as exc:  # e.g. invalid_auth: the post itself will say so
            log.warning(
                "%s: cannot resolve the channel name (%s); posting by name", channel, exc.reason
            )
            return channel
        if resolved != channel:  # keep asking for a name not (yet) resolved
            self._ids[channel] = resolved
        return resolved

    def _thread_ts(self, msg: SpooledMessage, channel_id: str) -> str | None:
        if msg.status != "resolved" or msg.stage != BLOCKS:
            return None
        ts = self._spool.thread_ts(msg.fingerprint, channel_id)
        firing = msg.message.get("firing_delivery_id")
        if ts is None and firing and self._sender.can_look_up:
            # Another replica may have posted the firing message.
            ts = self._find(channel_id, firing, None, msg.created)
            if ts:
                self._spool.remember_thread(msg.fingerprint, channel_id, ts)
        return ts

    def _find(
        self, channel_id: str, delivery_id: str, thread_ts: str | None, created: float
    ) -> str | None:
        try:
            posted = self._sender.posted(
                channel_id,
                thread_ts=thread_ts,
                want=delivery_id,
                oldest=created - self._policy.lookback,
            )
        except PermanentError as exc:
            log.warning(
                "%s: cannot read the channel to check for an earlier post (%s); "
                "posting, which may duplicate",
                channel_id,
                exc.reason,
            )
            return None
        return posted.get(delivery_id)

    def _look_up(self, msg: SpooledMessage, channel_id: str, thread_ts: str | None) -> str | None:
        """The ``ts`` of ``msg`` if it is already in Slack.

        In doubt (our own attempt's outcome unknown) or threaded: a fresh look-up.
        Otherwise (a replica checking a first post) one scan of the channel serves
        every message spooled at least ``first_delay`` before it, so an alert storm
        costs a few ``conversations.history`` calls, not one per message (Tier 3).
        """
        if msg.in_doubt or thread_ts:
            return self._find(channel_id, msg.delivery_id, thread_ts, msg.created)
        at, seen = self._scans.get(channel_id, (0.0, {}))
        if at < msg.created + self._policy.first_delay:
            at = time.time()
            try:
                seen = self._sender.posted(
                    channel_id, thread_ts=None, oldest=msg.created - self._policy.lookback
                )
            except PermanentError as exc:
                log.warning(
                    "%s: cannot read the channel to check for a replica's post (%s); "
                    "posting, which may duplicate",
                    channel_id,
                    exc.reason,
                )
                seen = {}
            self._scans[channel_id] = (at, seen)
        return seen.get(msg.delivery_id)

    def _deliver(self, msg: SpooledMessage) -> bool:
        """Post ``msg`` once; False when it was refused for good and moved to its next stage."""
        if msg.stage == BLOCKS and not msg.in_doubt and self._policy.first_delay:
            wait = msg.created + self._policy.first_delay - time.time()
            if wait > 0 and self._stop.wait(wait):
                return True
        channel, body = self._target(msg)
        channel_id = self._id(channel)
        thread_ts = self._thread_ts(msg, channel_id)
        if (msg.in_doubt or self._policy.look_up_first) and self._sender.can_look_up:
            if ts := self._look_up(msg, channel_id, thread_ts):
                log.info(
                    "%s: message %s is already in Slack (ts %s); not posting again",
                    channel,
                    msg.delivery_id,
                    ts,
                )
                self._delivered(msg, ts, channel_id)
                return True
        wait = self._last_post + self._policy.min_interval - time.monotonic()
        if wait > 0 and self._stop.wait(wait):
            return True
        self._spool.begin_attempt(msg)
        try:
            ts = self._sender.post(
                channel_id, body, thread_ts=thread_ts, delivery_id=msg.delivery_id
            )
        except PermanentError as exc:
            self._metrics.failures.labels(reason="refused").inc()
            self._refused(msg, exc)
            return False
        except TransientError as exc:
            if not exc.unknown_outcome:
                self._spool.settle(msg)
            raise
        finally:
            self._last_post = time.monotonic()
        self._delivered(msg, ts, channel_id)
        return True

    def _delivered(self, msg: SpooledMessage, ts: str | None, channel_id: str) -> None:
        self._spool.mark_delivered(msg, ts, channel_id)
        self._metrics.delivered.labels(status=msg.status).inc()

    def _refused(self, msg: SpooledMessage, exc: PermanentError) -> None:
        nxt = msg.stage + 1
        if nxt == FALLBACK and self._fallback is None:
            nxt = DEAD
        where = f"{msg.channel} ({['blocks', 'plain text', 'fallback ' + str(self._fallback)][msg.stage]})"
        if nxt >= DEAD:
            self._spool.dead_letter(msg, exc.reason)
            log.error(
                "Slack refused message %s in %s for good (%s): dead letter; see "
                "`qobserve alert-bridge dead-letters list`",
                msg.delivery_id,
                where,
                exc.reason,
            )
        else:
            self._spool.set_stage(msg, nxt)
            log.warning(
                "Slack refused message %s in %s (%s); trying %s",
                msg.delivery_id,
                where,
                exc.reason,
                "plain text" if nxt == PLAIN else f"the fallback channel {self._fallback}",
            )

    def _back_off(self, msg: SpooledMessage, exc: TransientError) -> None:
        """Wait out a transient failure: capped exponential backoff, cut short by a probe."""
        p = self._policy
        self._failures += 1
        self._metrics.failures.labels(reason=exc.reason).inc()
        if self._last_failed != msg.id:
            self._last_failed = msg.id
            self._metrics.spooled.inc()
        delay = min(p.backoff_max, p.backoff_initial * 2 ** min(self._failures - 1, 30))
        delay *= random.uniform(0.8, 1.0)  # jitter: lanes and replicas do not retry in step
        not_before = time.monotonic() + (exc.retry_after or 0.0)
        until = max(time.monotonic() + delay, not_before)
        log.warning(
            "%s: Slack delivery failed (%s); retrying within %.1f s",
            self.channel,
            exc,
            until - time.monotonic(),
        )
        while (left := until - time.monotonic()) > 0:
            if self._stop.wait(min(p.probe_interval, left)):
                return
            if (
                time.monotonic() >= not_before
                and until - time.monotonic() > 0.05
                and self._sender.probe()
            ):
                log.info("%s: Slack answers again; resuming delivery", self.channel)
                return


class Delivery:
    """All lanes plus a supervisor that restarts a lane whose thread died.

    A lane restarted more than ``max_restarts`` times within ``window`` seconds
    is left dead and :meth:`health` reports it, so the orchestrator replaces the
    process (``/healthz`` answers 503).
    """

    def __init__(
        self,
        spool: Spool,
        sender: SlackSender,
        metrics: BridgeMetrics,
        policy: LanePolicy,
        *,
        channels: list[str],
        fallback: str | None = None,
        max_restarts: int = 5,
        window: float = 60.0,
        check_every: float = 0.5,
        retain: float = 7 * 86400.0,
    ) -> None:
        self._stop = threading.Event()
        self._spool, self._retain, self._pruned = spool, retain, 0.0
        try:  # lanes for channels no longer configured but still holding messages
            channels = [*channels, *spool.lanes()]
        except Exception as exc:
            log.warning("cannot list spooled lanes: %s", exc)
        self.lanes = {
            c: Lane(c, spool, sender, metrics, policy, fallback=fallback, stop=self._stop)
            for c in dict.fromkeys(channels)
        }
        self._restarts: dict[str, deque[float]] = {c: deque() for c in self.lanes}
        self._failed: set[str] = set()
        self._max, self._window, self._every = max_restarts, window, check_every
        self._supervisor = threading.Thread(
            target=self._supervise, name="alert-bridge-supervisor", daemon=True
        )

    def start(self) -> None:
        """Start every lane (delivering what a previous run left in the spool) and the supervisor."""
        for lane in self.lanes.values():
            lane.start()
        self._supervisor.start()

    def wake(self) -> None:
        """New messages were spooled."""
        for lane in self.lanes.values():
            lane.wake()

    def health(self) -> tuple[bool, str]:
        """(ok, reason): not ok when a lane died too often to be restarted."""
        if self._failed:
            return False, (
                f"delivery lane(s) {', '.join(sorted(self._failed))} died more than "
                f"{self._max} times in {self._window:.0f} s and are not restarted"
            )
        if not self._supervisor.is_alive() and not self._stop.is_set():
            return False, "delivery supervisor is not running"
        return True, "ok"

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the current attempts; undelivered messages stay in the spool."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        for lane in self.lanes.values():
            lane.join(max(0.1, deadline - time.monotonic()))
        if self._supervisor.is_alive():
            self._supervisor.join(max(0.1, deadline - time.monotonic()))

    def _prune(self) -> None:
        """Hourly: forget messages delivered more than ``retain`` ago (the spool stays bounded)."""
        if time.monotonic() - self._pruned < 3600:
            return
        self._pruned = time.monotonic()
        try:
            if removed := self._spool.prune(self._retain):
                log.info(
                    "pruned %d delivered messages older than %.0f days from the spool",
                    removed,
                    self._retain / 86400,
                )
        except Exception as exc:  # a broken spool shows in /readyz; pruning tries again later
            log.warning("cannot prune the spool: %s", exc)

    def _supervise(self) -> None:
        while not self._stop.wait(self._every):
            self._prune()
            for channel, lane in self.lanes.items():
                if lane.alive() or channel in self._failed or self._stop.is_set():
                    continue
                times = self._restarts[channel]
                now = time.monotonic()
                while times and now - times[0] > self._window:
                    times.popleft()
                if len(times) >= self._max:
                    self._failed.add(channel)
                    log.error(
                        "delivery lane %s keeps dying; giving up (/healthz now fails)", channel
                    )
                    continue
                times.append(now)
                log.warning("restarting delivery lane %s", channel)
                lane.start()
