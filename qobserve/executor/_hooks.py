"""Hooks: callables told of every attempt, retry and fallback, with frozen details.

The shape follows stamina's instrumentation hooks: a hook is any callable
taking one frozen details object; an executor holds a tuple of them per event,
called in order in the job's thread (inside the job span's context). A hook
that raises is logged on ``qobserve.executor`` and skipped: it never changes
the job's outcome. The executor's own OpenTelemetry telemetry is the first
hook of each tuple unless ``default_hooks=False`` (see ``_telemetry``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

__all__ = [
    "AttemptDetails",
    "FallbackDetails",
    "Hooks",
    "RetryDetails",
    "run_hooks",
]

log = logging.getLogger("qobserve.executor")


@dataclass(frozen=True, slots=True)
class AttemptDetails:
    """One attempt that has ended, successfully or not (``on_attempt``).

    Attributes:
        client_id: the logical job's stable id.
        number: the attempt's number within the logical job, from 1 (across backends).
        backend / provider: where it ran (``provider`` is ``classical`` for a
            :class:`~qobserve.executor.ClassicalTarget`).
        shots: shots requested.
        outcome: ``completed``, ``adopted``, ``error``, ``timeout``, ``cancelled``
            or ``unknown``, as in :class:`~qobserve.executor.Attempt`.
        started / ended: Unix times of the attempt.
        job_id: the provider's job id, when a job was accepted.
        cost_usd: the estimated cost settled for it, on success.
        error: the exception that failed it (a ``TimeoutError`` for a job that
            missed its wait), None on success.
        error_type / error_kind: its classification (``ThrottlingException`` /
            ``transient``), None on success.
    """

    client_id: str
    number: int
    backend: str
    provider: str
    shots: int
    outcome: str
    started: float
    ended: float
    job_id: str | None = None
    cost_usd: float | None = None
    error: BaseException | None = None
    error_type: str | None = None
    error_kind: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.error is None

    @property
    def seconds(self) -> float:
        return max(self.ended - self.started, 0.0)


@dataclass(frozen=True, slots=True)
class RetryDetails:
    """A retry on the same backend about to wait ``delay`` seconds (``on_retry``).

    Attributes:
        client_id: the logical job's stable id.
        backend / provider: the backend retried.
        attempt: how many attempts on this backend failed so far (1 before the first retry).
        error / error_type: the failure being retried and its classification.
        delay: seconds of backoff before the next attempt (jitter and Retry-After applied).
    """

    client_id: str
    backend: str
    provider: str
    attempt: int
    error: BaseException
    error_type: str
    delay: float


@dataclass(frozen=True, slots=True)
class FallbackDetails:
    """The job moves to another target (``on_fallback``).

    Attributes:
        client_id: the logical job's stable id.
        from_backend / to_backend: the target left and the one tried next.
        reason: why ``from_backend`` was left (``breaker open``, ``3 attempts failed``, …).
        classical: the next target is the :class:`~qobserve.executor.ClassicalTarget`.
    """

    client_id: str
    from_backend: str
    to_backend: str
    reason: str
    classical: bool = False


D = TypeVar("D", AttemptDetails, RetryDetails, FallbackDetails)
Hook = Callable[[Any], object]


class _DefaultHooks(Protocol):
    """The executor's own telemetry, which provides one hook per event."""

    def on_attempt(self, d: AttemptDetails) -> None: ...

    def on_retry(self, d: RetryDetails) -> None: ...

    def on_fallback(self, d: FallbackDetails) -> None: ...


def _hook_tuple(value: Hook | Sequence[Hook] | None, field: str) -> tuple[Hook, ...]:
    """``value`` (a callable, a sequence of them, or None) as a tuple.

    Raises:
        TypeError: naming ``field`` and the position of something not callable.
    """
    if value is None:
        return ()
    if callable(value):
        return (value,)
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError(f"{field}: expected a callable or a list of callables, got {value!r}")
    for i, hook in enumerate(value):
        if not callable(hook):
            raise TypeError(f"{field}[{i}]: expected a callable taking one details object")
    return tuple(value)


class Hooks:
    """The hooks of one executor: a tuple per event, the default telemetry first."""

    __slots__ = ("attempt", "fallback", "retry")

    def __init__(
        self,
        *,
        on_attempt: Hook | Sequence[Hook] | None,
        on_retry: Hook | Sequence[Hook] | None,
        on_fallback: Hook | Sequence[Hook] | None,
        default: _DefaultHooks | None = None,
    ) -> None:
        d = default
        self.attempt = ((d.on_attempt,) if d else ()) + _hook_tuple(on_attempt, "on_attempt")
        self.retry = ((d.on_retry,) if d else ()) + _hook_tuple(on_retry, "on_retry")
        self.fallback = ((d.on_fallback,) if d else ()) + _hook_tuple(on_fallback, "on_fallback")


def run_hooks(hooks: tuple[Hook, ...], details: D) -> None:
    """Call each hook with ``details``; one that raises is logged and the rest still run."""
    for hook in hooks:
        try:
            hook(details)
        except Exception:
            log.exception(
                "executor hook %s raised on %s for job %s; the job goes on",
                getattr(hook, "__qualname__", repr(hook)),
                type(details).__name__,
                details.client_id,
            )
