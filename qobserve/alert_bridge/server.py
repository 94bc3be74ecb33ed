"""HTTP receiver for Alertmanager webhooks: ``POST /alerts``, ``/healthz``, ``/readyz``, ``/metrics``.

A notification is validated, turned into one Block Kit message per alert,
written to the fsynced spool, and only then acknowledged with 200; delivery
lanes post it to Slack afterwards. So Alertmanager never waits on Slack, and an
acknowledged alert is never lost. When the spool cannot be written the answer
is 503 (Alertmanager retries) and ``/readyz`` fails; ``/healthz`` fails when a
delivery lane died and cannot be restarted.

The receiver is hardened against clients: at most ``http.max_connections``
connections at once (more get 503), ``http.read_timeout`` to send headers and
body, a ``Content-Length`` that must be a non-negative integer up to 1 MiB,
nesting checked before JSON parsing; a bad request gets a 4xx with a reason
and one log line, never a traceback.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import signal
import socket
import sqlite3
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from qobserve._bounded_server import BoundedThreadingMixIn
from qobserve._signals import handlers
from qobserve.alert_bridge.blocks import alert_message, plain_text
from qobserve.alert_bridge.config import BridgeConfig, ConfigError, resolve_secret
from qobserve.alert_bridge.delivery import Delivery, LanePolicy
from qobserve.alert_bridge.metrics import BridgeMetrics
from qobserve.alert_bridge.payload import PayloadError, WebhookPayload, parse_payload
from qobserve.alert_bridge.slack import SDK_LOGGER, RedactSecrets, SlackSender, make_sender
from qobserve.alert_bridge.spool import Spool, SpoolEntry

__all__ = ["MAX_BODY_BYTES", "AlertBridge", "delivery_id", "spool_entries"]

log = logging.getLogger(__name__)

#: Alertmanager truncates groups to ``max_alerts``; 1 MiB is far above any real payload.
MAX_BODY_BYTES = 1 << 20

_LOGGERS = (__name__, "qobserve.alert_bridge.delivery", "qobserve.alert_bridge.slack", SDK_LOGGER)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # unwinds serve_forever into close(), as Ctrl-C does


def delivery_id(fingerprint: str, status: str, starts_at: str, channel: str) -> str:
    """The id posted in the Slack message metadata: the same in every replica and restart."""
    key = f"{fingerprint}|{status}|{starts_at}|{channel}"
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def spool_entries(payload: WebhookPayload, channels: dict[str, str]) -> list[SpoolEntry]:
    """One spool entry per alert: the channel by severity (unknown severities go to ticket)."""
    entries = []
    for alert in payload.alerts:
        channel = channels.get(alert.severity, channels["ticket"])
        starts = alert.startsAt.isoformat()
        message = {
            **alert_message(alert, external_url=payload.externalURL),
            "plain": plain_text(alert),
            "firing_delivery_id": delivery_id(alert.fingerprint, "firing", starts, channel),
        }
        entries.append(
            SpoolEntry(
                dedupe_key=f"{alert.fingerprint}|{alert.status}|{starts}",
                delivery_id=delivery_id(alert.fingerprint, alert.status, starts, channel),
                fingerprint=alert.fingerprint,
                status=alert.status,
                channel=channel,
                message=message,
            )
        )
    return entries


class _Server(BoundedThreadingMixIn, HTTPServer):
    """A thread per connection, at most ``max_connections`` of them; errors logged in one line."""

    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        max_connections: int,
        on_full: Any,
    ) -> None:
        self.limit_connections(max_connections)
        self._on_full = on_full
        super().__init__(address, handler)

    def refuse(self, request: Any) -> None:
        self._on_full()
        try:
            request.sendall(
                b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                b"Retry-After: 1\r\nConnection: close\r\n\r\n"
            )
        except OSError:
            pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.info("connection from %s failed: %s", client_address[0], sys.exc_info()[1])


class AlertBridge:
    """The running bridge: spool, delivery lanes and HTTP server.

    Args:
        config: validated configuration.
        sender: Slack transport; built from ``config.slack`` when omitted.

    Raises:
        ConfigError: a secret variable is unset or the spool directory is unusable.
    """

    def __init__(self, config: BridgeConfig, *, sender: SlackSender | None = None) -> None:
        spool_dir = config.spool_path()
        secrets: list[str] = []
        if sender is None:
            sender, secrets = make_sender(config.slack)
        self._bearer: str | None = None
        if config.auth is not None:
            self._bearer = resolve_secret(config.auth.bearer_token_env, "auth.bearer_token_env")
            secrets.append(self._bearer)
        self._redact = RedactSecrets(secrets)
        for name in _LOGGERS:
            logging.getLogger(name).addFilter(self._redact)
        channels = config.slack.channels
        self.channels = {"page": channels.page, "ticket": channels.ticket}
        self.read_timeout = config.http.read_timeout
        try:
            self.spool = Spool(spool_dir)
        except (sqlite3.Error, OSError) as exc:
            raise ConfigError(
                f"spool_dir: cannot open the spool in {spool_dir} ({exc}); move "
                f"the damaged spool.sqlite3 aside or point spool_dir elsewhere"
            ) from None
        self.metrics = BridgeMetrics.create(self.spool)
        d, replica = config.delivery, config.replica
        policy = LanePolicy(
            backoff_initial=d.backoff_initial,
            backoff_max=d.backoff_max,
            probe_interval=d.probe_interval,
            min_interval=d.min_interval,
            poll_interval=d.poll_interval,
            look_up_first=replica is not None,
            first_delay=replica.position() * replica.stagger if replica else 0.0,
        )
        self.delivery = Delivery(
            self.spool,
            sender,
            self.metrics,
            policy,
            channels=list(self.channels.values()),
            fallback=channels.fallback,
        )
        try:
            self.httpd = _Server(
                (config.host, config.port),
                _handler(self),
                config.http.max_connections,
                lambda: self.metrics.rejected.labels(reason="overloaded").inc(),
            )
        except OSError as exc:
            self.spool.close()
            raise ConfigError(
                f"listen: cannot listen on {config.listen} ({exc.strerror or exc})"
            ) from None
        self._serve: threading.Thread | None = None
        self._closed = False
        self._ready_checked = (0.0, True, "")

    @property
    def url(self) -> str:
        """Base URL the server listens on."""
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> AlertBridge:
        """Start the delivery lanes and serve HTTP in a background thread."""
        self.delivery.start()
        self._serve = threading.Thread(
            target=self.httpd.serve_forever, args=(0.1,), name="alert-bridge-http", daemon=True
        )
        self._serve.start()
        log.info("alert bridge listening on %s", self.url)
        return self

    def serve_forever(self) -> None:
        """Run in the foreground until SIGINT or SIGTERM, then stop cleanly."""
        self.delivery.start()
        log.info("alert bridge listening on %s", self.url)
        try:
            with handlers({signal.SIGTERM: _interrupt}):
                self.httpd.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            self.close()

    def close(self) -> None:
        """Stop serving and delivering; undelivered messages stay spooled (idempotent)."""
        if self._closed:
            return
        self._closed = True
        if self._serve is not None:
            self.httpd.shutdown()
            self._serve.join(5)
        self.httpd.server_close()
        self.delivery.stop()
        self.spool.close()
        for name in _LOGGERS:
            logging.getLogger(name).removeFilter(self._redact)

    def authorized(self, header: str | None) -> bool:
        """Whether the ``Authorization`` header carries the configured bearer token."""
        if self._bearer is None:
            return True
        scheme, _, token = (header or "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            token.strip().encode(), self._bearer.encode()
        )

    def ready(self) -> tuple[bool, str]:
        """Whether the spool takes writes now (checked at most once a second)."""
        at, ok, reason = self._ready_checked
        if time.monotonic() - at < 1.0:
            return ok, reason
        try:
            self.spool.check_writable()
            ok, reason = True, "ok"
        except (sqlite3.Error, OSError) as exc:
            ok, reason = False, f"spool {self.spool.path} cannot be written: {exc}"
        self._ready_checked = (time.monotonic(), ok, reason)
        return ok, reason

    def accept(self, body: bytes) -> int:
        """Validate and spool a webhook body; returns how many new messages were queued.

        Raises:
            PayloadError: the body is not a valid v4 payload.
            sqlite3.Error, OSError: the spool cannot be written.
        """
        payload = parse_payload(body)
        for alert in payload.alerts:
            self.metrics.received.labels(status=alert.status).inc()
        added = self.spool.append(spool_entries(payload, self.channels))
        self.delivery.wake()
        return added


def _read_body(rfile: Any, length: int, deadline: float, sock: socket.socket) -> bytes | None:
    """``length`` bytes, or None when the client is slower than the deadline."""
    chunks, got = [], 0
    while got < length:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        sock.settimeout(left)
        chunk = rfile.read1(min(65536, length - got))
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _handler(bridge: AlertBridge) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "qobserve-alert-bridge"
        timeout = bridge.read_timeout  # per socket operation, headers included

        def log_message(self, fmt: str, *args: Any) -> None:
            log.debug("%s %s", self.address_string(), fmt % args)

        def log_error(self, fmt: str, *args: Any) -> None:
            log.info("%s %s", self.address_string(), fmt % args)

        def _reply(
            self,
            code: int,
            body: bytes | dict[str, Any],
            content_type: str = "application/json",
            headers: dict[str, str] | None = None,
        ) -> None:
            data = json.dumps(body).encode() if isinstance(body, dict) else body
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _reject(self, code: int, reason: str, detail: str, **headers: str) -> None:
            bridge.metrics.rejected.labels(reason=reason).inc()
            log.warning("rejected webhook (%s): %s", reason, detail[:300])
            self.close_connection = True
            self._reply(code, {"status": "error", "reason": detail}, headers=headers)

        def _probe(self, result: tuple[bool, str]) -> None:
            ok, reason = result
            self._reply(200 if ok else 503, f"{reason}\n".encode(), "text/plain")

        def do_GET(self) -> None:
            if self.path == "/healthz":
                self._probe(bridge.delivery.health())
            elif self.path == "/readyz":
                self._probe(bridge.ready())
            elif self.path == "/metrics":
                self._reply(200, generate_latest(bridge.metrics.registry), CONTENT_TYPE_LATEST)
            else:
                self._reply(404, {"status": "error", "reason": "not found; try POST /alerts"})

        def _length(self) -> int | None:
            if self.headers.get("Transfer-Encoding"):
                self._reject(
                    411,
                    "invalid_payload",
                    "Transfer-Encoding is not supported; send Content-Length",
                )
                return None
            values = self.headers.get_all("Content-Length") or []
            if not values:
                self._reject(411, "invalid_payload", "Content-Length header required")
                return None
            if len(set(values)) != 1 or not values[0].strip().isdigit():
                self._reject(
                    400,
                    "invalid_payload",
                    "Content-Length must be one non-negative "
                    f"integer, got {', '.join(values)[:40]!r}",
                )
                return None
            length = int(values[0])
            if length > MAX_BODY_BYTES:
                self._reject(413, "too_large", f"body over {MAX_BODY_BYTES} bytes")
                return None
            return length

        def do_POST(self) -> None:
            deadline = time.monotonic() + bridge.read_timeout
            if self.path != "/alerts":
                self.close_connection = True
                self._reply(404, {"status": "error", "reason": "not found; POST to /alerts"})
                return
            if not bridge.authorized(self.headers.get("Authorization")):
                self._reject(
                    401,
                    "unauthorized",
                    "missing or wrong bearer token",
                    **{"WWW-Authenticate": 'Bearer realm="qobserve-alert-bridge"'},
                )
                return
            length = self._length()
            if length is None:
                return
            body = _read_body(self.rfile, length, deadline, self.connection)
            if body is None:
                self._reject(
                    408, "invalid_payload", f"body not received within {bridge.read_timeout:g} s"
                )
                return
            try:
                added = bridge.accept(body)
            except PayloadError as exc:
                reason = (
                    "bad_json" if "JSON" in str(exc) or "nests" in str(exc) else "invalid_payload"
                )
                self._reject(400, reason, str(exc))
                return
            except (sqlite3.Error, OSError) as exc:
                bridge.metrics.rejected.labels(reason="spool_unavailable").inc()
                log.error(
                    "cannot spool the notification (%s); answering 503 so Alertmanager retries", exc
                )
                self.close_connection = True
                self._reply(
                    503,
                    {"status": "error", "reason": "spool unavailable; retry"},
                    headers={"Retry-After": "5"},
                )
                return
            self._reply(200, {"status": "accepted", "queued": added})

    return Handler
