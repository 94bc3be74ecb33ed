"""HTTP receiver for Alertmanager webhooks: ``POST /alerts``, ``GET /healthz``, ``GET /metrics``.

A notification is validated, turned into one Block Kit message per alert,
written to the fsynced spool, and only then acknowledged with 200; the
delivery worker posts it to Slack afterwards. So Alertmanager never waits on
Slack, and an acknowledged alert is never lost: if Slack is down it stays in
the spool until Slack comes back, across restarts.
"""

from __future__ import annotations

import hmac
import json
import logging
import signal
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from qobserve.alert_bridge.blocks import alert_message
from qobserve.alert_bridge.config import BridgeConfig, resolve_secret
from qobserve.alert_bridge.delivery import BridgeMetrics, DeliveryWorker
from qobserve.alert_bridge.payload import PayloadError, WebhookPayload, parse_payload
from qobserve.alert_bridge.slack import SDK_LOGGER, RedactSecrets, SlackSender, make_sender
from qobserve.alert_bridge.spool import Spool, SpoolEntry

__all__ = ["AlertBridge", "MAX_BODY_BYTES", "spool_entries"]

log = logging.getLogger(__name__)

#: Alertmanager truncates groups to ``max_alerts``; 1 MiB is far above any real payload.
MAX_BODY_BYTES = 1 << 20

_LOGGERS = (__name__, "qobserve.alert_bridge.delivery", SDK_LOGGER)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # unwinds serve_forever into close(), as Ctrl-C does


def spool_entries(payload: WebhookPayload, channels: dict[str, str]) -> list[SpoolEntry]:
    """One spool entry per alert: the channel by severity (unknown severities go to ticket)."""
    entries = []
    for alert in payload.alerts:
        channel = channels.get(alert.severity, channels["ticket"])
        entries.append(SpoolEntry(
            dedupe_key=f"{alert.fingerprint}|{alert.status}|{alert.startsAt.isoformat()}",
            fingerprint=alert.fingerprint, status=alert.status, channel=channel,
            message=alert_message(alert, external_url=payload.externalURL)))
    return entries


class AlertBridge:
    """The running bridge: spool, delivery worker and HTTP server.

    Args:
        config: validated configuration.
        sender: Slack transport; built from ``config.slack`` when omitted.
        backoff_initial, backoff_max: retry backoff bounds in seconds.
    """

    def __init__(self, config: BridgeConfig, *, sender: SlackSender | None = None,
                 backoff_initial: float = 1.0, backoff_max: float = 300.0) -> None:
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
        self.channels = {"page": config.slack.channels.page,
                         "ticket": config.slack.channels.ticket}
        self.spool = Spool(config.spool_dir)
        self.metrics = BridgeMetrics.create(self.spool)
        self.worker = DeliveryWorker(self.spool, sender, self.metrics,
                                     backoff_initial=backoff_initial, backoff_max=backoff_max)
        self.httpd = ThreadingHTTPServer((config.host, config.port), _handler(self))
        self.httpd.daemon_threads = True
        self._serve: threading.Thread | None = None
        self._closed = False

    @property
    def url(self) -> str:
        """Base URL the server listens on."""
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> AlertBridge:
        """Start the delivery worker and serve HTTP in a background thread."""
        self.worker.start()
        self._serve = threading.Thread(target=self.httpd.serve_forever, args=(0.1,),
                                       name="alert-bridge-http", daemon=True)
        self._serve.start()
        log.info("alert bridge listening on %s", self.url)
        return self

    def serve_forever(self) -> None:
        """Run in the foreground until SIGINT or SIGTERM, then stop cleanly."""
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _interrupt)
        self.worker.start()
        log.info("alert bridge listening on %s", self.url)
        try:
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
        self.worker.stop()
        self.spool.close()
        for name in _LOGGERS:
            logging.getLogger(name).removeFilter(self._redact)

    def authorized(self, header: str | None) -> bool:
        """Whether the ``Authorization`` header carries the configured bearer token."""
        if self._bearer is None:
            return True
        scheme, _, token = (header or "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(),
                                                                  self._bearer.encode())

    def accept(self, body: bytes) -> int:
        """Validate and spool a webhook body; returns how many new messages were queued.

        Raises:
            PayloadError: the body is not a valid v4 payload.
        """
        payload = parse_payload(body)
        for alert in payload.alerts:
            self.metrics.received.labels(status=alert.status).inc()
        added = self.spool.append(spool_entries(payload, self.channels))
        self.worker.wake()
        return added


def _handler(bridge: AlertBridge) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "qobserve-alert-bridge"

        def log_message(self, fmt: str, *args: Any) -> None:
            log.debug("%s %s", self.address_string(), fmt % args)

        def _reply(self, code: int, body: bytes | dict[str, Any],
                   content_type: str = "application/json",
                   headers: dict[str, str] | None = None) -> None:
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
            log.warning("rejected webhook (%s): %s", reason, detail)
            self._reply(code, {"status": "error", "reason": detail}, headers=headers)

        def do_GET(self) -> None:  # noqa: N802 (http.server naming)
            if self.path == "/healthz":
                self._reply(200, b"ok\n", "text/plain")
            elif self.path == "/metrics":
                self._reply(200, generate_latest(bridge.metrics.registry), CONTENT_TYPE_LATEST)
            else:
                self._reply(404, {"status": "error", "reason": "not found; try POST /alerts"})

        def do_POST(self) -> None:  # noqa: N802
            if self.path != "/alerts":
                self._reply(404, {"status": "error", "reason": "not found; POST to /alerts"})
                return
            if not bridge.authorized(self.headers.get("Authorization")):
                self._reject(401, "unauthorized", "missing or wrong bearer token",
                             **{"WWW-Authenticate": 'Bearer realm="qobserve-alert-bridge"'})
                return
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                self._reject(411, "invalid_payload", "Content-Length header required")
                return
            if length > MAX_BODY_BYTES:
                self._reject(413, "too_large", f"body over {MAX_BODY_BYTES} bytes")
                return
            try:
                added = bridge.accept(self.rfile.read(length))
            except PayloadError as exc:
                reason = "bad_json" if "not valid JSON" in str(exc) else "invalid_payload"
                self._reject(400, reason, str(exc))
                return
            self._reply(200, {"status": "accepted", "queued": added})

    return Handler
