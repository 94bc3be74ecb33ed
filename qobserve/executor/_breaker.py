"""Circuit breaker per backend: stop sending work to a backend that keeps failing.

Closed → open after N consecutive failures or a failure ratio over a sliding
window of calls; open → half-open after a cool-down, where exactly one probe
job is let through; its success closes the breaker, its failure re-opens it.
Only failures that say something about the backend count (transient, reroute,
timeouts); a permanent error is the job's fault and is ignored.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from enum import IntEnum

from qobserve.executor._policies import BreakerPolicy

__all__ = ["Breaker", "BreakerState"]


class BreakerState(IntEnum):
    """Values of the ``quantum_executor_breaker_state`` gauge."""

    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


class Breaker:
    """Thread-safe breaker for one backend; ``on_change(state)`` runs on every transition."""

    def __init__(
        self,
        policy: BreakerPolicy,
        *,
        on_change: Callable[[BreakerState], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy
        self._on_change = on_change
        self._clock = clock
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._consecutive = 0
        self._window: deque[bool] = deque(maxlen=policy.window)
        self._opened_at = 0.0
        self._probing = False
        self.opened = 0  # times it opened, for reports

    @property
    def state(self) -> BreakerState:
        with self._lock:
            self._maybe_half_open()
            return self._state

    def allow(self) -> bool:
        """Whether a job may go to this backend now (takes the half-open probe slot)."""
        if not self.policy.enabled or self._state is BreakerState.CLOSED:
            return True  # closed stays closed without a failure: no lock on the per-job path
        with self._lock:
            self._maybe_half_open()
            # Another thread may have closed it since the unlocked read above; mypy keeps
            # that read's narrowing across the call.
            if self._state is BreakerState.CLOSED:  # type: ignore[comparison-overlap]
                return True
            if self._state is BreakerState.HALF_OPEN and not self._probing:
                self._probing = True
                return True
            return False

    def release(self) -> None:
        """Give back a probe slot taken by :meth:`allow` without a verdict (e.g. a gate said no)."""
        with self._lock:
            self._probing = False

    def success(self) -> None:
        with self._lock:
            self._consecutive = 0
            self._window.append(True)
            if self._state is not BreakerState.CLOSED:
                self._window.clear()
                self._set(BreakerState.CLOSED)
            self._probing = False

    def failure(self) -> None:
        if not self.policy.enabled:
            return
        with self._lock:
            self._consecutive += 1
            self._window.append(False)
            self._probing = False
            if self._state is BreakerState.HALF_OPEN or self._tripped():
                self._opened_at = self._clock()
                if self._state is not BreakerState.OPEN:
                    self.opened += 1
                self._set(BreakerState.OPEN)

    def _tripped(self) -> bool:
        p = self.policy
        if self._consecutive >= p.failure_threshold:
            return True
        calls = len(self._window)
        return calls >= p.min_calls and self._window.count(False) / calls >= p.failure_ratio

    def _maybe_half_open(self) -> None:
        if (
            self._state is BreakerState.OPEN
            and self._clock() - self._opened_at >= self.policy.cooldown
        ):
            self._set(BreakerState.HALF_OPEN)

    def _set(self, state: BreakerState) -> None:
        if state is self._state:
            return
        self._state = state
        if state is BreakerState.CLOSED:
            self._consecutive = 0
        if self._on_change is not None:
            self._on_change(state)
