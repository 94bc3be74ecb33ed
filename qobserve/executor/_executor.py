"""The resilient executor: one logical job, tried along an ordered list of backends.

For each target in order: the breaker and the device gates may skip it, the
circuit is converted for its SDK, the estimated cost is reserved on the budget,
then tenacity runs attempts (retrying transient errors, within the retry budget
and the job deadline). Reroute, permanent and exhausted targets hand the job
to the next target; the first result wins. An accepted job that is late is
cancelled before anything is resubmitted, or adopted if it finished meanwhile.
"""

from __future__ import annotations

import asyncio
import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from opentelemetry import context, trace
from opentelemetry.trace import Status, StatusCode

from qobserve.errors import transport_failure
from qobserve.executor._attempt import Attempts, Slot, attempt_details
from qobserve.executor._breaker import Breaker, BreakerState
from qobserve.executor._classical import CLASSICAL_PROVIDER, ClassicalTarget
from qobserve.executor._cloud import TargetUnreachableError, bounded
from qobserve.executor._convert import ConversionError
from qobserve.executor._gates import BudgetLike, DeviceGate
from qobserve.executor._hooks import FallbackDetails, Hook, Hooks, RetryDetails, run_hooks
from qobserve.executor._policies import (
    DEFAULT_DEADLINE,
    BreakerPolicy,
    ConnectionPolicy,
    ExecutorPolicy,
    GatePolicy,
    IdempotencyPolicy,
    Price,
    RetryPolicy,
    coerce,
)
from qobserve.executor._provenance import Attempt, ExecutionResult, JobFailedError, Provenance, Skip
from qobserve.executor._retry import AttemptError, RetryBudget, StopReason, retrying
from qobserve.executor._runner import Backend, adapt
from qobserve.executor._telemetry import ExecutorTelemetry
from qobserve.semconv import Attr, SpanEvent

__all__ = ["ResilientExecutor", "Target"]


@dataclass(frozen=True)
class Target:
    """A backend in the fallback list, with an optional fixed price.

    Args:
        backend: spec string (``qiskit:aer``), :class:`~qobserve.backends.BackendSpec`,
            SDK backend object, or a :class:`~qobserve.executor._runner.Backend`.
        price: overrides :func:`qobserve.cost.estimate` for this backend.
    """

    backend: Any
    price: Price | None = None


def _is_budget_error(exc: BaseException) -> bool:
    try:
        from qobserve.cost import BudgetExceededError
    except ImportError:
        return type(exc).__name__ == "BudgetExceededError"
    return isinstance(exc, BudgetExceededError)


_SKIPPED, _REASON = SpanEvent.TARGET_SKIPPED.value, Attr.SKIP_REASON.value
_BACKEND, _PROVIDER = Attr.BACKEND.value, Attr.PROVIDER.value
_JOB_ID, _COST = Attr.JOB_ID.value, Attr.JOB_COST_USD.value


def _classical_last(targets: list[Any]) -> ClassicalTarget | None:
    """The classical target, which may only come last and after a quantum one.

    Raises:
        ValueError: naming the position of a misplaced :class:`ClassicalTarget`.
    """
    for i, t in enumerate(targets[:-1]):
        if isinstance(t, ClassicalTarget):
            raise ValueError(
                f"targets[{i}]: a ClassicalTarget must be the last target "
                f"(it answers only when every quantum target failed); move {t.name!r} "
                f"to targets[{len(targets) - 1}]"
            )
    last = targets[-1]
    if not isinstance(last, ClassicalTarget):
        return None
    if len(targets) == 1:
        raise ValueError(
            "targets[0]: a ClassicalTarget needs at least one quantum target before it"
        )
    return last


class _Seen:
    """What one executor remembers of a client id: its outcome once settled, and the
    future that later callers wait on while it is in flight (made only if one does)."""

    __slots__ = ("done_at", "result", "waiters")

    def __init__(self) -> None:
        self.done_at: float | None = None
        self.result: Any = None
        self.waiters: Future | None = None

    def outcome(self) -> ExecutionResult:
        """The settled result (or raise its error); wait for it if still in flight."""
        if self.done_at is None:
            assert self.waiters is not None
            return self.waiters.result()
        if isinstance(self.result, BaseException):
            raise self.result
        return self.result


