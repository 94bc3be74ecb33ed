"""Start Prometheus and Alertmanager from the Debian packages on 127.0.0.1.

Each service gets a free port and its own data directory and is stopped (then
killed if it ignores SIGTERM) by :meth:`Service.stop`, so nothing is left
running. A missing binary raises an error naming the Debian package.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Service", "ServiceError", "free_port", "start_alertmanager", "start_prometheus"]


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


@dataclass
class Service:
    name: str
    url: str
    process: subprocess.Popen
    log_path: Path

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

    def stop(self, timeout: float = 10) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _start(name: str, argv: list[str], url: str, ready_path: str, workdir: Path, timeout: float) -> Service:
    log_path = workdir / f"{name}.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    service = Service(name, url, proc, log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServiceError(f"{name} exited with {proc.returncode}: {log_path.read_text()[-2000:]}")
        try:
            urllib.request.urlopen(url + ready_path, timeout=1).close()
            return service
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.1)
    service.stop()
    raise ServiceError(f"{name} not ready after {timeout:.0f} s: {log_path.read_text()[-2000:]}")


def start_prometheus(config: str | dict, workdir: Path, *, port: int | None = None,
                     timeout: float = 30) -> Service:
    """Run Prometheus with ``config`` (YAML text or a mapping) on 127.0.0.1."""
    import yaml

    binary = _binary(("prometheus",), "prometheus")
    workdir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    cfg = workdir / "prometheus.yml"
    cfg.write_text(config if isinstance(config, str) else yaml.safe_dump(config))
    argv = [binary, f"--config.file={cfg}", f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}", "--web.enable-lifecycle",
            "--storage.tsdb.retention.time=1d"]
    return _start("prometheus", argv, f"http://127.0.0.1:{port}", "/-/ready", workdir, timeout)


def start_alertmanager(config_path: Path, workdir: Path, *, port: int | None = None,
                       timeout: float = 30) -> Service:
    """Run Alertmanager with ``config_path`` on 127.0.0.1, clustering off."""
    binary = _binary(("prometheus-alertmanager", "alertmanager"), "prometheus-alertmanager")
    workdir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    argv = [binary, f"--config.file={config_path}", f"--storage.path={workdir / 'am-data'}",
            f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="]
    return _start("alertmanager", argv, f"http://127.0.0.1:{port}", "/-/ready", workdir, timeout)
