"""HTTP endpoints: ``/metrics``, ``/healthz`` (alive) and ``/readyz`` (first fast round done).

``/metrics`` is the registry rendered by prometheus-client followed by the
probe collector's text; around them this module adds the two health routes,
optional basic auth (bcrypt hashes, as in Prometheus' web.yml) and optional TLS.

Production conditions shape the server: the listening socket only accepts
(the TLS handshake runs on the connection's worker, under
``web.handshake_timeout``, so a client that connects and sends nothing costs
one worker for a few seconds, never the accept loop), at most
``web.max_connections`` connections are served at once (more are closed at
once), and the health routes skip basic auth unless
``web.health_requires_auth`` is set, so orchestrator probes work with TLS and
basic auth on.
"""

from __future__ import annotations

import base64
import logging
import socket
import ssl
import threading
from collections.abc import Callable
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

import bcrypt
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from qobserve._bounded_server import BoundedThreadingMixIn
from qobserve.exporter.config import Web

__all__ = ["MetricsServer", "ServerStartError"]

_HEALTH = ("/healthz", "/readyz")

log = logging.getLogger("qobserve.exporter")


class ServerStartError(RuntimeError):
    """The server cannot start: the message is one line naming the setting."""


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args) -> None:  # scrapes every second would flood the log
        pass


class _Server(BoundedThreadingMixIn, WSGIServer):
    """Accepts plain TCP; each connection's TLS handshake and request run on a bounded worker."""

    def __init__(self, address, tls: ssl.SSLContext | None, web: Web) -> None:
        self.tls = tls
        self.timeout_s = web.handshake_timeout
        self.limit_connections(web.max_connections)
        if ":" in address[0]:  # an IPv6 literal such as ::
            self.address_family = socket.AF_INET6
        super().__init__(address, _QuietHandler)

    def handle_error(self, request, client_address) -> None:
        # A client that times out or drops mid-request is routine, not a traceback on stderr.
        log.debug("connection from %s ended with an error", client_address, exc_info=True)

    def serve_connection(self, request, client_address) -> None:
        request.settimeout(self.timeout_s)  # bounds the handshake and every read
        if self.tls is not None:
            try:
                request = self.tls.wrap_socket(request, server_side=True)
            except (OSError, ssl.SSLError):  # idle, slow or not speaking TLS
                self.shutdown_request(request)
                return
        super().serve_connection(request, client_address)


def _authorized(environ, users: dict[str, str]) -> bool:
    header = environ.get("HTTP_AUTHORIZATION", "")
    if not header.startswith("Basic "):
        return False
    try:
        user, _, password = base64.b64decode(header[6:], validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return False
    hashed = users.get(user)
    try:
        return hashed is not None and bcrypt.checkpw(password.encode(), hashed.encode())
    except ValueError:  # hashes are checked at load; never turn a bad one into a 500
        return False


def _tls_context(web: Web) -> ssl.SSLContext | None:
    if not web.tls_cert_file:
        return None
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        ctx.load_cert_chain(web.tls_cert_file, web.tls_key_file)
    except (OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or str(exc)
        raise ServerStartError(
            f"web.tls_cert_file/web.tls_key_file: cannot load {web.tls_cert_file} with "
            f"{web.tls_key_file} ({reason}); give a PEM certificate and its key"
        ) from None
    return ctx


def _bind(host: str, port: int, tls: ssl.SSLContext | None, web: Web) -> _Server:
    try:
        return _Server((host, port), tls, web)
    except socket.gaierror:
        raise ServerStartError(
            f"listen: cannot resolve host {host!r}; use an address such as "
            "127.0.0.1:9464 or 0.0.0.0:9464"
        ) from None
    except OSError as exc:
        raise ServerStartError(
            f"listen: cannot bind {host}:{port} ({exc.strerror or exc}); "
            "choose a free port or address in listen"
        ) from None


class MetricsServer:
    """Serves a registry, extra pre-rendered text and health routes until :meth:`stop`.

    Args:
        host, port: where to listen (port 0 picks a free one).
        registry: prometheus-client registry rendered first on ``/metrics``.
        ready: returns ``(ready, body)`` for ``/readyz``.
        web: TLS, basic auth and connection limits.
        extra: returns more exposition text appended to ``/metrics``.

    Raises:
        ServerStartError: the address cannot be bound or the TLS files loaded.
    """

    def __init__(
        self,
        host: str,
        port: int,
        registry,
        ready: Callable[[], tuple[bool, str]],
        web: Web,
        extra: Callable[[], bytes] = bytes,
    ) -> None:
        users = dict(web.basic_auth_users)
        open_health = not web.health_requires_auth

        def app(environ, start_response):
            path = environ.get("PATH_INFO", "/")
            if users and not (open_health and path in _HEALTH) and not _authorized(environ, users):
                start_response(
                    "401 Unauthorized",
                    [
                        ("WWW-Authenticate", 'Basic realm="qobserve"'),
                        ("Content-Type", "text/plain"),
                    ],
                )
                return [b"unauthorized\n"]
            if path == "/healthz":
                start_response("200 OK", [("Content-Type", "text/plain")])
                return [b"ok\n"]
            if path == "/readyz":
                ok, body = ready()
                start_response(
                    "200 OK" if ok else "503 Service Unavailable", [("Content-Type", "text/plain")]
                )
                return [body.encode()]
            if path in ("/metrics", "/"):
                start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
                return [generate_latest(registry), extra()]
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found: try /metrics, /healthz or /readyz\n"]

        self._httpd = _bind(host, port, _tls_context(web), web)
        self._httpd.set_app(app)
        bound_host, bound_port = self._httpd.server_address[:2]
        self.address = (str(bound_host), bound_port)  # a TCP server: the host is a str
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="metrics-server", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    @property
    def serving(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