def _new_id() -> str:
    """A random 128-bit client job id (hex), cheaper than formatting a UUID."""
    return os.urandom(16).hex()


def _replay_first(failure: AttemptError, attempt: Callable[..., Any]) -> Callable[..., Any]:
    """``attempt``, except that the first call re-raises the failure of the attempt
    already made, so tenacity counts it, backs off from it and judges it."""
    pending = [failure]

    def call(*args):
        if pending:
            raise pending.pop()
        return attempt(*args)

    return call


class ResilientExecutor(Attempts):
    """Runs circuits on the first healthy backend of an ordered list.

    Args:
        targets: backends in order of preference (see :class:`Target`); the last
            may be a :class:`ClassicalTarget`, which answers only when every
            quantum target was skipped or failed.
        retry / breaker / gates / idempotency / connection: the policies (or
            mappings of their fields).
        deadline: seconds a logical job may take in total, queue included
            (default 24 h, :data:`~qobserve.executor._policies.DEFAULT_DEADLINE`; None
            means the default: no job waits forever).
        budget: a :class:`qobserve.cost.Budget`; each submission reserves its estimate.
        retry_budget: token bucket shared with other executors (default: a fresh one).
        concurrency: logical jobs in flight in ``run_many`` / ``arun_many``.
        seed: passed to simulators built from specs.
        record_jobs: also record each attempt as a job (``quantum_jobs_total`` …),
            for backends no SDK instrumentor watches (e.g. chaos wrappers).
        tracer_provider / meter_provider: OpenTelemetry providers (default: global).
        sleep: how backoff sleeps (tests and game days pass a scaled one).
        on_attempt / on_retry / on_fallback: hooks (a callable or a sequence of
            them) called with an :class:`AttemptDetails` after each attempt, a
            :class:`RetryDetails` before each backoff, a :class:`FallbackDetails`
            when the job moves to the next target; in order, after the default
            hooks. A hook that raises is logged and skipped.
        default_hooks: keep the OpenTelemetry telemetry hooks (attempt spans,
            ``quantum_job_retries_total``, ``quantum_job_fallbacks_total``);
            False leaves only yours. The job span and the breaker gauge stay.
    """

    def __init__(
        self,
        targets: Sequence[Any],
        *,
        retry: RetryPolicy | dict | None = None,
        breaker: BreakerPolicy | dict | None = None,
        gates: GatePolicy | dict | None = None,
        idempotency: IdempotencyPolicy | dict | None = None,
        connection: ConnectionPolicy | dict | None = None,
        deadline: float | None = DEFAULT_DEADLINE,
        budget: BudgetLike | None = None,
        retry_budget: RetryBudget | None = None,
        concurrency: int = 8,
        seed: int | None = None,
        record_jobs: bool = False,
        tracer_provider=None,
        meter_provider=None,
        sleep: Callable[[float], None] = time.sleep,
        on_attempt: Hook | Sequence[Hook] | None = None,
        on_retry: Hook | Sequence[Hook] | None = None,
        on_fallback: Hook | Sequence[Hook] | None = None,
        default_hooks: bool = True,
    ) -> None:
        if not targets:
            raise ValueError("targets: give at least one backend, e.g. ['qiskit:aer']")
        if concurrency < 1:
            raise ValueError(f"concurrency: must be >= 1, got {concurrency}")
        targets = list(targets)
        self.retry = coerce(RetryPolicy, retry, "retry")
        self.breaker_policy = coerce(BreakerPolicy, breaker, "breaker")
        self.idempotency = coerce(IdempotencyPolicy, idempotency, "idempotency")
        self.connection = coerce(ConnectionPolicy, connection, "connection")
        self.gate = DeviceGate(coerce(GatePolicy, gates, "gates"))
        if deadline is None:
            deadline = DEFAULT_DEADLINE
        if not (isinstance(deadline, (int, float)) and math.isfinite(deadline) and deadline > 0):
            raise ValueError(f"deadline: must be a finite number of seconds > 0, got {deadline!r}")
        self.deadline = float(deadline)
        self.budget = budget
        self.retry_budget = retry_budget or RetryBudget()
        self.concurrency = concurrency
        self.record_jobs = record_jobs
        self._sleep = sleep
        self._tel = ExecutorTelemetry(tracer_provider, meter_provider, record_jobs=record_jobs)
        self._hooks = Hooks(
            on_attempt=on_attempt,
            on_retry=on_retry,
            on_fallback=on_fallback,
            default=self._tel if default_hooks else None,
        )
        self.classical = _classical_last(targets)
        quantum = targets[:-1] if self.classical is not None else targets
        self._slots = [self._slot(t, i, seed) for i, t in enumerate(quantum)]
        self._prepared: dict[tuple[int, int], tuple[Any, Any]] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        # client id → (future of its outcome, monotonic time it finished or None)
        self._seen: OrderedDict[str, _Seen] = OrderedDict()

    def _slot(self, target: Any, i: int, seed: int | None) -> Slot:
        price = target.price if isinstance(target, Target) else None
        raw = target.backend if isinstance(target, Target) else target
        backend = adapt(raw, seed=seed, field=f"targets[{i}]", connection=self.connection)
        gauge = self._tel.breaker_gauge(backend.provider.value, backend.name)
        return Slot(backend, price, Breaker(self.breaker_policy, on_change=gauge))

    @classmethod
    def from_policy(
        cls, targets: Sequence[Any], policy: ExecutorPolicy | dict, **kwargs
    ) -> ResilientExecutor:
        """An executor configured by an :class:`ExecutorPolicy` (e.g. from :func:`load_policy`)."""
        p = coerce(ExecutorPolicy, policy, "policy")
        rb = p.retry_budget
        kwargs.setdefault(
            "retry_budget",
            RetryBudget(
                capacity=rb.capacity,
                retry_cost=rb.retry_cost,
                timeout_cost=rb.timeout_cost,
                success_refund=rb.success_refund,
            ),
        )
        return cls(
            targets,
            retry=p.retry,
            breaker=p.breaker,
            gates=p.gates,
            idempotency=p.idempotency,
            connection=p.connection,
            deadline=p.deadline,
            concurrency=p.concurrency,
            **kwargs,
        )

    @property
    def backends(self) -> list[Backend]:
        return [s.backend for s in self._slots]

    def breaker(self, name: str) -> Breaker:
        """The circuit breaker of the backend named ``name``."""
        for s in self._slots:
            if s.name == name:
                return s.breaker
        raise KeyError(f"no target named {name!r}; targets are {[s.name for s in self._slots]}")

    def breaker_state(self, name: str) -> BreakerState:
        """Current breaker state of the backend named ``name``."""
        return self.breaker(name).state

    # -- public API -------------------------------------------------------------------

    def run(
        self, circuit: Any, *, shots: int = 1024, client_id: str | None = None
    ) -> ExecutionResult:
        """Run one logical job and return its counts with provenance.

        A ``client_id`` this executor has seen before (within
        ``idempotency.remember`` ids and ``idempotency.remember_for`` seconds) is
        not executed again: the call returns the first call's result, raises its
        error, or waits for the job still in flight. A first call that failed
        before anything was submitted is forgotten, so it can be tried again.

        Raises:
            JobFailedError: every target refused or failed; ``.reason`` says why.
            BudgetExceededError: the cost fitted on no target (``.provenance`` attached).
            ConversionError: no target's SDK can express the circuit.
        """
        if shots < 1:
            raise ValueError(f"shots: must be >= 1, got {shots}")
        return self._once(circuit, shots, client_id or _new_id())

    def run_many(
        self, circuits: Iterable[Any], *, shots: int = 1024, client_ids: Sequence[str] | None = None
    ) -> list[ExecutionResult | Exception]:
        """Run logical jobs ``concurrency`` at a time; failures are returned, not raised.

        Repeated client ids run once (see :meth:`run`)."""
        circuits = list(circuits)
        ids = list(client_ids) if client_ids is not None else [_new_id() for _ in circuits]
        futures = [
            self._executor().submit(self._capture, c, shots, i)
            for c, i in zip(circuits, ids, strict=False)
        ]
        return [f.result() for f in futures]

    async def arun(
        self, circuit: Any, *, shots: int = 1024, client_id: str | None = None
    ) -> ExecutionResult:
        """Asyncio form of :meth:`run` (the blocking SDK calls run on worker threads)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor(), lambda: self.run(circuit, shots=shots, client_id=client_id)
        )

    async def arun_many(
        self, circuits: Iterable[Any], *, shots: int = 1024, client_ids: Sequence[str] | None = None
    ) -> list[ExecutionResult | Exception]:
        """Asyncio form of :meth:`run_many`."""
        circuits = list(circuits)
        ids = list(client_ids) if client_ids is not None else [_new_id() for _ in circuits]
        loop = asyncio.get_running_loop()
        pool = self._executor()
        return list(
            await asyncio.gather(
                *(
                    loop.run_in_executor(pool, self._capture, c, shots, i)
                    for c, i in zip(circuits, ids, strict=False)
                )
            )
        )

    def close(self) -> None:
        """Stop the worker threads of ``run_many`` / ``arun``."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def __enter__(self) -> ResilientExecutor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- one logical job --------------------------------------------------------------

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    self.concurrency, thread_name_prefix="qobserve-exec"
                )
            return self._pool

    def _capture(self, circuit: Any, shots: int, client_id: str) -> ExecutionResult | Exception:
        try:
            return self._once(circuit, shots, client_id)
        except Exception as exc:  # returned to the caller, like gather(return_exceptions=True)
            return exc

    def _once(self, circuit: Any, shots: int, client_id: str) -> ExecutionResult:
        """Execute ``client_id`` unless it ran or runs already: then its outcome."""
        policy = self.idempotency
        if policy.remember == 0:
            return self._execute(circuit, shots, client_id)
        now = time.monotonic()
        with self._lock:
            entry = self._seen.get(client_id)
            if entry is not None and entry.done_at is not None:
                if now - entry.done_at > policy.remember_for:
                    entry = None
            elif entry is not None and entry.waiters is None:
                entry.waiters = Future()  # made only when a second caller joins
            if entry is None:
                mine = self._seen[client_id] = _Seen()
                self._seen.move_to_end(client_id)
                while len(self._seen) > policy.remember:
                    self._seen.popitem(last=False)
        if entry is not None:
            return entry.outcome()  # the first call's result or error, or wait for it
        try:
            result = self._execute(circuit, shots, client_id)
        except BaseException as exc:
            provenance = getattr(exc, "provenance", None)
            forget = provenance is None or not provenance.attempts  # nothing was sent
            self._settle(client_id, mine, exc, forget=forget)
            raise
        self._settle(client_id, mine, result)
        return result

    def _settle(self, client_id: str, entry: _Seen, outcome: Any, *, forget: bool = False) -> None:
        """Store a job's outcome for later calls with its client id (or forget the id,
        so it may be tried again) and hand it to the calls waiting for it."""
        with self._lock:
            entry.result, entry.done_at = outcome, time.monotonic()
            if forget and self._seen.get(client_id) is entry:
                del self._seen[client_id]
            waiters = entry.waiters
        if waiters is None:
            return
        if isinstance(outcome, BaseException):
            waiters.set_exception(outcome)
        else:
            waiters.set_result(outcome)

    def _execute(self, circuit: Any, shots: int, client_id: str) -> ExecutionResult:
        prov = Provenance(client_id, shots, started=time.time())
        deadline_at = time.monotonic() + self.deadline
        span = self._tel.start_job(client_id, shots, circuit)
        if not span.is_recording():  # no SDK configured: skip context switching entirely
            return self._along_targets(circuit, shots, prov, deadline_at, span)
        # attach/detach by hand: trace.use_span's generator costs more than the job's
        # other bookkeeping, and the status is set here anyway.
        token = context.attach(trace.set_span_in_context(span))
        try:
            return self._along_targets(circuit, shots, prov, deadline_at, span)
        except BaseException as exc:  # as trace.use_span records it
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
            raise
        finally:
            context.detach(token)
            span.end()

    def _along_targets(
        self, circuit: Any, shots: int, prov: Provenance, deadline_at: float | None, span
    ) -> ExecutionResult:
        """Try each target in order until one returns counts; raise with the reasons."""
        failure: BaseException | None = None
        reasons: list[str] = []
        previous: Slot | None = None
        left = ""  # why the job left ``previous``
        last = self._slots[0]  # the last quantum target considered
        for slot in self._slots:
            last = slot
            if deadline_at is not None and time.monotonic() >= deadline_at:
                reasons.append("deadline exceeded")
                break
            skip, prepared = self._admit(slot, circuit, deadline_at)
            if isinstance(skip, BaseException):
                failure = failure or skip
                skip = str(skip)
            if skip is not None:
                prov.skipped.append(Skip(slot.name, skip))
                span.add_event(_SKIPPED, {_BACKEND: slot.name, _REASON: skip})
                reasons.append(f"{slot.name}: {skip}")
                if previous is None:
                    previous, left = slot, skip
                continue
            if previous is not None:
                prov.fallbacks += 1
                if self._hooks.fallback:
                    moved = FallbackDetails(prov.client_id, previous.name, slot.name, left)
                    run_hooks(self._hooks.fallback, moved)
            try:
                counts = self._on_target(slot, prepared, shots, prov, deadline_at)
            except AttemptError as exc:
                left = exc.args[0]
                reasons.append(f"{slot.name}: {left}")
                if exc.unresolved:
                    break  # resubmitting elsewhere could run the job twice
            except Exception as exc:
                slot.breaker.release()  # no verdict on the backend: free a half-open probe
                if not _is_budget_error(exc):
                    raise
                failure, left = exc, "budget exceeded"
                prov.skipped.append(Skip(slot.name, left))
                reasons.append(f"{slot.name}: {left}")
            else:
                prov.backend, prov.provider, prov.ended = slot.name, slot.provider, time.time()
                if span.is_recording():  # where the answer came from, in one call
                    answer = prov.attempts[-1]
                    span.set_attributes(
                        {**slot.labels, _JOB_ID: answer.job_id or "", _COST: float(prov.cost_usd)}
                    )
                return ExecutionResult(counts, prov)
            previous = slot
        if self.classical is not None:
            return self._classical_answer(circuit, shots, prov, reasons, last, span)
        prov.ended = time.time()
        prov.reason = "; ".join(reasons) or "no target"
        span.set_status(Status(StatusCode.ERROR, prov.reason[:200]))
        if failure is not None and (not prov.attempts or _is_budget_error(failure)):
            failure.provenance = prov  # type: ignore[attr-defined]
            raise failure
        raise JobFailedError(prov.reason, prov)

    def _classical_answer(
        self, circuit: Any, shots: int, prov: Provenance, reasons: list[str], last: Slot, span
    ) -> ExecutionResult:
        """Every quantum target was skipped or failed: the classical model answers.

        No budget, breaker or gate applies and nothing is retried; an error from
        the model fails the job with the quantum reasons in front of its own."""
        target = self.classical
        assert target is not None
        why = "; ".join(reasons) or "no quantum target"
        prov.classical_reason = why
        prov.fallbacks += 1
        hooks = self._hooks
        if hooks.fallback:
            moved = FallbackDetails(prov.client_id, last.name, target.name, why, classical=True)
            run_hooks(hooks.fallback, moved)
        attempt = Attempt(
            target.name, CLASSICAL_PROVIDER, len(prov.attempts) + 1, started=time.time()
        )
        prov.attempts.append(attempt)
        try:
            answer = target.fn(circuit, shots)
        except Exception as exc:
            attempt.ended = prov.ended = time.time()
            attempt.outcome, attempt.error_kind, attempt.error_type = (
                "error",
                "permanent",
                type(exc).__name__,
            )
            if hooks.attempt:
                run_hooks(hooks.attempt, attempt_details(attempt, prov, exc))
            prov.reason = f"{why}; {target.name}: {type(exc).__name__}: {exc}"
            span.set_status(Status(StatusCode.ERROR, prov.reason[:200]))
            raise JobFailedError(prov.reason, prov) from exc
        attempt.ended = prov.ended = time.time()
        attempt.outcome = "completed"
        if hooks.attempt:
            run_hooks(hooks.attempt, attempt_details(attempt, prov, None, 0.0))
        prov.backend, prov.provider = target.name, CLASSICAL_PROVIDER
        span.set_attributes({_BACKEND: target.name, _PROVIDER: CLASSICAL_PROVIDER})
        return ExecutionResult(answer, prov)

    def _admit(
        self, slot: Slot, circuit: Any, deadline_at: float | None = None
    ) -> tuple[str | BaseException | None, Any]:
        """``(None, prepared circuit)`` when ``slot`` may get the job, else ``(why not, None)``."""
        if not slot.breaker.allow():
            return "breaker open", None
        connect = slot.connect
        if connect is not None:
            bound = self.connection.setup_timeout
            if deadline_at is not None:
                bound = min(bound, max(deadline_at - time.monotonic(), 0.001))
            try:
                connect(bound)
            except TargetUnreachableError as exc:
                slot.breaker.failure()  # an outage opens the breaker: later jobs skip at once
                return f"unreachable: {exc.why}", None
            except Exception as exc:  # credentials, unknown device: no job can run there
                from qobserve.errors import classify

                slot.breaker.release()
                return f"cannot connect: {classify(exc).error_type}", None
        prepared = None
        try:
            reason = self._gate(slot)
            if reason is None:
                prepared = self._prepare(slot, circuit)
        except ConversionError as exc:
            slot.breaker.release()
            return exc, None
        except Exception as exc:
            why = (
                f"no status within {self.connection.setup_timeout:g}s"
                if isinstance(exc, TimeoutError)
                else transport_failure(exc)
            )
            if why is None:
                raise
            slot.breaker.failure()  # its status API did not answer: as good as unreachable
            return f"unreachable: {why}", None
        if reason is not None:
            slot.breaker.release()
        return reason, prepared

    def _gate(self, slot: Slot) -> str | None:
        """The device gate's verdict; for a cloud target within ``setup_timeout``
        (its status and calibration come from the provider's API)."""
        if not (self.gate.active and slot.remote):
            return self.gate.check(slot.backend)
        return bounded(
            lambda: self.gate.check(slot.backend),
            self.connection.setup_timeout,
            f"status of {slot.name}",
        )

    def _prepare(self, slot: Slot, circuit: Any) -> Any:
        key = (id(slot), id(circuit))
        hit = self._prepared.get(key)
        if hit is not None and hit[0] is circuit:
            return hit[1]
        prepared = slot.backend.prepare(circuit)
        if prepared is circuit:
            return prepared  # nothing was converted or transpiled: nothing worth keeping
        if len(self._prepared) > 512:
            self._prepared.clear()
        self._prepared[key] = (circuit, prepared)
        return prepared

    def _cost(self, slot: Slot, shots: int) -> Decimal:
        """Estimated cost of one submission (cached: prices are fixed for a run)."""
        usd = slot.costs.get(shots)
        if usd is None:
            usd = slot.costs[shots] = self._estimate(slot, shots)
        return usd

    @staticmethod
    def _estimate(slot: Slot, shots: int) -> Decimal:
        if slot.price is not None:
            return slot.price.cost(shots)
        spec = getattr(slot.backend, "spec", None)
        if spec is None:
            return Decimal(0)
        try:
            from qobserve.cost import estimate
        except ImportError:
            return Decimal(0)
        return Decimal(estimate(spec, shots, 1).usd)

    def _on_target(
        self, slot: Slot, prepared: Any, shots: int, prov: Provenance, deadline_at: float | None
    ) -> dict[str, int]:
        """The job's attempts on one backend: the first directly, retries through tenacity."""
        estimate = self._cost(slot, shots)
        args = (slot, prepared, shots, prov, deadline_at, estimate)
        try:
            # The first attempt runs outside tenacity: most jobs succeed at once and
            # should not pay for the retry machinery (see benchmarks/executor_overhead.py).
            return self._attempt(*args)
        except AttemptError as first:
            failed = first
        stop = StopReason()
        hooks = self._hooks.retry

        def before_sleep(state) -> None:
            exc: AttemptError = state.outcome.exception()
            prov.retries += 1
            if hooks:
                details = RetryDetails(
                    client_id=prov.client_id,
                    backend=slot.name,
                    provider=slot.provider,
                    attempt=state.attempt_number,
                    error=exc.cause,
                    error_type=exc.info.error_type,
                    delay=state.upcoming_sleep,
                )
                run_hooks(hooks, details)

        controller = retrying(
            self.retry,
            self.retry_budget,
            deadline_at=deadline_at,
            stop_reason=stop,
            before_sleep=before_sleep,
            sleep=self._sleep,
            blocked=lambda: slot.breaker.state is BreakerState.OPEN,
        )
        try:
            return controller(_replay_first(failed, self._attempt), *args)
        except AttemptError as exc:
            if exc.unresolved:
                exc.args = ("timeout; cancellation unconfirmed, not resubmitted",)
            elif stop.reason:
                exc.args = (f"{exc.info.error_type} ({stop.reason})",)
            raise
