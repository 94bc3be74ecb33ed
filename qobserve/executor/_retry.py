"""Retries on one backend: tenacity with full-jitter backoff and a shared retry budget.

The retry budget is the AWS SDKs' "standard" retry mode token bucket: a retry
costs 5 tokens, a retry after a timeout 10, a success refunds 1, capacity 500.
When a backend fails persistently the bucket drains and further retries are
refused everywhere, so one bad backend cannot multiply the load on a provider
(a retry storm); jobs then move to the next target or fail with a reason.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_any, wait_random_exponential

from qobserve.errors import ErrorInfo, ErrorKind
from qobserve.executor._policies import RetryPolicy

__all__ = ["AttemptError", "RetryBudget", "retrying"]


class RetryBudget:
    """A token bucket shared by every job of one or more executors (thread-safe).

    Args:
        capacity: tokens when full (AWS standard mode: 500).
        retry_cost: tokens one retry takes (5).
        timeout_cost: tokens one retry after a timeout takes (10).
        success_refund: tokens a successful attempt returns (1).
    """

    def __init__(
        self,
        *,
        capacity: int = 500,
        retry_cost: int = 5,
        timeout_cost: int = 10,
        success_refund: int = 1,
    ) -> None:
        if min(capacity, retry_cost, timeout_cost) <= 0 or success_refund < 0:
            raise ValueError("retry budget: capacity and costs must be positive, refund >= 0")
        self.capacity = capacity
        self.retry_cost = retry_cost
        self.timeout_cost = timeout_cost
        self.success_refund = success_refund
        self._tokens = capacity
        self._lock = threading.Lock()
        self.granted = 0
        self.granted_timeouts = 0
        self.refused = 0
        self.refunded = 0

    @property
    def tokens(self) -> int:
        return self._tokens

    def acquire(self, *, timeout: bool = False) -> bool:
        """Take the cost of one retry; False (and nothing taken) when the bucket is short."""
        cost = self.timeout_cost if timeout else self.retry_cost
        with self._lock:
            if self._tokens < cost:
                self.refused += 1
                return False
            self._tokens -= cost
            if timeout:
                self.granted_timeouts += 1
            else:
                self.granted += 1
            return True

    def refund(self) -> None:
        """Return tokens after a successful attempt, up to capacity."""
        if self._tokens >= self.capacity:
            return  # full, as nearly always: nothing to add, no lock on the per-job path
        with self._lock:
            added = min(self.success_refund, self.capacity - self._tokens)
            self._tokens += added
            self.refunded += added


class AttemptError(Exception):
    """One failed attempt on one backend, classified."""

    def __init__(
        self,
        info: ErrorInfo,
        cause: BaseException | None = None,
        *,
        timed_out: bool = False,
        unresolved: bool = False,
    ) -> None:
        super().__init__(info.error_type)
        self.info = info
        # What hooks see: the SDK's exception, or a TimeoutError for a job that missed its wait.
        self.cause = cause if cause is not None else TimeoutError(info.error_type)
        self.timed_out = timed_out
        # The job was accepted and may still run: resubmitting could duplicate it.
        self.unresolved = unresolved


@dataclass
class StopReason:
    """Why tenacity stopped retrying on a backend (for the job's provenance)."""

    reason: str = ""


def retrying(
    policy: RetryPolicy,
    budget: RetryBudget,
    *,
    deadline_at: float | None,
    stop_reason: StopReason,
    before_sleep: Callable[[RetryCallState], None],
    blocked: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], None] = time.sleep,
) -> Retrying:
    """A tenacity controller for the attempts of one job on one backend.

    Only transient :class:`AttemptError` are retried (and unknown ones when the
    policy says so). The stop conditions are checked in order: attempts,
    deadline (the upcoming sleep must end before it), the breaker, then the retry budget, so
    tokens are taken only for a retry that will really happen.
    """
    jitter = wait_random_exponential(multiplier=policy.initial, max=policy.maximum)

    def should_retry(exc: BaseException) -> bool:
        if not isinstance(exc, AttemptError) or exc.unresolved:
            return False
        kind = exc.info.kind
        return kind is ErrorKind.TRANSIENT or (kind is ErrorKind.UNKNOWN and policy.retry_unknown)

    def wait(state: RetryCallState) -> float:
        seconds = jitter(state)
        exc = state.outcome.exception() if state.outcome else None
        hint = exc.info.retry_after if isinstance(exc, AttemptError) else None
        if hint is not None:  # the provider said when; never come back sooner
            seconds = max(seconds, min(hint, policy.max_retry_after))
        return seconds

    def out_of_attempts(state: RetryCallState) -> bool:
        if state.attempt_number >= policy.max_attempts:
            stop_reason.reason = f"{policy.max_attempts} attempts failed"
            return True
        return False

    def past_deadline(state: RetryCallState) -> bool:
        if deadline_at is not None and time.monotonic() + state.upcoming_sleep >= deadline_at:
            stop_reason.reason = "deadline exceeded"
            return True
        return False

    def breaker_open(state: RetryCallState) -> bool:
        if blocked():
            stop_reason.reason = "breaker opened"
            return True
        return False

    def no_tokens(state: RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome else None
        if budget.acquire(timeout=isinstance(exc, AttemptError) and exc.timed_out):
            return False
        stop_reason.reason = "retry budget exhausted"
        return True

    return Retrying(
        retry=retry_if_exception(should_retry),
        wait=wait,
        # tenacity calls each stop as a function; its annotations ask for stop_base.
        stop=stop_any(out_of_attempts, past_deadline, breaker_open, no_tokens),  # type: ignore[arg-type]
        before_sleep=before_sleep,
        sleep=sleep,
        reraise=True,
    )
