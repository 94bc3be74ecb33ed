"""Executor policies: frozen pydantic models, keyword-only, sensible by default.

Each policy is data only; the behaviour lives in the module named after it
(``_retry``, ``_breaker``, ``_gates``). Durations accept seconds or ``250ms``,
``30s``, ``5m``, ``6h``; unknown keys are errors so a typo in a policy file
names the field instead of being ignored.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from pydantic import Field, ValidationError

from qobserve._validation import (
    MAX_DURATION_S,
    Duration,
    StrictModel,
    read_yaml,
    validation_message,
)

__all__ = [
    "DEFAULT_ATTEMPT_TIMEOUT",
    "DEFAULT_DEADLINE",
    "BreakerPolicy",
    "ConnectionPolicy",
    "Duration",
    "ExecutorPolicy",
    "GatePolicy",
    "IdempotencyPolicy",
    "Price",
    "RetryBudgetPolicy",
    "RetryPolicy",
    "coerce",
    "load_policy",
]

#: Seconds one logical job may take in total, queue included, unless the policy
#: says otherwise: a day covers IBM/Braket fair-share queues on busy devices, and
#: bounds a job that never finishes (nothing waits forever).
DEFAULT_DEADLINE = 86400.0
#: Seconds the executor waits for one accepted job before cancelling it: long
#: enough for a queued QPU job, short enough for a retry within the deadline.
DEFAULT_ATTEMPT_TIMEOUT = 6 * 3600.0

#: Caps on counts and prices: anything larger is a typo (and a huge int would
#: otherwise overflow later, far from the file that holds it).
MAX_COUNT = 1_000_000_000
MAX_USD = Decimal(1_000_000)


class _Policy(StrictModel):
    """Executor policies: strict and frozen like every config model."""


class RetryPolicy(_Policy):
    """Retries of transient errors on one backend.

    Backoff is capped exponential with full jitter (AWS Architecture Blog,
    "Exponential Backoff and Jitter"): sleep ~ U(0, min(maximum, initial·2ⁿ)),
    raised to the provider's Retry-After hint when it gives one.

    Attributes:
        max_attempts: attempts per backend, first one included.
        initial: backoff scale of the first retry.
        maximum: cap of one backoff sleep.
        attempt_timeout: how long to wait for one accepted job (queue included)
            before polling is given up and the job cancelled (default 6 h,
            :data:`DEFAULT_ATTEMPT_TIMEOUT`); never longer than the job deadline,
            and None waits until the job deadline.
        max_retry_after: cap on a provider's Retry-After hint.
        retry_unknown: retry errors no classifier recognises (default: move on).
    """

    max_attempts: int = Field(default=3, ge=1, le=100)
    initial: Duration = 0.5
    maximum: Duration = 30.0
    attempt_timeout: Duration | None = Field(default=DEFAULT_ATTEMPT_TIMEOUT, gt=0)
    max_retry_after: Duration = 300.0
    retry_unknown: bool = False


class BreakerPolicy(_Policy):
    """Per-backend circuit breaker.

    Opens after ``failure_threshold`` consecutive failures, or when at least
    ``min_calls`` of the last ``window`` calls failed at ``failure_ratio`` or
    more; after ``cooldown`` one half-open probe decides between closed and open.
    """

    # Defaults tolerate a backend failing 30% of calls at random (0.3¹⁰ ≈ 6e-6 for
    # a streak; P(≥50 of 100) ≈ 2e-5) while opening within seconds on an outage;
    # window and ratio follow resilience4j's defaults (100 calls, 50%).
    enabled: bool = True
    failure_threshold: int = Field(default=10, ge=1, le=MAX_COUNT)
    failure_ratio: float = Field(default=0.5, gt=0, le=1, allow_inf_nan=False)
    window: int = Field(default=100, ge=1, le=MAX_COUNT)
    min_calls: int = Field(default=100, ge=1, le=MAX_COUNT)
    cooldown: Duration = 30.0


class GatePolicy(_Policy):
    """Checks made before a backend gets a job.

    Attributes:
        max_calibration_age: skip a backend calibrated longer ago than this.
        require_calibration: skip a backend that reports no calibration time
            (off by default: local simulators have none).
        require_operational: skip a backend reporting itself not operational.
        max_pending_jobs: skip a backend whose queue is longer (None: no limit).
        refresh: how long a calibration/status reading is reused (0: read for every job).
    """

    max_calibration_age: Duration | None = None
    require_calibration: bool = False
    require_operational: bool = True
    max_pending_jobs: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    refresh: Duration | float = Field(default=5.0, ge=0, le=MAX_DURATION_S, allow_inf_nan=False)


class IdempotencyPolicy(_Policy):
    """What to do with a client id seen before, and with a job whose fate is unknown.

    With ``allow_duplicates`` False (the default) a late job is cancelled and
    the cancellation confirmed before anything is resubmitted; a job that
    finished meanwhile is adopted; a job whose cancellation cannot be confirmed
    is polled until the deadline rather than run twice. A submission whose
    outcome is unknown (the request timed out after it was sent) is looked up
    by its client id (Braket client token and tag, IBM job tag) before anything
    is resubmitted.

    Attributes:
        allow_duplicates: resubmit at once instead (at-least-once).
        remember: how many client ids one executor remembers, so a second
            ``run`` with an id returns the first result (or joins the job in
            flight) instead of executing it again; the oldest are forgotten.
        remember_for: how long a finished job's result is remembered.
    """

    allow_duplicates: bool = False
    remember: int = Field(default=10_000, ge=0)
    remember_for: Duration = Field(default=86400.0, ge=0)


class ConnectionPolicy(_Policy):
    """Bounds on talking to a cloud provider's API (Braket, IBM Quantum).

    Connecting is lazy: the executor builds the SDK object of a cloud target on
    the first job that reaches it, never in its constructor. A target whose
    API does not answer within these bounds is skipped for that job with the
    reason recorded (``Provenance.skipped``) and the next target is tried.

    Attributes:
        connect_timeout: TCP/TLS connect timeout of one API request
            (botocore ``connect_timeout``; IBM's RetrySession connect timeout).
        read_timeout: wait for one API response (botocore ``read_timeout``).
        max_attempts: attempts of one API request inside the SDK (botocore
            standard retry mode ``max_attempts``; IBM connect retries).
        setup_timeout: bound on building the SDK object (authentication,
            device lookup) whatever the SDK does inside; past it the target is
            skipped as unreachable and the build goes on in the background.
            The same bound applies to one cloud submission, and is how far a
            wait for or cancel of a cloud job may overrun its own timeout.
    """

    connect_timeout: Duration = Field(default=5.0, gt=0)
    read_timeout: Duration = Field(default=30.0, gt=0)
    max_attempts: int = Field(default=2, ge=1, le=10)
    setup_timeout: Duration = Field(default=60.0, gt=0)


class Price(_Policy):
    """A fixed price for one backend, overriding :mod:`qobserve.cost` estimates
    (Braket-style: a fee per task plus a fee per shot)."""

    per_task_usd: Decimal = Field(default=Decimal(0), ge=0, le=MAX_USD, allow_inf_nan=False)
    per_shot_usd: Decimal = Field(default=Decimal(0), ge=0, le=MAX_USD, allow_inf_nan=False)

    def cost(self, shots: int, circuits: int = 1) -> Decimal:
        return (self.per_task_usd + self.per_shot_usd * shots) * circuits


class RetryBudgetPolicy(_Policy):
    """Size of the shared retry token bucket (AWS SDK standard retry mode defaults)."""

    capacity: int = Field(default=500, ge=1, le=MAX_COUNT)
    retry_cost: int = Field(default=5, ge=1, le=MAX_COUNT)
    timeout_cost: int = Field(default=10, ge=1, le=MAX_COUNT)
    success_refund: int = Field(default=1, ge=0, le=MAX_COUNT)


class ExecutorPolicy(_Policy):
    """Every executor policy in one document, as a policy file holds them::

        retry: {max_attempts: 4, initial: 1s, maximum: 1m, attempt_timeout: 2h}
        breaker: {failure_threshold: 5, cooldown: 5m}
        gates: {max_calibration_age: 24h, max_pending_jobs: 500}
        idempotency: {allow_duplicates: false, remember: 10000}
        connection: {connect_timeout: 5s, read_timeout: 30s, setup_timeout: 1m}
        retry_budget: {capacity: 500}
        deadline: 6h

    ``deadline`` defaults to 24 h (:data:`DEFAULT_DEADLINE`) and
    ``retry.attempt_timeout`` to 6 h: no job waits forever.
        concurrency: 8
    """

    retry: RetryPolicy = RetryPolicy()
    breaker: BreakerPolicy = BreakerPolicy()
    gates: GatePolicy = GatePolicy()
    idempotency: IdempotencyPolicy = IdempotencyPolicy()
    connection: ConnectionPolicy = ConnectionPolicy()
    retry_budget: RetryBudgetPolicy = RetryBudgetPolicy()
    deadline: Duration | None = Field(default=DEFAULT_DEADLINE, gt=0)  # None: the default
    concurrency: int = Field(default=8, ge=1, le=1024)


def coerce(cls: type[_Policy], value, field: str):
    """``value`` as a ``cls`` policy: None gives the defaults, a mapping is validated.

    Raises:
        ValueError: naming ``field`` and the bad key (``retry.max_attempts: …``).
    """
    if value is None:
        return cls()
    if isinstance(value, cls):
        return value
    try:
        return cls.model_validate(value)
    except ValidationError as exc:
        raise ValueError(validation_message(exc, prefix=field)) from None


def load_policy(source: str | Path | dict) -> ExecutorPolicy:
    """Read an :class:`ExecutorPolicy` from a YAML file (or a mapping).

    Raises:
        ValueError: naming the file and each bad field.
    """
    if isinstance(source, dict):
        return coerce(ExecutorPolicy, source, "")
    path = Path(source)
    data = read_yaml(path, ValueError, expect="a policy mapping (retry, breaker, gates, ...)")
    try:
        return coerce(ExecutorPolicy, data, "")
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
