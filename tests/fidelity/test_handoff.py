"""The bounded hand-off between the job's thread and the output-fidelity worker."""

from __future__ import annotations

import threading
import time

from qobserve.fidelity._handoff import Handoff


def test_items_are_consumed_in_order_while_active_and_after_going_idle():
    """Items put while the consumer polls, and after it has gone idle and blocked,
    are all consumed, oldest first."""
    seen: list[int] = []
    handoff = Handoff(seen.append, 8, name="test-handoff", poll=0.01, idle_after=0.05)
    for i in range(3):
        assert handoff.put(i)
    assert handoff.flush(10)
    for _ in range(1000):  # the consumer blocks once idle_after has passed without work
        if handoff._idle:
            break
        time.sleep(0.01)
    assert handoff._idle
    assert handoff.put(3)  # wakes the blocked consumer
    assert handoff.flush(10)
    assert seen == [0, 1, 2, 3]


def test_put_refuses_beyond_maxsize_and_never_blocks():
    """With the consumer held on the first item, two more wait and the rest are refused."""
    started, release = threading.Event(), threading.Event()
    seen: list[int] = []

    def consume(item: int) -> None:
        started.set()
        release.wait(10)
        seen.append(item)

    handoff = Handoff(consume, 2, name="test-handoff")
    assert handoff.put(0)
    assert started.wait(10)
    assert [handoff.put(i) for i in range(1, 5)] == [True, True, False, False]
    assert not handoff.flush(0.05)  # the held item is still in flight
    release.set()
    assert handoff.flush(10)
    assert seen == [0, 1, 2]
