"""A local Slack Web API server for tests, benchmarks and the demo stack.

It speaks the parts of Slack's Web API the alert bridge uses, with Slack's
answers (HTTP 200 with ``ok: false`` for API errors, 429 with ``Retry-After``):

``chat.postMessage`` (with ``metadata``), ``chat.update``,
``conversations.history`` (``include_all_metadata``, ``oldest``, cursor paging),
``conversations.replies``, ``conversations.list`` (cursor paging), ``auth.test``,
``api.test``, and an incoming webhook under ``/services/…``.

Fault modes, each switchable while the server runs:

* ``refuse_channel(name, error)``: every post to that channel is refused for good;
* ``refuse_messages(predicate, error)``: posts whose body matches are refused for good;
* ``slow(seconds)``: ``chat.postMessage`` stores the message, then answers late
  (the client has usually timed out: the outcome is unknown to it);
* ``outage(True)``: every call answers HTTP 503; ``stop()``/``start()`` refuse
  connections instead (same port);
* ``enforce_limits``: blocks over Block Kit's limits are refused with
  ``invalid_blocks`` (as Slack does); text over 40,000 characters is truncated
  with a ``message_truncated`` warning (as Slack does since 2018);
* ``rate_limit(n, retry_after)``: the next ``n`` posts answer 429;
* ``missing_scopes``: ``conversations.list`` answers ``missing_scope``.
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

__all__ = ["LIMITS", "SlackMessage", "SlackServer", "block_errors"]

#: Block Kit and chat.postMessage limits (api.slack.com/reference/block-kit/blocks, chat.postMessage).
LIMITS = {
    "blocks": 50,
    "header": 150,
    "section_text": 3000,
    "field_text": 2000,
    "fields": 10,
    "button_text": 75,
    "button_url": 3000,
    "context_elements": 10,
    "context_text": 3000,
    "actions_elements": 25,
    "text": 40000,
}

# The bridge's notification text: "[FIRING] AlertName: summary".
_ALERT_TEXT = re.compile(r"^\[(?P<status>[A-Z]+)\] (?P<name>[A-Za-z0-9_]+):")


@dataclass
class SlackMessage:
    """One message stored by the server (``channel`` is the channel ID)."""

    channel: str
    text: str
    blocks: list[dict[str, Any]]
    ts: str
    thread_ts: str | None = None
    metadata: dict[str, Any] | None = None
    channel_name: str = ""  #: ``#name`` of the channel
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

    @property
    def delivery_id(self) -> str | None:
        """The ``delivery_id`` in the message metadata, if any."""
        return ((self.metadata or {}).get("event_payload") or {}).get("delivery_id")

    def button_urls(self) -> dict[str, str]:
        """``action_id -> url`` of every button (runbook, dashboard, silence)."""
        return {
            e.get("action_id", ""): e["url"]
            for b in self.blocks
            if b.get("type") == "actions"
            for e in b.get("elements", ())
            if "url" in e
        }

    def as_api(self, with_metadata: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": "message",
            "text": self.text,
            "ts": self.ts,
            "blocks": self.blocks,
        }
        if self.thread_ts:
            out["thread_ts"] = self.thread_ts
        if with_metadata and self.metadata:
            out["metadata"] = self.metadata
        return out


def _text_len(obj: dict[str, Any] | None) -> int:
    return len((obj or {}).get("text", ""))


def block_errors(blocks: list[dict[str, Any]]) -> list[str]:
    """Where ``blocks`` break Block Kit's limits (empty when Slack would accept them)."""
    errors = []
    if len(blocks) > LIMITS["blocks"]:
        errors.append(f"more than {LIMITS['blocks']} blocks")
    for i, b in enumerate(blocks):
        kind = b.get("type")
        if kind == "header" and _text_len(b.get("text")) > LIMITS["header"]:
            errors.append(f"[{i}] header text over {LIMITS['header']}")
        if kind == "section":
            if _text_len(b.get("text")) > LIMITS["section_text"]:
                errors.append(f"[{i}] section text over {LIMITS['section_text']}")
            fields = b.get("fields") or []
            if len(fields) > LIMITS["fields"]:
                errors.append(f"[{i}] more than {LIMITS['fields']} fields")
            if any(_text_len(f) > LIMITS["field_text"] for f in fields):
                errors.append(f"[{i}] field text over {LIMITS['field_text']}")
        if kind == "context":
            elements = b.get("elements") or []
            if len(elements) > LIMITS["context_elements"] or any(
                _text_len(e) > LIMITS["context_text"] for e in elements
            ):
                errors.append(f"[{i}] context over its limits")
        if kind == "actions":
            for e in b.get("elements") or []:
                if len(e.get("url", "")) > LIMITS["button_url"]:
                    errors.append(f"[{i}] button url over {LIMITS['button_url']}")
                if _text_len(e.get("text")) > LIMITS["button_text"]:
                    errors.append(f"[{i}] button text over {LIMITS['button_text']}")
    return errors


