"""Checks that decide whether a backend gets a job at all.

Calibration and queue gates read the backend through
:func:`qobserve.calibration.read_calibration` / :func:`read_status` (via the
:class:`~qobserve.executor._runner.Backend` adapter), the same readings the
exporter's probes publish, so "stale" means the same thing on a dashboard and
in the executor. The budget gate reserves the estimated cost before submission.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from typing import Any, Protocol

from qobserve.executor._policies import GatePolicy
from qobserve.executor._runner import Backend

__all__ = ["BudgetLike", "DeviceGate", "reserve"]


class DeviceGate:
    """Calibration-age, operational and queue-length gate with a short reading cache."""

    def __init__(self, policy: GatePolicy, *, clock=time.time) -> None:
        self.policy = p = policy
        self._clock = clock
        self._cache: dict[int, tuple[float, Any, Any]] = {}
        self._lock = threading.Lock()
        #: Whether any check is on (the policy is frozen: decided once).
        self.active: bool = (
            p.max_calibration_age is not None
            or p.require_calibration
            or p.require_operational
            or p.max_pending_jobs is not None
        )

    def check(self, backend: Backend) -> str | None:
        """None when the backend may get a job, else the reason it is skipped."""
        if not self.active:
            return None
        p = self.policy
        status, cal = self._readings(backend)
        if p.require_operational and status is not None and status.operational is False:
            return "not operational"
        if (
            p.max_pending_jobs is not None
            and status is not None
            and status.pending_jobs is not None
            and status.pending_jobs > p.max_pending_jobs
        ):
            return f"queue {status.pending_jobs} > {p.max_pending_jobs} jobs"
        if p.max_calibration_age is None and not p.require_calibration:
            return None
        stamp = cal.timestamp if cal is not None else None
        if stamp is None:
            return "calibration unknown" if p.require_calibration else None
        age = self._clock() - stamp
        if p.max_calibration_age is not None and age > p.max_calibration_age:
            return f"calibration {age:.0f}s old > {p.max_calibration_age:.0f}s"
        return None

    def _readings(self, backend: Backend):
        key = id(backend)
        now = time.monotonic()
        hit = self._cache.get(key)  # a dict read is atomic: no lock on the per-job path
        if hit is not None and now - hit[0] < self.policy.refresh:
            return hit[1], hit[2]
        status = (
            backend.status()
            if self.policy.require_operational or self.policy.max_pending_jobs is not None
            else None
        )
        cal = (
            backend.calibration()
            if self.policy.max_calibration_age is not None or self.policy.require_calibration
            else None
        )
        with self._lock:
            self._cache[key] = (now, status, cal)
        return status, cal


class Reservation(Protocol):
    def settle(self, actual: Decimal) -> Any: ...

    def release(self) -> Any: ...


class BudgetLike(Protocol):
    """What the executor needs from :class:`qobserve.cost.Budget`."""

    name: str

    def reserve(self, amount: Decimal) -> Reservation: ...


def reserve(budget: BudgetLike | None, amount: Decimal) -> Reservation | None:
    """Reserve ``amount`` on ``budget`` (None: no budget); BudgetExceededError propagates."""
    if budget is None:
        return None
    return budget.reserve(amount)
