"""Start Prometheus and Alertmanager from the Debian packages on 127.0.0.1.

Each service gets a free port and its own data directory and is stopped (then
killed if it ignores SIGTERM) by :meth:`Service.stop`, so nothing is left
running. A missing binary raises an error naming the Debian package.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Service", "ServiceError", "free_port", "missing_packages", "spawn_python", "start_alertmanager", "start_prometheus"]


class ServiceError(RuntimeError):
    """A local service could not be started."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _binary(names: tuple[str, ...], package: str) -> str:
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    raise ServiceError(f"{names[0]} not found: install the Debian package {package!r} "
                       f"(apt-get install {package})")


_PROMETHEUS = (("prometheus",), "prometheus")
_ALERTMANAGER = (("prometheus-alertmanager", "alertmanager"), "prometheus-alertmanager")


def missing_packages() -> list[str]:
    """Debian packages whose binaries are not on PATH (empty when both services can start)."""
    return [pkg for names, pkg in (_PROMETHEUS, _ALERTMANAGER)
            if not any(shutil.which(n) for n in names)]


@dataclass
class Service:
    name: str
    url: str
    process: subprocess.Popen
    log_path: Path
    stop_signal: int = signal.SIGTERM

    def get(self, path: str, **params) -> dict:
        """GET a JSON API path, e.g. ``/api/v1/query`` with ``query=up``."""
        query = urllib.parse.urlencode(params)
        with urllib.request.urlopen(f"{self.url}{path}{'?' + query if query else ''}", timeout=10) as r:
            return json.loads(r.read())

    def post(self, path: str, body: object) -> dict | None:
        req = urllib.request.Request(f"{self.url}{path}", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            data = r.read()
        return json.loads(data) if data else None

    def wait_ready(self, path: str, timeout: float = 30) -> Service:
        """Poll ``path`` until it answers; raises ServiceError if the process dies or times out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServiceError(f"{self.name} exited with {self.process.returncode}: "
                                   f"{self.log_tail()}")
            try:
                urllib.request.urlopen(self.url + path, timeout=1).close()
                return self
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.1)
        self.stop()
        raise ServiceError(f"{self.name} not ready after {timeout:.0f} s: {self.log_tail()}")

    def log_tail(self, chars: int = 2000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def stop(self, timeout: float = 10) -> None:
        if self.process.poll() is None:
            self.process.send_signal(self.stop_signal)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _spawn(name: str, argv: list[str], url: str, workdir: Path, env: dict | None = None,
           stop_signal: int = signal.SIGTERM) -> Service:
    log_path = workdir / f"{name}.log"
    with log_path.open("wb") as log:
        # A session of its own: Ctrl-C reaches only the parent, which stops
        # the services in order instead of racing their own SIGINT handling.
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=workdir,
                                env=env, start_new_session=True)
    return Service(name, url, proc, log_path, stop_signal)


def _start(name: str, argv: list[str], url: str, ready_path: str, workdir: Path, timeout: float) -> Service:
    return _spawn(name, argv, url, workdir).wait_ready(ready_path, timeout)


def spawn_python(name: str, args: list[str], port: int, workdir: Path, *,
                 env: dict[str, str] | None = None, stop_signal: int = signal.SIGTERM) -> Service:
    """Start ``python -m qobserve.cli <args>`` serving on ``127.0.0.1:port``; not waited for.

    Call :meth:`Service.wait_ready` with the command's health path before use.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "qobserve.cli", *args]
    return _spawn(name, argv, f"http://127.0.0.1:{port}", workdir, {**os.environ, **(env or {})},
                  stop_signal)


def start_prometheus(config: str | dict, workdir: Path, *, port: int | None = None,
                     timeout: float = 30) -> Service:
    """Run Prometheus with ``config`` (YAML text or a mapping) on 127.0.0.1."""
    import yaml

    binary = _binary(*_PROMETHEUS)
    workdir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    cfg = workdir / "prometheus.yml"
    cfg.write_text(config if isinstance(config, str) else yaml.safe_dump(config))
    argv = [binary, f"--config.file={cfg}", f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}", "--web.enable-lifecycle",
            "--storage.tsdb.retention.time=1d"]
    return _start("prometheus", argv, f"http://127.0.0.1:{port}", "/-/ready", workdir, timeout)


def start_alertmanager(config_path: Path, workdir: Path, *, port: int | None = None,
                       timeout: float = 30, cluster_port: int | None = None,
                       peers: tuple[str, ...] = (), peer_timeout: str = "15s") -> Service:
    """Run Alertmanager with ``config_path`` on 127.0.0.1.

    Clustering is off unless ``cluster_port`` is given; then it gossips on
    ``127.0.0.1:cluster_port`` with ``peers`` (``host:port`` of the others), and
    waits ``peer_timeout`` per position before notifying (Alertmanager's own
    de-duplication across replicas).
    """
    binary = _binary(*_ALERTMANAGER)
    workdir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    argv = [binary, f"--config.file={config_path}", f"--storage.path={workdir / 'am-data'}",
            f"--web.listen-address=127.0.0.1:{port}"]
    if cluster_port is None:
        argv.append("--cluster.listen-address=")
    else:
        argv += [f"--cluster.listen-address=127.0.0.1:{cluster_port}",
                 f"--cluster.advertise-address=127.0.0.1:{cluster_port}",
                 f"--cluster.peer-timeout={peer_timeout}", "--cluster.gossip-interval=50ms",
                 "--cluster.pushpull-interval=1s",
                 *(f"--cluster.peer={peer}" for peer in peers)]
    return _start("alertmanager", argv, f"http://127.0.0.1:{port}", "/-/ready", workdir, timeout)