class SlackServer:
    """Slack's Web API on ``127.0.0.1`` (module docstring lists methods and faults).

    Args:
        token: the bot token clients must present (``Authorization: Bearer``).
        channels: channel names known at start (``#`` optional); IDs are made up.
        auto_create: posting to an unknown channel name creates it (else ``channel_not_found``).
        enforce_limits: refuse blocks over Block Kit's limits like Slack does.
        on_message: called with each stored message, from the server thread.
        port: 0 picks a free port.
    """

    def __init__(
        self,
        token: str = "xoxb-test-token",
        *,
        channels: tuple[str, ...] = (),
        auto_create: bool = True,
        enforce_limits: bool = True,
        on_message: Callable[[SlackMessage], None] | None = None,
        port: int = 0,
    ) -> None:
        self.token = token
        self.auto_create = auto_create
        self.enforce_limits = enforce_limits
        self.missing_scopes = False
        self._on_message = on_message
        self._lock = threading.Lock()
        self._messages: list[SlackMessage] = []
        self._names: dict[str, str] = {}  # name (no '#') -> ID
        self._refused_channels: dict[str, str] = {}  # ID -> error
        self._refusals: list[tuple[Callable[[dict[str, Any]], bool], str]] = []
        self._slow = 0.0
        self._slow_channels: dict[str, float] = {}
        self._outage = False
        self._rate_limited: list[float] = []
        self._count = 0
        self.calls: list[dict[str, Any]] = []  # every call: method, status, time, body
        self.rejected = 0
        for name in channels:
            self.channel_id(name)
        self.port = port
        self.httpd: ThreadingHTTPServer | None = None

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        """The ``base_url`` to give slack-sdk (ends with ``/api/``)."""
        return f"http://127.0.0.1:{self.port}/api/"

    @property
    def webhook_url(self) -> str:
        """An incoming-webhook URL on this server (its messages go to ``#webhook``)."""
        return f"http://127.0.0.1:{self.port}/services/T000/B000/WEBHOOKSECRET"

    def start(self) -> SlackServer:
        """Serve in a background thread (again, on the same port after :meth:`stop`)."""
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), _handler(self))
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(
            target=self.httpd.serve_forever, args=(0.05,), name="slack-server", daemon=True
        ).start()
        return self

    def stop(self) -> None:
        """Stop serving: connections are refused until :meth:`start`."""
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    # -- faults ------------------------------------------------------------------------

    def refuse_channel(self, channel: str, error: str | None = "channel_not_found") -> None:
        """Refuse every post to ``channel`` (name or ID) with ``error``; None lifts it."""
        with self._lock:
            cid = self._resolve(channel, create=True)
            if error:
                self._refused_channels[cid] = error
            else:
                self._refused_channels.pop(cid, None)

    def refuse_messages(
        self, predicate: Callable[[dict[str, Any]], bool], error: str = "invalid_blocks"
    ) -> None:
        """Refuse every post whose request body satisfies ``predicate``."""
        with self._lock:
            self._refusals.append((predicate, error))

    def slow(self, seconds: float, channel: str | None = None) -> None:
        """Answer ``chat.postMessage`` (to ``channel``, or any) ``seconds`` late, after storing."""
        with self._lock:
            if channel is None:
                self._slow = seconds
            else:
                self._slow_channels[self._resolve(channel, create=True)] = seconds

    def outage(self, on: bool = True) -> None:
        """While on, every call answers HTTP 503."""
        self._outage = on

    def rate_limit(self, posts: int, retry_after: float = 1.0) -> None:
        """The next ``posts`` posts answer 429 with ``Retry-After``."""
        with self._lock:
            self._rate_limited.extend([retry_after] * posts)

    # -- inspection --------------------------------------------------------------------

    def channel_id(self, name_or_id: str) -> str:
        """The ID of a channel (created when unknown)."""
        with self._lock:
            return self._resolve(name_or_id, create=True)

    def messages(self, channel: str | None = None) -> list[SlackMessage]:
        """Stored messages, oldest first (optionally of one channel, by name or ID)."""
        with self._lock:
            cid = self._resolve(channel, create=True) if channel else None
            return [m for m in self._messages if cid is None or m.channel == cid]

    def wait_for(
        self,
        n: int,
        timeout: float = 15.0,
        channel: str | None = None,
    ) -> list[SlackMessage]:
        """Wait until at least ``n`` messages are stored; return them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(got := self.messages(channel)) >= n:
                return got
            time.sleep(0.02)
        raise AssertionError(
            f"Slack stand-in has {len(self.messages(channel))} messages, expected {n}"
        )

    # -- the API -----------------------------------------------------------------------

    def _resolve(self, channel: str, *, create: bool) -> str:
        if channel in self._names.values():
            return channel
        name = channel.lstrip("#")
        if name not in self._names:
            if not create:
                return ""
            self._names[name] = f"C{len(self._names) + 1:09d}"
        return self._names[name]

    def authorized(self, header: str | None) -> bool:
        scheme, _, token = (header or "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            token.strip().encode(), self.token.encode()
        )

    def call(self, method: str, args: dict[str, Any]) -> tuple[int, dict[str, Any], float]:
        """Run one API method; returns (HTTP status, reply, seconds to wait before answering)."""
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return 404, {"ok": False, "error": "unknown_method"}, 0.0
        with self._lock:
            return handler(args)

    def _store(
        self, channel: str, args: dict[str, Any], blocks: list[dict[str, Any]]
    ) -> SlackMessage:
        self._count += 1
        ts = f"{int(time.time())}.{self._count:06d}"
        metadata = args.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        name = next((f"#{n}" for n, cid in self._names.items() if cid == channel), channel)
        msg = SlackMessage(
            channel,
            args.get("text") or "",
            blocks,
            ts,
            args.get("thread_ts") or None,
            metadata,
            name,
        )
        self._messages.append(msg)
        return msg

    def _m_chat_postMessage(self, args: dict[str, Any]) -> tuple[int, dict[str, Any], float]:
        if self._rate_limited:
            return (
                429,
                {"ok": False, "error": "ratelimited", "_retry_after": self._rate_limited.pop(0)},
                0.0,
            )
        cid = self._resolve(str(args.get("channel") or ""), create=self.auto_create)
        if not cid:
            return 200, {"ok": False, "error": "channel_not_found"}, 0.0
        if cid in self._refused_channels:
            return 200, {"ok": False, "error": self._refused_channels[cid]}, 0.0
        for predicate, error in self._refusals:
            if predicate(args):
                return 200, {"ok": False, "error": error}, 0.0
        blocks = args.get("blocks") or []
        if isinstance(blocks, str):  # form-encoded calls send blocks as a JSON string
            blocks = json.loads(blocks)
        warnings = []
        if self.enforce_limits:
            if errors := block_errors(blocks):
                return 200, {"ok": False, "error": "invalid_blocks", "errors": errors}, 0.0
            if len(args.get("text") or "") > LIMITS["text"]:
                args = {**args, "text": args["text"][: LIMITS["text"]]}
                warnings.append("message_truncated")
        msg = self._store(cid, args, blocks)
        if self._on_message is not None:
            try:
                self._on_message(msg)
            except Exception:  # a broken printer must not fail delivery
                pass
        reply = {"ok": True, "channel": cid, "ts": msg.ts, "message": msg.as_api(True)}
        if warnings:
            reply["response_metadata"] = {"warnings": warnings}
        return 200, reply, self._slow_channels.get(cid, self._slow)

    def _m_chat_update(self, args: dict[str, Any]) -> tuple[int, dict[str, Any], float]:
        cid = self._resolve(str(args.get("channel") or ""), create=False)
        for m in self._messages:
            if m.channel == cid and m.ts == args.get("ts"):
                m.text = args.get("text") or m.text
                if "blocks" in args:
                    blocks = args["blocks"]
                    m.blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
                return 200, {"ok": True, "channel": cid, "ts": m.ts}, 0.0
        return 200, {"ok": False, "error": "message_not_found"}, 0.0

    def _page(self, items: list[dict[str, Any]], args: dict[str, Any], key: str) -> dict[str, Any]:
        limit = min(int(args.get("limit") or 100), 1000)
        start = int(args.get("cursor") or 0)
        page = items[start : start + limit]
        more = start + limit < len(items)
        return {
            "ok": True,
            key: page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _history_args(self, args: dict[str, Any]) -> tuple[str, bool, float]:
        cid = str(args.get("channel") or "")
        meta = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        return cid, meta, float(args.get("oldest") or 0)

    def _m_conversations_history(self, args: dict[str, Any]) -> tuple[int, dict[str, Any], float]:
        cid, meta, oldest = self._history_args(args)
        if cid not in self._names.values():  # history takes IDs only, like Slack
            return 200, {"ok": False, "error": "channel_not_found"}, 0.0
        found = [
            m.as_api(meta)
            for m in reversed(self._messages)  # newest first
            if m.channel == cid and m.thread_ts is None and float(m.ts) >= oldest
        ]
        return 200, self._page(found, args, "messages"), 0.0

    def _m_conversations_replies(self, args: dict[str, Any]) -> tuple[int, dict[str, Any], float]:
        cid, meta, oldest = self._history_args(args)
        if cid not in self._names.values():
            return 200, {"ok": False, "error": "channel_not_found"}, 0.0
        parent = args.get("ts")
        found = [
            m.as_api(meta)
            for m in self._messages  # oldest first, parent first
            if m.channel == cid and parent in (m.ts, m.thread_ts) and float(m.ts) >= oldest
        ]
        if not found:
            return 200, {"ok": False, "error": "thread_not_found"}, 0.0
        return 200, self._page(found, args, "messages"), 0.0

    def _m_conversations_list(self, args: dict[str, Any]) -> tuple[int, dict[str, Any], float]:
        if self.missing_scopes:
            return (
                200,
                {"ok": False, "error": "missing_scope", "needed": "channels:read,groups:read"},
                0.0,
            )
        chans = [
            {"id": cid, "name": name, "is_channel": True, "is_archived": False}
            for name, cid in self._names.items()
        ]
        return 200, self._page(chans, args, "channels"), 0.0

    def _m_auth_test(self, args: dict[str, Any]) -> tuple[int, dict[str, Any], float]:
        return (
            200,
            {
                "ok": True,
                "url": "https://qobserve-test.slack.com/",
                "team": "test",
                "user": "qobserve-bot",
                "team_id": "T000",
                "user_id": "U000",
            },
            0.0,
        )

    def _m_api_test(self, args: dict[str, Any]) -> tuple[int, dict[str, Any], float]:
        return 200, {"ok": True, "args": args}, 0.0

    def webhook(self, body: dict[str, Any]) -> tuple[int, str]:
        """An incoming-webhook post: stored in ``#webhook``."""
        with self._lock:
            if self._outage:
                return 503, "service_unavailable"
            self._store(self._resolve("webhook", create=True), body, body.get("blocks") or [])
        return 200, "ok"


