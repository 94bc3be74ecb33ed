"""Four processes using a new budget store at once: no errors, exact spend."""

from __future__ import annotations

import multiprocessing as mp
from decimal import Decimal

import pytest

from qobserve.cost import Budget, RedisBudgetStore, SqliteBudgetStore

PROCESSES, ROUNDS, AMOUNT = 4, 5, Decimal("0.125")


def _race(kind: str, target: str, barrier, results) -> None:
    """One worker: in each round, open a brand-new store together with the others and spend once."""
    try:
        for n in range(ROUNDS):
            barrier.wait(30)  # every process opens the same new store at the same moment
            if kind == "sqlite":
                store = SqliteBudgetStore(f"{target}/round-{n}.sqlite")
            else:
                store = RedisBudgetStore(target, prefix=f"race-{n}")
            Budget("team", 100, "month", store=store).reserve(AMOUNT).settle(AMOUNT)
        results.put("ok")
    except Exception as exc:  # reported to the test, which fails on it
        results.put(f"{type(exc).__name__}: {exc}")


def _run_race(kind: str, target: str) -> list[str]:
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
    procs = [
        ctx.Process(target=_race, args=(kind, target, barrier, results)) for _ in range(PROCESSES)
    ]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
    return outcomes


def test_four_processes_create_one_sqlite_store(tmp_path):
    """20 concurrent first opens of 5 new SQLite files: zero errors, spend exactly 4 × amount each."""
    assert _run_race("sqlite", str(tmp_path)) == ["ok"] * PROCESSES
    for n in range(ROUNDS):
        store = SqliteBudgetStore(tmp_path / f"round-{n}.sqlite")
        assert Budget("team", 100, "month", store=store).spent() == PROCESSES * AMOUNT
    assert not [p for p in tmp_path.iterdir() if p.name.endswith((".new", ".new-wal"))]


@pytest.mark.integration
def test_four_processes_share_a_new_redis_budget(redis_url):
    """The same race against a real redis-server: zero errors, exact spend."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    assert _run_race("redis", redis_url) == ["ok"] * PROCESSES
    for n in range(ROUNDS):
        store = RedisBudgetStore(redis_url, prefix=f"race-{n}")
        assert Budget("team", 100, "month", store=store).spent() == PROCESSES * AMOUNT
