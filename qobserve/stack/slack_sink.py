"""A local Slack Web API stand-in: ``chat.postMessage`` that prints and records.

The alert bridge posts through slack-sdk with its ``base_url`` pointed here,
so the demo exercises the real delivery path (token auth, JSON body, ``ts``
for threading) without a Slack workspace. Each accepted message is recorded
and handed to ``on_message`` (the demo prints it to the terminal).
"""

from __future__ import annotations

import hmac
import json
import re
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["SlackMessage", "SlackSink"]

# The bridge's notification fallback text: "[FIRING] AlertName: summary".
_ALERT_TEXT = re.compile(r"^\[(?P<status>[A-Z]+)\] (?P<name>[A-Za-z0-9_]+):")


@dataclass(frozen=True)
class SlackMessage:
    """One accepted ``chat.postMessage`` call."""

    channel: str
    text: str
    blocks: list[dict[str, Any]]
    ts: str
    thread_ts: str | None
    received: float = field(default_factory=time.time)

    @property
    def alert_status(self) -> str | None:
        """``firing`` / ``resolved`` for an alert-bridge message, else None."""
        m = _ALERT_TEXT.match(self.text)
        return m.group("status").lower() if m else None

    @property
    def alertname(self) -> str | None:
        m = _ALERT_TEXT.match(self.text)
        return m.group("name") if m else None

    def button_urls(self) -> dict[str, str]:
        """``action_id -> url`` of every button (runbook, dashboard, silence)."""
        return {e.get("action_id", ""): e["url"]
                for b in self.blocks if b.get("type") == "actions"
                for e in b.get("elements", ()) if "url" in e}


class SlackSink:
    """``POST /api/chat.postMessage`` on 127.0.0.1, checking the bot token.

    Args:
        token: the bot token the bridge must present (``Authorization: Bearer``).
        on_message: called with each accepted message, from the server thread.
        port: 0 picks a free port.
    """

    def __init__(self, token: str, *, on_message: Callable[[SlackMessage], None] | None = None,
                 port: int = 0) -> None:
        self._token = token
        self._on_message = on_message
        self._lock = threading.Lock()
        self._messages: list[SlackMessage] = []
        self._count = 0
        self.rejected = 0
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def api_url(self) -> str:
        """The ``base_url`` to give slack-sdk (ends with ``/api/``)."""
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/api/"

    def start(self) -> SlackSink:
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.1,),
                                        name="slack-sink", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(5)
            self._thread = None
        self.httpd.server_close()

    def messages(self) -> list[SlackMessage]:
        """Every accepted message, oldest first."""
        with self._lock:
            return list(self._messages)

    def authorized(self, header: str | None) -> bool:
        scheme, _, token = (header or "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(),
                                                                  self._token.encode())

    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Record a ``chat.postMessage`` body and return Slack's reply."""
        if not body.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        blocks = body.get("blocks") or []
        if isinstance(blocks, str):  # form-encoded calls send blocks as a JSON string
            blocks = json.loads(blocks)
        with self._lock:
            self._count += 1
            ts = f"{int(time.time())}.{self._count:06d}"
            msg = SlackMessage(body["channel"], body.get("text", ""), blocks, ts,
                               body.get("thread_ts"))
            self._messages.append(msg)
        if self._on_message is not None:
            try:
                self._on_message(msg)
            except Exception:  # a broken printer must not fail delivery
                pass
        return {"ok": True, "channel": msg.channel, "ts": ts,
                "message": {"text": msg.text, "ts": ts}}


def _read_body(handler: BaseHTTPRequestHandler) -> dict[str, Any]:
    raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0)).decode()
    if handler.headers.get("Content-Type", "").startswith("application/json"):
        return json.loads(raw or "{}")
    return {k: v[-1] for k, v in urllib.parse.parse_qs(raw).items()}


def _handler(sink: SlackSink) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _reply(self, body: dict[str, Any], status: int = 200) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802 (http.server naming)
            if self.path.rstrip("/") != "/api/chat.postMessage":
                self._reply({"ok": False, "error": "unknown_method"}, 404)
                return
            try:
                body = _read_body(self)
            except (ValueError, json.JSONDecodeError):
                self._reply({"ok": False, "error": "invalid_json"})
                return
            # Slack answers auth failures with HTTP 200 and ok=false.
            if not sink.authorized(self.headers.get("Authorization")):
                sink.rejected += 1
                self._reply({"ok": False, "error": "invalid_auth"})
                return
            self._reply(sink.post(body))

    return Handler