def _read_args(handler: BaseHTTPRequestHandler) -> dict[str, Any]:
    query = urllib.parse.urlsplit(handler.path).query
    args: dict[str, Any] = {k: v[-1] for k, v in urllib.parse.parse_qs(query).items()}
    raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0)).decode()
    if handler.headers.get("Content-Type", "").startswith("application/json"):
        args.update(json.loads(raw or "{}"))
    else:
        args.update({k: v[-1] for k, v in urllib.parse.parse_qs(raw).items()})
    return args


def _handler(server: SlackServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _reply(
            self, status: int, body: dict[str, Any] | str, headers: dict[str, str] | None = None
        ) -> None:
            data = (body if isinstance(body, str) else json.dumps(body)).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)
            except OSError:  # the client gave up (timed out) before the answer
                self.close_connection = True

        def _handle(self) -> None:
            path = urllib.parse.urlsplit(self.path).path
            try:
                args = _read_args(self)
            except (ValueError, UnicodeDecodeError):
                self._reply(200, {"ok": False, "error": "invalid_json"})
                return
            if path.startswith("/services/"):
                self._reply(*server.webhook(args))
                return
            method = path.removeprefix("/api/").strip("/")
            record = {"method": method, "time": time.monotonic(), "body": args}
            server.calls.append(record)
            if server._outage:
                record["status"] = 503
                self._reply(503, {"ok": False, "error": "service_unavailable"})
                return
            if method != "api.test" and not server.authorized(self.headers.get("Authorization")):
                server.rejected += 1
                record["status"] = 200
                self._reply(200, {"ok": False, "error": "invalid_auth"})
                return
            status, reply, delay = server.call(method, args)
            record["status"] = status
            headers = {}
            if "_retry_after" in reply:
                headers["Retry-After"] = str(int(reply.pop("_retry_after")))
            if delay:
                time.sleep(delay)
            self._reply(status, reply, headers)

        do_GET = do_POST = _handle

    return Handler
