"""The connection cap of both servers: slots are released exactly once, even under a signal."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from qobserve._bounded_server import BoundedThreadingMixIn


class _Server(BoundedThreadingMixIn, HTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Ok)
        self.limit_connections(2)


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def _free_slots(server: _Server) -> int:
    n = 0
    while server._slots.acquire(blocking=False):
        n += 1
    for _ in range(n):
        server._slots.release()
    return n


def test_interrupt_inside_thread_start_keeps_the_interrupt_and_one_release(monkeypatch):
    """SIGTERM (KeyboardInterrupt) landing in Thread.start() after the worker began is
    re-raised as itself, and the slot comes back once (was: ValueError, lost shutdown)."""
    server = _Server()
    started = threading.Event()
    real_start = threading.Thread.start

    def start_then_interrupt(thread: threading.Thread) -> None:
        real_start(thread)
        thread.join(5)  # the worker has served and released by now
        started.set()
        raise KeyboardInterrupt

    a, b = socket.socketpair()
    try:
        monkeypatch.setattr(threading.Thread, "start", start_then_interrupt)
        b.sendall(b"GET / HTTP/1.0\r\n\r\n")
        with pytest.raises(KeyboardInterrupt):
            server.process_request(a, ("127.0.0.1", 0))
        monkeypatch.undo()
        assert started.is_set() and _free_slots(server) == 2
    finally:
        b.close()
        server.server_close()


def test_interrupt_before_the_worker_runs_releases_the_slot(monkeypatch):
    """A thread that never started leaves no slot taken."""
    server = _Server()

    def fail(thread: threading.Thread) -> None:
        raise KeyboardInterrupt

    a, b = socket.socketpair()
    try:
        monkeypatch.setattr(threading.Thread, "start", fail)
        with pytest.raises(KeyboardInterrupt):
            server.process_request(a, ("127.0.0.1", 0))
        monkeypatch.undo()
        assert _free_slots(server) == 2
    finally:
        a.close()
        b.close()
        server.server_close()
