"""Fault injection for game days and tests, with ground-truth accounting.

:class:`ChaosBackend` wraps any backend (spec, SDK object or executor
:class:`~qobserve.executor._runner.Backend`) and, per submission, injects throttling
with Retry-After, transient and permanent errors, hung jobs that never finish,
late jobs, outages over a window of logical jobs, and stale or missing
calibration. Decisions are drawn from ``Random(seed, backend, client id,
submission number)``, so a scenario replays the same faults whatever the
thread interleaving.

A :class:`Ledger` shared by the wrapped backends counts the *real* executions
of each logical job (the inner backend actually ran it). That is the ground
truth the executor is checked against: nothing lost, nothing run twice.

Injected errors are real-looking exception classes named after provider error
codes; a classifier registered with :mod:`qobserve.errors` maps them.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from typing import Any

from pydantic import Field, model_validator

from qobserve._validation import Duration, StrictModel
from qobserve.calibration import BackendStatus, Calibration
from qobserve.errors import ErrorInfo, ErrorKind, register_classifier
from qobserve.executor._policies import MAX_COUNT
from qobserve.executor._runner import Backend, adapt

__all__ = [
    "ChaosBackend",
    "ChaosCancelledError",
    "ChaosError",
    "DeviceOfflineException",
    "Faults",
    "Ledger",
    "Outage",
    "ServiceUnavailableException",
    "ThrottlingException",
    "ValidationException",
]


class ChaosError(Exception):
    """Base of injected errors; ``kind`` is what a real provider's error of this name means."""

    kind = ErrorKind.UNKNOWN

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServiceUnavailableException(ChaosError):
    """HTTP 503 from the provider's API: transient."""

    kind = ErrorKind.TRANSIENT


class ThrottlingException(ChaosError):
    """Rate limited (HTTP 429 / Braket ThrottlingException); carries Retry-After."""

    kind = ErrorKind.TRANSIENT


class ValidationException(ChaosError):
    """The job was rejected as invalid: permanent, never retried."""

    kind = ErrorKind.PERMANENT


class DeviceOfflineException(ChaosError):
    """Device offline or in maintenance: go to the next backend."""

    kind = ErrorKind.REROUTE


@register_classifier
def _classify(exc: BaseException) -> ErrorInfo | None:
    if isinstance(exc, ChaosError):
        return ErrorInfo(exc.kind, type(exc).__name__, exc.retry_after)
    return None


class Outage(StrictModel):
    """The backend is offline for logical jobs number ``after_jobs`` … ``after_jobs+for_jobs-1``."""

    after_jobs: int = Field(ge=0, le=MAX_COUNT)
    for_jobs: int = Field(ge=1, le=MAX_COUNT)


_Rate = Field(default=0.0, ge=0.0, le=1.0, allow_inf_nan=False)


class Faults(StrictModel):
    """What to inject, as probabilities per submission (they must sum to at most 1).

    Attributes:
        transient_error_rate: ServiceUnavailableException at submission.
        permanent_error_rate: ValidationException at submission.
        timeout_rate: the job is accepted and hangs until cancelled.
        throttle_rate: ThrottlingException with ``retry_after`` seconds.
        late_rate: the job is accepted and finishes after ``late_latency``.
        latency: time every other job takes to finish.
        outage: window of logical jobs during which the backend is offline.
        calibration_age: reported calibration age (stale calibration).
        calibration_missing: report no calibration time at all.
        pending_jobs: reported queue length.
        cancel_failure_rate: a cancellation request errors out without telling
            whether the job was cancelled (the case idempotency must survive).
    """

    transient_error_rate: float = _Rate
    permanent_error_rate: float = _Rate
    timeout_rate: float = _Rate
    throttle_rate: float = _Rate
    late_rate: float = _Rate
    retry_after: float = Field(default=0.01, ge=0, le=3600, allow_inf_nan=False)
    latency: Duration | None = None
    late_latency: Duration = 0.05
    outage: Outage | None = None
    calibration_age: Duration | None = None
    calibration_missing: bool = False
    pending_jobs: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    cancel_failure_rate: float = _Rate

    @model_validator(mode="after")
    def _rates_fit(self) -> Faults:
        total = (
            self.transient_error_rate
            + self.permanent_error_rate
            + self.timeout_rate
            + self.throttle_rate
            + self.late_rate
        )
        if total > 1.0 + 1e-9:
            raise ValueError(
                f"the error rates sum to {total:g}; they are probabilities of "
                "exclusive outcomes per submission and must sum to at most 1"
            )
        return self


