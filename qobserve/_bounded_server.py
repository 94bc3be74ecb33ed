"""A thread per connection, but never more than a fixed number of them.

Both of qobserve's servers (the exporter and the alert bridge) face clients that
connect and then send nothing. Queueing such connections behind a pool would let
a few idle clients block every scrape or webhook; an unbounded thread per
connection lets many exhaust the process. So a connection over the cap is
refused at once (after :meth:`BoundedThreadingMixIn.refuse`, which may answer
it), and every other one runs on its own daemon thread under a read timeout set
by the server.
"""

from __future__ import annotations

import threading
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any

__all__ = ["BoundedThreadingMixIn"]


class BoundedThreadingMixIn(ThreadingMixIn):
    """Mix in before a ``socketserver`` server class; call :meth:`limit_connections` in ``__init__``."""

    daemon_threads = True
    block_on_close = False

    if TYPE_CHECKING:  # provided by the socketserver.BaseServer this is mixed into

        def shutdown_request(self, request: Any) -> None: ...

    def limit_connections(self, max_connections: int) -> None:
        self._slots = threading.BoundedSemaphore(max_connections)

    def refuse(self, request: Any) -> None:
        """Called for a connection over the cap, just before it is closed."""

    def serve_connection(self, request: Any, client_address: Any) -> None:
        """Serve one accepted connection on its worker thread (override to wrap it, e.g. TLS)."""
        ThreadingMixIn.process_request_thread(self, request, client_address)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self.refuse(request)
            self.shutdown_request(request)
            return
        # Whoever pops the token releases the slot: the worker once it runs, else this
        # thread. A signal (SIGTERM raises KeyboardInterrupt) can land inside start()
        # after the worker began: releasing here too would turn the interrupt into
        # "Semaphore released too many times" and the server would not stop.
        token = [True]
        worker = threading.Thread(
            target=self._serve_slot, args=(token, request, client_address), daemon=True
        )
        try:
            worker.start()
        except BaseException:
            if _take(token):
                self._slots.release()
            raise

    def _serve_slot(self, token: list[bool], request: Any, client_address: Any) -> None:
        owns = _take(token)
        try:
            self.serve_connection(request, client_address)
        finally:
            if owns:
                self._slots.release()


def _take(token: list[bool]) -> bool:
    """Pop the slot's token (atomic under the GIL): True for the one caller that got it."""
    try:
        token.pop()
    except IndexError:
        return False
    return True
