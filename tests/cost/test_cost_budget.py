"""Budgets: atomic reservations under concurrency, settle/release, periods, persistence, gauges."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from qobserve.cost import Budget, BudgetExceededError, BudgetStoreError, Hold, SqliteBudgetStore
from qobserve.errors import ErrorKind, classify


def _run_threads(budget: Budget, n: int, amount: str) -> list[int]:
    """n threads start together and reserve ``amount`` until refused; returns successes per thread."""
    barrier = threading.Barrier(n)
    counts = [0] * n
    errors: list[BaseException] = []

    def work(i: int) -> None:
        barrier.wait()
        try:
            while True:
                try:
                    r = budget.reserve(amount)
                except BudgetExceededError:
                    return
                counts[i] += 1
                r.settle(amount)
        except BaseException as exc:  # surfaced below, never swallowed
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    return counts


def test_fifty_threads_never_exceed_the_limit(store):
    """50 threads reserving $0.07 against $2 fill the budget exactly and never overshoot."""
    budget = Budget("race", "2", "day", store=store)
    counts = _run_threads(budget, 50, "0.07")
    # floor(2 / 0.07) = 28 reservations fit (28 × 0.07 = 1.96); a 29th would make 2.03 > 2.
    assert sum(counts) == 28
    assert budget.spent() == Decimal("1.96")
    assert budget.spent() <= budget.limit_usd


def test_refused_reservation_raises_before_spending(store):
    """Past the limit, reserve raises BudgetExceededError with its fields and records nothing."""
    budget = Budget("team-a", 10, "week", store=store)
    budget.reserve("9.50")
    with pytest.raises(BudgetExceededError) as info:
        budget.reserve("0.60")
    err = info.value
    assert (err.budget, err.limit_usd, err.spent_usd, err.requested_usd) == (
        "team-a",
        Decimal(10),
        Decimal("9.5"),
        Decimal("0.6"),
    )
    assert "team-a" in str(err) and "Raise the limit" in str(err)
    assert budget.spent() == Decimal("9.5")
    assert classify(err).kind is ErrorKind.PERMANENT


def test_settle_records_actual_and_release_returns_money(store):
    """Settling more or less than reserved records the actual; releasing frees the reservation."""
    budget = Budget("settle", 5, "month", store=store)
    under = budget.reserve(2)
    over = budget.reserve(1)
    dropped = budget.reserve("1.5")
    assert budget.spent() == Decimal("4.5")  # outstanding reservations count
    under.settle("1.25")
    over.settle("1.40")
    dropped.release()
    # 1.25 + 1.40 = 2.65 spent, 5 − 2.65 = 2.35 left
    assert budget.spent() == Decimal("2.65")
    assert budget.remaining() == Decimal("2.35")
    with pytest.raises(RuntimeError, match="already settled"):
        under.settle(1)


def test_context_manager_settles_or_releases(store):
    """Leaving the block normally settles the reserved amount; an exception releases it."""
    budget = Budget("ctx", 3, "day", store=store)
    with budget.reserve(1):
        pass
    with pytest.raises(KeyError), budget.reserve(1):
        raise KeyError("submission failed")
    with budget.reserve(1) as r:
        r.settle("0.5")
    assert budget.spent() == Decimal("1.5")


def test_soft_budget_allows_overspend_and_free_jobs_always_pass(store, caplog):
    """A soft budget lets a job through past the limit with a warning; a $0 job passes a hard one."""
    soft = Budget("shared-name", 1, "day", store=store, hard=False)
    soft.reserve(2).settle(2)
    assert "over its limit" in caplog.text
    hard = Budget("shared-name", 1, "day", store=store)  # same name: same spend
    assert hard.spent() == Decimal(2)
    hard.reserve(0).settle(0)
    with pytest.raises(BudgetExceededError):
        hard.reserve("0.01")


class _Clock:
    def __init__(self, iso: str) -> None:
        self.t = datetime.fromisoformat(iso).replace(tzinfo=UTC).timestamp()

    def set(self, iso: str) -> None:
        self.t = datetime.fromisoformat(iso).replace(tzinfo=UTC).timestamp()

    def __call__(self) -> float:
        return self.t


@pytest.mark.parametrize(
    ("period", "rolling", "spend_at", "later", "still_counted"),
    [
        ("day", False, "2026-11-25T23:59:00", "2026-11-26T00:00:01", False),
        ("day", False, "2026-11-25T00:00:00", "2026-11-25T23:59:59", True),
        ("day", True, "2026-11-25T23:59:00", "2026-11-26T23:58:00", True),
        ("day", True, "2026-11-25T23:59:00", "2026-11-27T00:00:00", False),
        # 2026-11-23 is a Monday: the calendar week runs Mon 23 – Sun 29
        ("week", False, "2026-11-23T00:00:00", "2026-11-29T23:59:59", True),
        ("week", False, "2026-11-29T23:59:59", "2026-11-30T00:00:00", False),
        ("month", False, "2026-01-31T23:00:00", "2026-02-01T00:00:01", False),
        ("month", True, "2026-01-31T23:00:00", "2026-02-01T00:00:01", True),
        ("month", True, "2026-01-01T00:00:00", "2026-01-31T00:00:01", False),
    ],
)
def test_periods_calendar_and_rolling(tmp_path, period, rolling, spend_at, later, still_counted):
    """Spend counts in its period (UTC calendar or rolling window) and not after it."""
    clock = _Clock(spend_at)
    budget = Budget(
        "p",
        10,
        period,
        rolling=rolling,
        store=SqliteBudgetStore(tmp_path / "s.sqlite"),
        clock=clock,
    )
    budget.reserve(4).settle(4)
    clock.set(later)
    assert budget.spent() == (Decimal(4) if still_counted else 0)


def test_spend_survives_a_restart(tmp_path):
    """A new Budget on the same SQLite file sees the spend and reservations of the old one."""
    path = tmp_path / "spend.sqlite"
    first = Budget("persist", 10, "month", store=SqliteBudgetStore(path))
    first.reserve(3).settle("2.5")
    first.reserve(4)  # still outstanding when the process "dies"
    del first
    second = Budget("persist", 10, "month", store=SqliteBudgetStore(path))
    assert second.spent() == Decimal("6.5")
    with pytest.raises(BudgetExceededError):
        second.reserve(4)


@pytest.mark.parametrize("content", [b"this is not a sqlite database at all" * 40, b""])
def test_corrupt_spend_file_is_an_error_not_a_reset(tmp_path, content):
    """A corrupt or truncated spend file raises BudgetStoreError and is left untouched."""
    path = tmp_path / "spend.sqlite"
    path.write_bytes(content)
    with pytest.raises(BudgetStoreError) as info:
        Budget("x", 10, "day", store=SqliteBudgetStore(path))
    assert str(path) in str(info.value) and "NOT reset" in str(info.value)
    assert path.read_bytes() == content


def test_corruption_after_open_is_an_error(tmp_path):
    """Damage to the file while a budget is in use fails the next operation loudly."""
    path = tmp_path / "spend.sqlite"
    budget = Budget("x", 10, "day", store=SqliteBudgetStore(path))
    budget.reserve(1).settle(1)
    path.write_bytes(b"\0garbage" * 1000)
    with pytest.raises(BudgetStoreError, match="NOT reset"):
        budget.spent()


def test_unreadable_spend_path_is_an_error(tmp_path):
    """A spend path that cannot be opened as a file (here a directory) names the path."""
    path = tmp_path / "dir.sqlite"
    path.mkdir()
    with pytest.raises(BudgetStoreError, match="cannot open"):
        SqliteBudgetStore(path)


def test_foreign_database_is_rejected(tmp_path):
    """A SQLite file whose spend table has other columns is not silently reused."""
    import sqlite3

    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE qobserve_spend (a, b)")
    conn.close()
    with pytest.raises(BudgetStoreError, match="columns"):
        SqliteBudgetStore(path)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "", "limit_usd": 1}, "name"),
        ({"name": "b", "limit_usd": -1}, "limit_usd"),
        ({"name": "b", "limit_usd": "lots"}, "limit_usd"),
        ({"name": "b", "limit_usd": 1, "period": "year"}, "period"),
    ],
)
def test_bad_budget_arguments_name_the_field(tmp_path, kwargs, field):
    """Invalid budget settings raise ValueError naming the field."""
    with pytest.raises(ValueError, match=f"^{field}:"):
        Budget(store=SqliteBudgetStore(tmp_path / "s.sqlite"), **kwargs)


def test_budget_gauges_are_exported(tmp_path, otel):
    """quantum_budget_limit_usd and quantum_budget_spent_usd carry the budget label."""
    budget = Budget(
        "gauged", 20, "month", store=SqliteBudgetStore(tmp_path / "s.sqlite"), **otel.providers
    )
    r = budget.reserve(5)
    assert otel.value("quantum.budget.limit_usd", budget="gauged") == 20
    assert otel.value("quantum.budget.spent_usd", budget="gauged") == 5
    r.settle("3.25")
    assert otel.value("quantum.budget.spent_usd", budget="gauged") == 3.25


def test_budget_gauge_shows_the_new_period_after_rollover(tmp_path, otel):
    """Spend is read at collection time: past midnight UTC the daily gauge shows the new day's spend."""
    now = [1_796_083_200.0 - 60]  # one minute before a UTC midnight
    budget = Budget(
        "daily",
        10,
        "day",
        store=SqliteBudgetStore(tmp_path / "s.sqlite"),
        clock=lambda: now[0],
        **otel.providers,
    )
    budget.reserve(9.5).settle(9.5)
    assert otel.value("quantum.budget.spent_usd", budget="daily") == 9.5  # the 95 % page fires
    now[0] += 120  # no job runs after midnight
    assert otel.value("quantum.budget.spent_usd", budget="daily") == 0  # ...and resolves
    assert otel.value("quantum.budget.limit_usd", budget="daily") == 10
    budget.reserve(1).settle("0.5")
    assert otel.value("quantum.budget.spent_usd", budget="daily") == 0.5


def test_budget_gauge_sees_spend_of_other_processes(tmp_path, otel):
    """Another Budget on the same store (another process) shows in this process's gauge."""
    path = tmp_path / "shared.sqlite"
    budget = Budget("shared", 10, "month", store=SqliteBudgetStore(path), **otel.providers)
    elsewhere = SqliteBudgetStore(path)  # another process's handle on the same file
    elsewhere.reserve(Hold("shared", "r1", 2_000_000_000, time.time(), 0, None))
    assert otel.value("quantum.budget.spent_usd", budget="shared") == 2
    assert budget.spent() == 2
