"""HTTP endpoints: ``/metrics``, ``/healthz`` (alive), ``/readyz`` (first round done).

``/metrics`` is the registry rendered by prometheus-client followed by the
probe collector's cached text; around them this module adds the two health
routes, optional basic auth (bcrypt hashes, as in Prometheus' web.yml) and
optional TLS, on a threading server so a slow client never blocks a scrape.
"""

from __future__ import annotations

import base64
import ssl
import threading
from collections.abc import Callable
from wsgiref.simple_server import WSGIRequestHandler, make_server

import bcrypt
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.exposition import ThreadingWSGIServer

from qobserve.exporter.config import Web

__all__ = ["MetricsServer"]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args) -> None:  # scrapes every second would flood the log
        pass


def _authorized(environ, users: dict[str, str]) -> bool:
    header = environ.get("HTTP_AUTHORIZATION", "")
    if not header.startswith("Basic "):
        return False
    try:
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return False
    hashed = users.get(user)
    return hashed is not None and bcrypt.checkpw(password.encode(), hashed.encode())


class MetricsServer:
    """Serves a registry, extra pre-rendered text and health routes until :meth:`stop`."""

    def __init__(self, host: str, port: int, registry, ready: Callable[[], bool], web: Web,
                 extra: Callable[[], bytes] = bytes) -> None:
        users = dict(web.basic_auth_users)

        def app(environ, start_response):
            path = environ.get("PATH_INFO", "/")
            if users and not _authorized(environ, users):
                start_response("401 Unauthorized", [("WWW-Authenticate", 'Basic realm="qobserve"'),
                                                    ("Content-Type", "text/plain")])
                return [b"unauthorized\n"]
            if path == "/healthz":
                start_response("200 OK", [("Content-Type", "text/plain")])
                return [b"ok\n"]
            if path == "/readyz":
                ok = ready()
                start_response("200 OK" if ok else "503 Service Unavailable", [("Content-Type", "text/plain")])
                return [b"ready\n" if ok else b"first probe round not finished\n"]
            if path in ("/metrics", "/"):
                start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
                return [generate_latest(registry), extra()]
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found: try /metrics, /healthz or /readyz\n"]

        self._httpd = make_server(host, port, app, ThreadingWSGIServer, handler_class=_QuietHandler)
        if web.tls_cert_file:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(web.tls_cert_file, web.tls_key_file)
            self._httpd.socket = ctx.wrap_socket(self._httpd.socket, server_side=True)
        self.address = self._httpd.server_address[:2]
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="metrics-server", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