class Ledger:
    """Ground truth shared by chaos backends: logical jobs seen, submissions, real executions."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._order: dict[str, int] = {}
        self.executions: Counter[str] = Counter()
        self.executed_on: Counter[tuple[str, str]] = Counter()
        self.events: list[tuple[str, str, int, str]] = []  # (backend, client_id, n, fault)
        self._jobs: list[_ChaosJob] = []
        self._submissions: Counter[tuple[str, str]] = Counter()

    def begin(self, client_id: str) -> int:
        """Index of logical job ``client_id`` in arrival order (registers it on first sight)."""
        with self._lock:
            return self._order.setdefault(client_id, len(self._order))

    @property
    def current(self) -> int:
        with self._lock:
            return len(self._order) - 1

    def _next(self, backend: str, client_id: str) -> int:
        """Number of this submission of ``client_id`` to ``backend`` (0 for the first)."""
        with self._lock:
            n = self._submissions[(backend, client_id)]
            self._submissions[(backend, client_id)] += 1
            return n

    def _record(self, backend: str, client_id: str, n: int, fault: str) -> None:
        with self._lock:
            self.events.append((backend, client_id, n, fault))

    def executed(self, backend: str, client_id: str) -> None:
        with self._lock:
            self.executions[client_id] += 1
            self.executed_on[(backend, client_id)] += 1

    def settle(self) -> int:
        """Let every accepted, uncancelled job finish as the provider would, so
        executions the caller abandoned are counted too; returns jobs left hanging."""
        hanging = 0
        for job in list(self._jobs):
            if not job.settle():
                hanging += 1
        return hanging

    def resubmitted_after_permanent(self) -> int:
        """Submissions of a job to a backend that had already rejected it permanently."""
        with self._lock:
            rejected: set[tuple[str, str]] = set()
            count = 0
            for backend, client_id, _n, fault in self.events:
                count += (backend, client_id) in rejected
                if fault == "permanent":
                    rejected.add((backend, client_id))
            return count

    def duplicates(self) -> int:
        """Executions beyond the first, summed over logical jobs."""
        return sum(n - 1 for n in self.executions.values() if n > 1)


_POLL = 0.05  # seconds: longest sleep of a waiting caller between checks


class _ChaosJob:
    """An accepted job whose completion time the chaos backend controls."""

    def __init__(
        self,
        owner: ChaosBackend,
        prepared: Any,
        shots: int,
        client_id: str,
        n: int,
        ready_in: float | None,
    ) -> None:
        self.owner = owner
        self.prepared = prepared
        self.shots = shots
        self.client_id = client_id
        self.job_id = f"chaos-{owner.name}-{client_id}-{n}"
        self.ready_at = None if ready_in is None else time.monotonic() + ready_in
        self._lock = threading.Lock()
        self.cancelled = False
        self.counts: dict[str, int] | None = None
        self.cancel_fails = False

    def _ready(self) -> bool:
        return self.ready_at is not None and time.monotonic() >= self.ready_at

    def _run(self) -> dict[str, int]:
        """Run on the inner backend once (the real execution); caller holds the lock."""
        if self.counts is None:
            self.counts = self.owner.inner.submit(
                self.prepared, self.shots, client_id=self.client_id
            ).wait(None)
            self.owner.ledger.executed(self.owner.name, self.client_id)
        return self.counts

    def wait(self, timeout: float | None) -> dict[str, int]:
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                if self.cancelled:
                    raise ChaosCancelledError(f"job {self.job_id} was cancelled")
                if self._ready():
                    return self._run()
            now = time.monotonic()
            if end is not None and now >= end:
                raise TimeoutError(f"job {self.job_id} not finished after {timeout:.3g}s")
            # Sleep until whichever comes first: ready, the caller's timeout, or 50 ms.
            wake = min(t for t in (self.ready_at, end, now + _POLL) if t is not None)
            time.sleep(max(wake - now, 0.0005))

    def cancel(self) -> bool:
        if self.cancel_fails:
            raise ServiceUnavailableException("cancellation request failed (HTTP 503)")
        with self._lock:
            if self.counts is not None or self._ready():
                self._run()
                return False
            self.cancelled = True
            return True

    def settle(self) -> bool:
        with self._lock:
            if self.cancelled or self.counts is not None:
                return True
            if self.ready_at is None:
                return False
        while not self._ready():
            time.sleep(0.001)
        with self._lock:
            if not self.cancelled:
                try:
                    self._run()
                except Exception:  # the provider ran it and it failed: settled all the same
                    pass
        return True


class ChaosCancelledError(ChaosError):
    """Waiting on a job that was cancelled."""

    kind = ErrorKind.TRANSIENT


class ChaosBackend:
    """A backend that misbehaves as ``faults`` says.

    Args:
        inner: the real backend (spec string, SDK object or Backend).
        faults: what to inject.
        ledger: ground truth to share between backends (default: a new one).
        seed: makes the injected faults reproducible.
        name: label override (default: the inner backend's name).
    """

    def __init__(
        self,
        inner: Any,
        faults: Faults | None = None,
        *,
        ledger: Ledger | None = None,
        seed: int = 0,
        name: str | None = None,
    ) -> None:
        self.inner: Backend = adapt(inner, seed=seed)
        self.faults = faults or Faults()
        self.ledger = ledger or Ledger()
        self.seed = seed
        self.provider = self.inner.provider
        self.name = name or self.inner.name
        self.spec = getattr(self.inner, "spec", None)

    def __repr__(self) -> str:
        return f"<ChaosBackend {self.name} {self.faults!r}>"

    def prepare(self, circuit: Any) -> Any:
        return self.inner.prepare(circuit)

    def _in_outage(self, job_index: int) -> bool:
        o = self.faults.outage
        return o is not None and o.after_jobs <= job_index < o.after_jobs + o.for_jobs

    def calibration(self) -> Calibration | None:
        if self.faults.calibration_missing:
            return Calibration(timestamp=None)
        if self.faults.calibration_age is not None:
            return Calibration(timestamp=time.time() - self.faults.calibration_age)
        return self.inner.calibration()

    def status(self) -> BackendStatus | None:
        if self._in_outage(self.ledger.current):
            return BackendStatus(operational=False, pending_jobs=self.faults.pending_jobs)
        if self.faults.pending_jobs is not None:
            return BackendStatus(operational=True, pending_jobs=self.faults.pending_jobs)
        return self.inner.status()

    def submit(self, prepared: Any, shots: int, *, client_id: str) -> _ChaosJob:
        f = self.faults
        index = self.ledger.begin(client_id)
        n = self.ledger._next(self.name, client_id)
        fault = "ok"
        if self._in_outage(index):
            fault = "outage"
        else:
            u = random.Random(f"{self.seed}:{self.name}:{client_id}:{n}").random()
            for name, rate in (
                ("throttle", f.throttle_rate),
                ("transient", f.transient_error_rate),
                ("permanent", f.permanent_error_rate),
                ("timeout", f.timeout_rate),
                ("late", f.late_rate),
            ):
                if u < rate:
                    fault = name
                    break
                u -= rate
        self.ledger._record(self.name, client_id, n, fault)
        if fault == "outage":
            raise DeviceOfflineException(f"{self.name} is offline for maintenance")
        if fault == "throttle":
            raise ThrottlingException("Rate exceeded", retry_after=f.retry_after)
        if fault == "transient":
            raise ServiceUnavailableException("Service unavailable (HTTP 503)")
        if fault == "permanent":
            raise ValidationException("Invalid circuit for device")
        ready_in = {"timeout": None, "late": f.late_latency}.get(fault, f.latency or 0.0)
        job = _ChaosJob(self, prepared, shots, client_id, n, ready_in)
        if f.cancel_failure_rate:
            rng = random.Random(f"{self.seed}:{self.name}:{client_id}:{n}:cancel")
            job.cancel_fails = rng.random() < f.cancel_failure_rate
        with self.ledger._lock:
            self.ledger._jobs.append(job)
        return job
