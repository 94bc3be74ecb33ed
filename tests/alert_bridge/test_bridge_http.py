"""The webhook receiver against hostile or broken clients."""

from __future__ import annotations

import json
import socket
import time

import pytest

from tests.alert_bridge.helpers import BEARER, get, numbered, post


def _raw(url: str, head: bytes, body: bytes = b"", *, wait: float = 5.0) -> bytes:
    """Send raw bytes to the bridge; return what it answers before closing (or ``wait``)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=wait) as s:
        try:
            s.sendall(head + body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the bridge answered and closed before the whole body was sent
        chunks = []
        try:
            while chunk := s.recv(65536):
                chunks.append(chunk)
        except (TimeoutError, ConnectionResetError):
            pass
    return b"".join(chunks)


def _head(length: str | None, extra: str = "") -> bytes:
    lines = [
        "POST /alerts HTTP/1.1",
        "Host: bridge",
        f"Authorization: Bearer {BEARER}",
        "Content-Type: application/json",
    ]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode()


VALID = json.dumps(numbered(1)).encode()


@pytest.mark.parametrize(
    ("length", "extra", "body", "code"),
    [
        ("-1", "", VALID + b" " * 50_000_000, b" 400 "),
        ("abc", "", VALID, b" 400 "),
        (str(len(VALID) + 50_000_000), "", VALID, b" 413 "),
        (None, "", VALID, b" 411 "),
        (None, "Transfer-Encoding: chunked\r\n", b"5\r\nhello\r\n0\r\n\r\n", b" 411 "),
        (f"{len(VALID)}\r\nContent-Length: 7", "", VALID, b" 400 "),
    ],
    ids=["negative", "not-a-number", "50MB", "missing", "chunked", "conflicting"],
)
def test_bad_content_length_never_gets_2xx(
    bridge_factory, slack, caplog, length, extra, body, code
):
    """Negative, invalid, conflicting, missing or oversized lengths get a 4xx and queue nothing."""
    bridge = bridge_factory()
    answer = _raw(bridge.url, _head(length, extra), body)
    assert code in answer.split(b"\r\n")[0] + b" ", answer[:200]
    assert bridge.spool.pending_count() == 0
    assert not any(r.exc_info for r in caplog.records)


def test_slow_body_is_cut_off_at_the_read_timeout(bridge_factory, slack):
    """A client that announces a body and never sends it is answered 408 (or dropped) in time."""
    bridge = bridge_factory(http={"read_timeout": "1s"})
    start = time.monotonic()
    answer = _raw(bridge.url, _head(str(len(VALID))), VALID[:10], wait=10)
    assert time.monotonic() - start < 5
    assert not answer.startswith(b"HTTP/1.0 200") and b" 200 " not in answer[:20]
    assert bridge.spool.pending_count() == 0


def test_200_idle_connections_do_not_delay_healthz_or_a_post(bridge_factory, slack):
    """With 200 idle connections open, /healthz and a valid POST answer at once."""
    bridge = bridge_factory(auth=True)
    host, port = bridge.url.removeprefix("http://").split(":")
    idle = []
    try:
        for i in range(200):
            s = socket.create_connection((host, int(port)), timeout=5)
            if i % 2:
                s.sendall(b"POST /alerts HTTP/1.1\r\nContent-Le")  # half a request
            idle.append(s)
        start = time.monotonic()
        assert get(bridge.url, "/healthz")[0] == 200
        assert post(bridge.url, numbered(1))[0] == 200
        assert time.monotonic() - start < 3  # generous: both answer in milliseconds
        slack.wait_for(1)
    finally:
        for s in idle:
            s.close()


def test_connection_cap_answers_503_then_recovers(bridge_factory, slack):
    """Over http.max_connections new connections get 503; idle ones time out and free slots."""
    bridge = bridge_factory(http={"max_connections": 5, "read_timeout": "1s"})
    host, port = bridge.url.removeprefix("http://").split(":")
    idle = [socket.create_connection((host, int(port)), timeout=5) for _ in range(5)]
    try:
        time.sleep(0.2)
        assert get(bridge.url, "/healthz")[0] == 503
        time.sleep(1.5)  # the idle connections hit the read timeout and are closed
        assert get(bridge.url, "/healthz")[0] == 200
    finally:
        for s in idle:
            s.close()
