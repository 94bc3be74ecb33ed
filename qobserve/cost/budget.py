"""Named spending budgets: reserve the estimate before submitting, settle after.

A :class:`Budget` has a limit per period (day, week or month; calendar periods
start at 00:00 UTC, on Mondays for weeks and on the 1st for months; rolling
periods are the last 24 h, 7 days or 30 days). Submitting a job reserves its
estimated cost in the store in one atomic step that refuses to go past the
limit, so concurrent submitters (threads, processes, machines sharing a Redis
store) cannot overshoot; finishing it settles the actual cost, which may be
more or less than reserved. The spend lives in the store, so a restart keeps it.

Exports ``quantum_budget_limit_usd`` and ``quantum_budget_spent_usd``
(label ``budget``) as observable gauges, read from the store at each
collection: the spend is always that of the period the scrape falls in (a new
period shows its own spend, so an alert on the old one resolves), and spend by
other processes sharing the store shows too.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Protocol

from qobserve.cost.estimate import NANO
from qobserve.errors import ErrorInfo, ErrorKind, register_classifier

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider

__all__ = ["Budget", "BudgetExceededError", "BudgetStore", "Hold", "Reservation"]

log = logging.getLogger("qobserve.cost")

Period = Literal["day", "week", "month"]
_ROLLING = {"day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=30)}


@dataclass(frozen=True)
class Hold:
    """One reservation asked of a :class:`BudgetStore`."""

    budget: str
    rid: str
    nanos: int
    now: float
    since: float  # start of the budget's current period
    limit_nanos: int | None  # None: never refuse (a soft budget, or a free job)


class BudgetStore(Protocol):
    """Where spend is persisted; amounts are integer nano-dollars, times Unix seconds."""

    def reserve(self, hold: Hold) -> tuple[bool, int]:
        """Record ``hold`` in one atomic step unless spend since ``hold.since`` plus
        ``hold.nanos`` would pass ``hold.limit_nanos``; returns (accepted, spent),
        spent after the call when accepted and before it when refused."""
        ...

    def settle(self, budget: str, rid: str, nanos: int, *, now: float) -> None: ...

    def release(self, budget: str, rid: str) -> None: ...

    def spent(self, budget: str, *, since: float) -> int: ...


class BudgetExceededError(RuntimeError):
    """A submission would take a hard budget past its limit; nothing was spent."""

    def __init__(
        self,
        budget: str,
        limit_usd: Decimal,
        spent_usd: Decimal,
        requested_usd: Decimal,
        period: str = "",
    ) -> None:
        self.budget, self.period = budget, period
        self.limit_usd, self.spent_usd, self.requested_usd = limit_usd, spent_usd, requested_usd
        super().__init__(
            f"budget {budget!r} exceeded: this job needs ${_fmt(requested_usd)} but "
            f"${_fmt(spent_usd)} of the ${_fmt(limit_usd)} {period} limit is already spent or "
            f"reserved. Nothing was submitted. Raise the limit (Budget({budget!r}, "
            f"limit_usd=...)), wait for the next period, or run on a cheaper backend."
        )

    def __reduce__(self) -> tuple[Any, ...]:  # picklable across processes
        return (
            type(self),
            (self.budget, self.limit_usd, self.spent_usd, self.requested_usd, self.period),
        )


@register_classifier
def _classify(exc: BaseException) -> ErrorInfo | None:
    # Retrying cannot help until the limit or the period changes.
    if isinstance(exc, BudgetExceededError):
        return ErrorInfo(ErrorKind.PERMANENT, "BudgetExceededError")
    return None


def _fmt(x: Decimal) -> str:
    return f"{x.normalize():f}"


def _usd(value: Decimal | float | str, field: str) -> Decimal:
    try:
        d = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        raise ValueError(f"{field}: {value!r} is not an amount in USD") from None
    if not d.is_finite() or d < 0:
        raise ValueError(f"{field}: must be a non-negative amount in USD, got {value!r}")
    return d


def _nanos(usd: Decimal) -> int:
    # Rounded up: a budget never under-counts.
    return int((usd / NANO).to_integral_value(rounding=ROUND_CEILING))


def _from_nanos(n: int) -> Decimal:
    return (Decimal(n) * NANO).normalize()


class Reservation:
    """Money set aside for one job: settle it with the actual cost, or release it.

    As a context manager, leaving the block with an exception releases the
    reservation (the job is assumed not to have run: call :meth:`settle`
    inside the block once money was spent), and leaving it normally without a
    settle settles the reserved amount.
    """

    def __init__(self, budget: Budget, rid: str, amount: Decimal) -> None:
        self.budget = budget
        self.id = rid
        self.amount = amount
        self.actual: Decimal | None = None
        self.state = "reserved"
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Reservation({self.budget.name!r}, ${_fmt(self.amount)}, {self.state})"

    def _close(self, state: str) -> None:
        with self._lock:
            if self.state != "reserved":
                raise RuntimeError(
                    f"reservation {self.id} of budget {self.budget.name!r} is already {self.state}"
                )
            self.state = state

    def settle(self, actual: Decimal | float | str) -> None:
        """Record the actual cost (it may differ from the reserved amount)."""
        usd = _usd(actual, "actual")
        self._close("settled")
        self.actual = usd
        self.budget._settle(self, usd)

    def release(self) -> None:
        """Give the reservation back: the job never ran."""
        self._close("released")
        self.budget._release(self)

    def __enter__(self) -> Reservation:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> Literal[False]:
        if self.state == "reserved":
            if exc_type is None:
                self.settle(self.amount)
            else:
                self.release()
        return False


class Budget:
    """A named spending limit per period, persisted in a store.

    Args:
        name: the ``budget`` label; budgets with the same name share spend.
        limit_usd: limit per period in USD.
        period: ``day``, ``week`` or ``month``.
        rolling: the last 24 h / 7 d / 30 d instead of the calendar period (UTC).
        store: where spend lives (default: the SQLite file of
            :func:`~qobserve.cost.store_sqlite.default_path`).
        hard: refuse submissions past the limit (False: allow and log a warning).
        tracer_provider, meter_provider: OpenTelemetry providers for the gauges.
        clock: returns Unix time (tests use it to move across periods).

    Raises:
        ValueError: naming the bad field.
    """

    def __init__(
        self,
        name: str,
        limit_usd: Decimal | float | str,
        period: Period = "month",
        rolling: bool = False,
        store: BudgetStore | None = None,
        hard: bool = True,
        *,
        tracer_provider: TracerProvider | None = None,
        meter_provider: MeterProvider | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"name: a budget needs a non-empty name, got {name!r}")
        if period not in _ROLLING:
            raise ValueError(f"period: expected one of {sorted(_ROLLING)}, got {period!r}")
        self.name = name
        self.limit_usd = _usd(limit_usd, "limit_usd")
        self.period = period
        self.rolling = bool(rolling)
        self.hard = bool(hard)
        self.clock = clock
        if store is None:
            from qobserve.cost.store_sqlite import SqliteBudgetStore

            store = SqliteBudgetStore()
        self.store = store
        from qobserve.instrumentation._job import job_telemetry

        self._telemetry = job_telemetry(tracer_provider, meter_provider)
        self._telemetry.watch_budget(self)

    def __repr__(self) -> str:
        kind = "rolling " if self.rolling else ""
        return f"Budget({self.name!r}, ${_fmt(self.limit_usd)} per {kind}{self.period}, {self.store!r})"

    def period_start(self, now: float | None = None) -> datetime:
        """Start (UTC) of the period that contains ``now``."""
        t = datetime.fromtimestamp(self.clock() if now is None else now, UTC)
        if self.rolling:
            return t - _ROLLING[self.period]
        day = t.replace(hour=0, minute=0, second=0, microsecond=0)
        if self.period == "week":
            return day - timedelta(days=day.weekday())
        if self.period == "month":
            return day.replace(day=1)
        return day

    def _since(self, now: float) -> float:
        return self.period_start(now).timestamp()

    def reserve(self, amount: Decimal | float | str) -> Reservation:
        """Set aside ``amount`` USD for a job about to be submitted.

        Raises:
            BudgetExceededError: a hard budget has less than ``amount`` left;
                nothing was recorded.
            BudgetStoreError: the store cannot be read or written.
        """
        usd = _usd(amount, "amount")
        now = self.clock()
        rid = uuid.uuid4().hex
        # A free job is never refused, even when earlier jobs overshot.
        limit = _nanos(self.limit_usd) if self.hard and usd > 0 else None
        ok, spent = self.store.reserve(
            Hold(self.name, rid, _nanos(usd), now, self._since(now), limit)
        )
        if not ok:
            raise BudgetExceededError(
                self.name,
                self.limit_usd,
                _from_nanos(spent),
                usd,
                self.period if not self.rolling else f"rolling {self.period}",
            )
        if _from_nanos(spent) > self.limit_usd:
            log.warning(
                "budget %r is over its limit: $%s of $%s",
                self.name,
                _fmt(_from_nanos(spent)),
                _fmt(self.limit_usd),
            )
        return Reservation(self, rid, usd)

    def _settle(self, r: Reservation, usd: Decimal) -> None:
        self.store.settle(self.name, r.id, _nanos(usd), now=self.clock())

    def _release(self, r: Reservation) -> None:
        self.store.release(self.name, r.id)

    def spent(self) -> Decimal:
        """Settled plus outstanding reservations in the current period, in USD."""
        now = self.clock()
        return _from_nanos(self.store.spent(self.name, since=self._since(now)))

    def remaining(self) -> Decimal:
        """What is left of the limit this period (0 when overspent)."""
        return max(self.limit_usd - self.spent(), Decimal(0))

    def publish(self) -> Decimal:
        """The current spend (kept for compatibility: the gauges are now read from
        the store at every collection, so nothing needs publishing)."""
        return self.spent()
