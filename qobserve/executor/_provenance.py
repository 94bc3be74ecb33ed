"""What happened to one logical job: where it ran, every attempt, errors, cost, timings."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

__all__ = ["Attempt", "ExecutionResult", "JobFailedError", "Provenance", "Skip"]


@dataclass(slots=True)
class Attempt:
    """One submission (or refusal before submission) on one backend.

    ``outcome`` is ``completed``, ``adopted`` (a late job's result taken after
    its cancellation found it finished), ``error``, ``timeout``, ``cancelled``
    or ``unknown`` (the submission timed out after sending and no job was found
    by its client id, so it was safe to resubmit). ``looked_up`` says how a
    look-up by client id went (``found``, ``not found``, ``failed``), if one was made.
    """

    backend: str
    provider: str
    number: int
    started: float
    ended: float = 0.0
    outcome: str = ""
    job_id: str | None = None
    error_kind: str | None = None
    error_type: str | None = None
    looked_up: str | None = None


@dataclass(frozen=True)
class Skip:
    """A backend passed over without a submission, and why."""

    backend: str
    reason: str


@dataclass
class Provenance:
    """The record of one logical job.

    Attributes:
        client_id: stable id carried to providers (tags/metadata) on every attempt.
        backend / provider: where the result came from (None if it failed).
        attempts: every submission in order.
        skipped: backends passed over (breaker, gates, budget, conversion).
        retries / fallbacks: resubmissions on the same backend / moves to another.
        cost_usd: settled cost of the successful attempt.
        started / ended: wall-clock (Unix) bounds of the job, queue time included.
        reason: terminal reason when it failed.
        classical_reason: set when a :class:`~qobserve.executor.ClassicalTarget`
            answered: why every quantum target was skipped or failed.
    """

    client_id: str
    shots: int
    backend: str | None = None
    provider: str | None = None
    attempts: list[Attempt] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    retries: int = 0
    fallbacks: int = 0
    cost_usd: Decimal = Decimal(0)
    started: float = 0.0
    ended: float = 0.0
    reason: str | None = None
    classical_reason: str | None = None

    @property
    def classical(self) -> bool:
        """The answer came from the classical fallback model, not a quantum backend."""
        return self.classical_reason is not None

    @property
    def seconds(self) -> float:
        return max(self.ended - self.started, 0.0)

    @property
    def errors(self) -> list[str]:
        return [a.error_type for a in self.attempts if a.error_type]


@dataclass(frozen=True)
class ExecutionResult:
    """A finished logical job: counts (Qiskit bit order, bit 0 rightmost) and provenance."""

    counts: dict[str, int]
    provenance: Provenance
    raw: Any = None


class JobFailedError(RuntimeError):
    """A logical job ended without a result; ``reason`` says why, ``provenance`` shows how."""

    def __init__(self, reason: str, provenance: Provenance) -> None:
        super().__init__(f"job {provenance.client_id} failed: {reason}")
        self.reason = reason
        self.provenance = provenance
