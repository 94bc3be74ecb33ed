"""A bounded hand-off from the user's thread to one background thread, cheap for the producer.

``queue.Queue.put`` wakes a consumer blocked in ``get``: a futex call and a
thread that then competes for the GIL while the user's call is still running,
which measured about 13 µs of the producer's own CPU time per item. Here
:meth:`Handoff.put` is a length check and a ``deque.append`` while the
consumer is active: the consumer polls every ``poll`` seconds, and only after
``idle_after`` seconds without work does it block, so that the next ``put``
(one in a long while) wakes it. Items wait at most ``poll`` seconds.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["Handoff"]

T = TypeVar("T")

#: Hand-offs alive in this process: a forked child has none of their threads.
_alive: weakref.WeakSet[Handoff] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for handoff in list(_alive):
        handoff._thread = None
        handoff._idle = True


os.register_at_fork(after_in_child=_after_fork_in_child)


class Handoff(Generic[T]):
    """At most ``maxsize`` items waiting for ``consume``, run in one daemon thread.

    Args:
        consume: called in the background thread with each item, oldest first;
            it must not raise (wrap it).
        maxsize: items waiting at most; :meth:`put` refuses more.
        name: the thread's name.
        poll: seconds between the active consumer's looks at the queue.
        idle_after: seconds without work after which the consumer blocks.
    """

    def __init__(
        self,
        consume: Callable[[T], None],
        maxsize: int,
        *,
        name: str,
        poll: float = 0.05,
        idle_after: float = 2.0,
    ) -> None:
        self._consume = consume
        self._maxsize = maxsize
        self._name = name
        self._poll = poll
        self._idle_after = idle_after
        self._pending: deque[T] = deque()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._idle = True  # no consumer polling: the next put must start or wake it
        self._busy = False
        _alive.add(self)

    def __len__(self) -> int:
        return len(self._pending)

    def put(self, item: T) -> bool:
        """Queue ``item`` without blocking; False when ``maxsize`` items are waiting."""
        pending = self._pending
        if len(pending) >= self._maxsize:
            return False
        pending.append(item)
        if self._idle:
            self._rouse()
        return True

    def _rouse(self) -> None:
        with self._lock:
            if not self._idle:
                return
            self._idle = False
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            else:
                self._wake.set()

    def flush(self, timeout: float) -> bool:
        """Wait until every queued item is consumed; False on timeout."""
        deadline = time.monotonic() + timeout
        while self._pending or self._busy:
            if time.monotonic() >= deadline:
                return False
            self._wake.set()
            time.sleep(0.001)
        return True

    def _run(self) -> None:
        pending, wake = self._pending, self._wake
        last_work = time.monotonic()
        while True:
            while pending:
                self._busy = True  # before popping: flush() must see the item in flight
                try:
                    self._consume(pending.popleft())
                finally:
                    self._busy = False
                last_work = time.monotonic()
            if time.monotonic() - last_work < self._idle_after:
                wake.wait(self._poll)
            else:
                self._idle = True
                if pending:  # a put between the drain and the flag: it did not wake us
                    self._idle = False
                    continue
                wake.wait()
            wake.clear()
