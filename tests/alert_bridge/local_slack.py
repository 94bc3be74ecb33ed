"""A local HTTP server speaking Slack's API (chat.postMessage and an incoming webhook)."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


DATA = Path(__file__).parent / "data"
TOKEN = "xoxb-test-1234567890-SECRETSECRET"
BEARER = "bridge-bearer-SECRET-42"


def payload(name: str) -> dict:
    """A webhook body captured from a real Alertmanager 0.25 (see data/)."""
    return json.loads((DATA / f"alertmanager_v4_{name}.json").read_text())


class SlackServer:
    """``chat.postMessage`` and an incoming webhook on 127.0.0.1.

    ``script`` holds (status, headers) replies to give before succeeding again;
    ``stop()`` / ``start()`` take it down and bring it back on the same port.
    """

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.script: deque[tuple[int, dict[str, str]]] = deque()
        self._lock = threading.Lock()
        self._ts = 0
        self.httpd: ThreadingHTTPServer | None = None
        self.port = 0
        self.start()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/services/T000/B000/WEBHOOKSECRET"

    def start(self) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        assert self.httpd is not None
        self.httpd.shutdown()
        self.httpd.server_close()

    def posted(self) -> list[dict]:
        """Bodies Slack accepted, in order."""
        with self._lock:
            return [r["body"] for r in self.requests if r["status"] == 200]

    def wait_for(self, n: int, timeout: float = 15.0) -> list[dict]:
        """Wait until ``n`` messages were accepted; return them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(got := self.posted()) >= n:
                return got
            time.sleep(0.02)
        raise AssertionError(f"Slack got {len(self.posted())} messages, expected {n}")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with server._lock:
                    status, headers = server.script.popleft() if server.script else (200, {})
                    server._ts += 1
                    ts = f"1700000000.{server._ts:06d}"
                    server.requests.append({"path": self.path, "status": status,
                                            "headers": dict(self.headers), "body": body,
                                            "time": time.monotonic()})
                webhook = self.path.startswith("/services/")
                if status == 200 and not webhook and self.headers.get(
                        "Authorization") != f"Bearer {TOKEN}":
                    status, reply = 200, {"ok": False, "error": "invalid_auth"}
                elif status == 200:
                    reply = "ok" if webhook else {"ok": True, "channel": body.get("channel"),
                                                  "ts": ts}
                else:
                    reply = {"ok": False, "error": "ratelimited" if status == 429 else "fatal"}
                data = (reply if isinstance(reply, str) else json.dumps(reply)).encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
