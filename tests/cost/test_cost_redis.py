"""The Redis store shared by processes: no overshoot across processes, spend outlives clients."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from decimal import Decimal

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from qobserve.cost import Budget, BudgetExceededError, BudgetStoreError, RedisBudgetStore

pytestmark = pytest.mark.integration

# Each process runs THREADS threads that reserve $0.03 until refused, then prints its count.
_WORKER = textwrap.dedent("""\
    import sys, threading
    from qobserve.cost import Budget, BudgetExceededError, RedisBudgetStore
    url, threads = sys.argv[1], int(sys.argv[2])
    budget = Budget("team", "5", "day", store=RedisBudgetStore(url))
    barrier, counts = threading.Barrier(threads), [0] * threads
    def work(i):
        barrier.wait()
        while True:
            try:
                r = budget.reserve("0.03")
            except BudgetExceededError:
                return
            counts[i] += 1
            r.settle("0.03")
    ts = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    print(sum(counts))
""")


def test_four_processes_never_exceed_a_shared_budget(redis_url, redis_store):
    """4 processes × 8 threads on one Redis budget of $5 take exactly what fits, never more."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, redis_url, "8"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-2000:] for o in outs]
    total = sum(int(o[0].strip()) for o in outs)
    # floor(5 / 0.03) = 166 reservations fit: 166 × 0.03 = 4.98 ≤ 5 < 4.98 + 0.03.
    assert total == 166
    budget = Budget("team", "5", "day", store=redis_store)
    assert budget.spent() == Decimal("4.98")


def test_spend_outlives_the_client(redis_url, redis_store):
    """A new client and Budget object see the spend recorded by an earlier one."""
    Budget("ops", 10, "month", store=redis_store).reserve(6).settle("5.5")
    fresh = Budget("ops", 10, "month", store=RedisBudgetStore(redis_url))
    assert fresh.spent() == Decimal("5.5")
    with pytest.raises(BudgetExceededError):
        fresh.reserve(5)


def test_settled_spend_cannot_be_released(redis_store):
    """release() after settle() is refused locally, and the store keeps settled spend regardless."""
    budget = Budget("keep", 10, "day", store=redis_store)
    r = budget.reserve(2)
    r.settle(2)
    redis_store.release("keep", r.id)  # a stray release from another client
    assert budget.spent() == Decimal(2)


def test_unreachable_redis_is_a_clear_error():
    """A Redis that is not there raises BudgetStoreError without the URL's password."""
    store = RedisBudgetStore(
        redis.Redis(
            host="127.0.0.1",
            port=1,
            password="s3cret",
            socket_connect_timeout=0.5,
            retry=Retry(NoBackoff(), 0),
        )
    )
    with pytest.raises(BudgetStoreError) as info:
        Budget("down", 1, "day", store=store).reserve(1)
    assert "s3cret" not in str(info.value) and "unchanged" in str(info.value)
