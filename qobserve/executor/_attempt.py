"""One attempt of a logical job on one backend: reserve, submit, wait, resolve.

Kept apart from the fallback loop in ``_executor`` because this is where
idempotency lives: an accepted job that misses its wait is cancelled (and the
cancellation confirmed) before anything is resubmitted, adopted when it turns
out to have finished, and polled rather than duplicated when the provider
cannot say. A submission whose request timed out after it was sent is looked
up by its client id (``Backend.find``) before anything is resubmitted: found,
it is waited on like any accepted job; not found, it is safe to resubmit; when
the backend cannot look it up, it is never resubmitted (unless duplicates are
allowed).
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from opentelemetry import trace
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.trace import Status, StatusCode

from qobserve.errors import ErrorInfo, ErrorKind, classify, outcome_unknown
from qobserve.executor import _cloud
from qobserve.executor._breaker import Breaker
from qobserve.executor._gates import BudgetLike, reserve
from qobserve.executor._hooks import AttemptDetails, Hooks, run_hooks
from qobserve.executor._policies import ConnectionPolicy, IdempotencyPolicy, Price, RetryPolicy
from qobserve.executor._provenance import Attempt, Provenance
from qobserve.executor._retry import AttemptError, RetryBudget
from qobserve.executor._runner import Backend, Submission
from qobserve.executor._telemetry import ExecutorTelemetry
from qobserve.semconv import Attr, JobStatus

__all__ = ["Attempts", "Slot", "attempt_details"]

_TIMEOUT = ErrorInfo(ErrorKind.TRANSIENT, "timeout")
_CLIENT_ID, _ATTEMPT = Attr.CLIENT_JOB_ID.value, Attr.ATTEMPT.value


class Slot:
    """One adapted target with its breaker and price, and what the per-job path asks
    of the backend, looked up once."""

    def __init__(self, backend: Backend, price: Price | None, breaker: Breaker) -> None:
        self.backend = backend
        self.name = backend.name
        self.provider = backend.provider.value
        self.price = price
        self.breaker = breaker
        self.remote: bool = getattr(backend, "remote", False)
        self.connect = getattr(backend, "connect", None)
        # Cloud targets and backends that can find a job by client id: their submission
        # timeouts leave the outcome unknown (a local backend's just failed).
        self.may_look_up = self.remote or hasattr(backend, "find")
        self.labels = {Attr.PROVIDER.value: self.provider, Attr.BACKEND.value: self.name}
        self.costs: dict[int, Decimal] = {}  # shots → estimated USD per submission


class Attempts:
    """Attempt handling of :class:`~qobserve.executor.ResilientExecutor` (a mixin:
    it uses the executor's policies, budget, retry budget, telemetry and hooks)."""

    # Set by ResilientExecutor.__init__.
    budget: BudgetLike | None
    record_jobs: bool
    retry: RetryPolicy
    retry_budget: RetryBudget
    idempotency: IdempotencyPolicy
    connection: ConnectionPolicy
    _tel: ExecutorTelemetry
    _hooks: Hooks

    def _attempt(
        self,
        slot: Slot,
        prepared: Any,
        shots: int,
        prov: Provenance,
        deadline_at: float | None,
        estimate: Decimal,
    ) -> dict[str, int]:
        """One attempt; ``on_attempt`` hooks run once it has ended, either way."""
        reservation = reserve(self.budget, estimate)  # BudgetExceededError is not retried
        a = Attempt(slot.name, slot.provider, len(prov.attempts) + 1, time.time())
        prov.attempts.append(a)
        try:
            if self.record_jobs:
                with self._job_record(slot, prov, a, shots):
                    counts = self._try(
                        slot, a, prepared, shots, prov, deadline_at, reservation, estimate
                    )
            else:
                counts = self._try(
                    slot, a, prepared, shots, prov, deadline_at, reservation, estimate
                )
        except AttemptError as exc:
            if self._hooks.attempt:
                run_hooks(self._hooks.attempt, attempt_details(a, prov, exc.cause))
            raise
        a.ended = time.time()
        if reservation is not None:
            reservation.settle(estimate)
        prov.cost_usd += estimate
        self.retry_budget.refund()
        slot.breaker.success()
        if self._hooks.attempt:
            run_hooks(self._hooks.attempt, attempt_details(a, prov, None, float(estimate)))
        return counts

    def _try(
        self,
        slot: Slot,
        a: Attempt,
        prepared: Any,
        shots: int,
        prov: Provenance,
        deadline_at: float | None,
        reservation,
        estimate: Decimal,
    ) -> dict[str, int]:
        """Submit and wait; a failure is recorded on ``a`` and raised as AttemptError."""
        try:
            sub = self._submit(slot, prepared, shots, prov, deadline_at)
        except Exception as exc:
            if not (slot.may_look_up and outcome_unknown(exc)):
                info = classify(exc)
                self._failed(slot, a, reservation, info)
                raise AttemptError(info, exc) from exc
            sub = self._look_up(slot, a, prov, reservation, estimate, exc)
        a.job_id = sub.job_id
        timeout = self.retry.attempt_timeout
        if deadline_at is not None:
            left = max(deadline_at - time.monotonic(), 0.0)
            timeout = left if timeout is None else min(timeout, left)
        try:
            counts = self._remote(slot, lambda: sub.wait(timeout), timeout, "wait")
            a.outcome = "completed"
        except TimeoutError:
            counts = self._late(slot, sub, a, reservation, estimate, deadline_at)
        except Exception as exc:
            info = classify(exc)
            self._failed(slot, a, reservation, info)
            raise AttemptError(info, exc) from exc
        return counts

    def _remote(self, slot: Slot, call, waits: float | None, what: str):
        """``call()``; for a cloud target bounded by ``waits`` seconds plus one API
        call's worth of ``setup_timeout`` (an SDK whose HTTP reads have no timeout,
        such as IBM's job status polls, then cannot hang the job past its bounds).
        A wait past its bound raises TimeoutError, like a job not done in time."""
        if not slot.remote:
            return call()
        bound = (waits or 0.0) + self.connection.setup_timeout
        return _cloud.bounded(call, bound, f"{what} on {slot.name}")

    def _submit(
        self, slot: Slot, prepared: Any, shots: int, prov: Provenance, deadline_at: float | None
    ) -> Submission:
        """``backend.submit``; for a cloud target bounded in time and sent with a
        client token that stays the same until a submission's outcome is known."""
        backend = slot.backend
        if not slot.remote:
            return backend.submit(prepared, shots, client_id=prov.client_id)
        known = sum(
            1 for x in prov.attempts[:-1] if x.backend == slot.name and x.outcome != "unknown"
        )
        token = _cloud.client_token(prov.client_id, slot.name, known)
        c = self.connection
        bound = c.setup_timeout
        if deadline_at is not None:
            bound = min(bound, max(deadline_at - time.monotonic(), 0.001))

        def send():
            handle = _cloud.sending_token(token)
            try:
                return backend.submit(prepared, shots, client_id=prov.client_id)
            finally:
                _cloud.reset_token(handle)

        return _cloud.bounded(send, bound, f"submit to {slot.name}")

    def _look_up(
        self,
        slot: Slot,
        a: Attempt,
        prov: Provenance,
        reservation,
        estimate: Decimal,
        exc: BaseException,
    ) -> Submission:
        """A submission's outcome is unknown: find the job by its client id before
        anything is resubmitted. Returns the found job; raises AttemptError otherwise."""
        find = getattr(slot.backend, "find", None)
        found: Submission | None = None
        error: BaseException | None = None
        if find is not None:
            try:
                found = find(prov.client_id, a.started)
            except Exception as lookup_exc:  # the provider could not say either way
                error = lookup_exc
        a.looked_up = (
            "found" if found is not None else ("not found" if find and error is None else "failed")
        )
        if found is not None:
            return found
        if a.looked_up == "not found" or self.idempotency.allow_duplicates:
            # Not created (or duplicates allowed): resubmitting is safe; same client token.
            a.outcome, a.error_kind, a.error_type, a.ended = (
                "unknown",
                "transient",
                "timeout",
                time.time(),
            )
            if reservation is not None:
                reservation.release()
            slot.breaker.failure()
            raise AttemptError(_TIMEOUT, exc, timed_out=True) from exc
        a.outcome, a.error_kind, a.error_type, a.ended = (
            "timeout",
            "unresolved",
            "timeout",
            time.time(),
        )
        slot.breaker.failure()
        if reservation is not None:
            reservation.settle(estimate)  # it may run and be charged
        raise AttemptError(_TIMEOUT, exc, timed_out=True, unresolved=True) from exc

    def _late(
        self,
        slot: Slot,
        sub: Submission,
        a: Attempt,
        reservation,
        estimate: Decimal,
        deadline_at: float | None,
    ):
        """An accepted job missed its wait: cancel it, or adopt it if it finished."""
        try:
            cancelled: bool | None = self._remote(slot, sub.cancel, 0.0, "cancel")
        except Exception:
            cancelled = None  # the provider could not confirm either way
        poll: float | None = None  # a finished job answers at once
        if cancelled is None and not self.idempotency.allow_duplicates:
            # A second copy must not run while this one may: keep polling it instead.
            poll = (
                self.retry.attempt_timeout
                if deadline_at is None
                else max(deadline_at - time.monotonic(), 0.0)
            )
            cancelled = False if poll else None
        if cancelled is False:
            try:
                counts = self._remote(slot, lambda: sub.wait(poll), poll, "wait")
            except TimeoutError:
                pass
            except Exception as exc:
                info = classify(exc)
                self._failed(slot, a, reservation, info)
                raise AttemptError(info, exc) from exc
            else:
                a.outcome = "adopted"
                return counts
            cancelled = None
        if cancelled is None and not self.idempotency.allow_duplicates:
            a.outcome, a.error_kind, a.error_type, a.ended = (
                "timeout",
                "unresolved",
                "timeout",
                time.time(),
            )
            slot.breaker.failure()
            # The job may still run and be charged: keep its reservation as spend.
            if reservation is not None:
                reservation.settle(estimate)
            raise AttemptError(_TIMEOUT, None, timed_out=True, unresolved=True)
        self._failed(slot, a, reservation, _TIMEOUT, outcome="cancelled")
        raise AttemptError(_TIMEOUT, None, timed_out=True)

    def _failed(
        self, slot: Slot, a: Attempt, reservation, info: ErrorInfo, outcome: str = "error"
    ) -> None:
        a.outcome, a.error_kind, a.error_type, a.ended = (
            outcome,
            info.kind.value,
            info.error_type,
            time.time(),
        )
        if reservation is not None:
            reservation.release()  # failed and cancelled tasks are not charged
        if info.kind is ErrorKind.PERMANENT:
            slot.breaker.release()  # the job's fault, not the backend's
        else:
            slot.breaker.failure()

    @contextmanager
    def _job_record(self, slot: Slot, prov: Provenance, a: Attempt, shots: int):
        """With ``record_jobs``: the attempt recorded as a job (span, metrics), live
        while it runs so the backend's own events land on it."""
        attrs = {_CLIENT_ID: prov.client_id, _ATTEMPT: a.number}
        rec = self._tel.jobs.start(
            slot.provider, slot.name, "executor", shots=shots, attributes=attrs
        )
        try:
            # This record is the job: SDK instrumentation underneath would count it twice.
            with trace.use_span(rec.span, end_on_exit=False), suppress_instrumentation():
                yield rec.span
        finally:
            ok = a.outcome in ("completed", "adopted")
            if not ok:
                rec.span.set_status(Status(StatusCode.ERROR, a.error_type or "error"))
            status = (
                JobStatus.COMPLETED
                if ok
                else (JobStatus.CANCELLED if a.outcome == "cancelled" else JobStatus.FAILED)
            )
            rec.finish(
                status,
                error=None if ok else (a.error_type or "error"),
                cost_usd=float(prov.cost_usd) if ok else None,
            )


def attempt_details(
    a: Attempt, prov: Provenance, error: BaseException | None, cost_usd: float | None = None
) -> AttemptDetails:
    """The frozen details ``on_attempt`` hooks get for an ended attempt."""
    return AttemptDetails(
        client_id=prov.client_id,
        number=a.number,
        backend=a.backend,
        provider=a.provider,
        shots=prov.shots,
        outcome=a.outcome,
        started=a.started,
        ended=a.ended,
        job_id=a.job_id,
        cost_usd=cost_usd,
        error=error,
        error_type=a.error_type,
        error_kind=a.error_kind,
    )
