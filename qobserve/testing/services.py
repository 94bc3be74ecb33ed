"""Real service processes on 127.0.0.1: binary lookup, start, bounded waits, stop.

The one home of the code that starts Prometheus, Alertmanager and redis-server
(the Prometheus, Alertmanager and redis-server starters build on it) for
the pytest fixtures of :mod:`qobserve.testing`, the project's integration tests
and ``qobserve demo --stack``.

Binaries come from the Debian packages; ``PROMETHEUS_BIN``, ``ALERTMANAGER_BIN``
and ``REDIS_SERVER_BIN`` name another executable and take precedence over PATH.
A missing one raises :class:`MissingBinary`, one line naming the package. Every
wait is bounded and its error ends with the tail of the service's output; a
service stops with SIGTERM, then SIGKILL after a timeout, and removes the
temporary directory it created.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

__all__ = [
    "ALERTMANAGER",
    "PROMETHEUS",
    "REDIS_SERVER",
    "Binary",
    "MissingBinary",
    "Service",
    "ServiceError",
    "find_binary",
    "free_port",
    "missing_packages",
    "poll",
    "spawn",
    "spawn_python",
    "wait_until",
]

T = TypeVar("T")
S = TypeVar("S", bound="Service")


class ServiceError(RuntimeError):
    """A local service could not be started, or did not answer in time."""


class MissingBinary(ServiceError):
    """A service's executable is not installed (the message names the Debian package)."""


@dataclass(frozen=True)
class Binary:
    """An executable: names tried on PATH, its Debian package, the variable overriding it."""

    names: tuple[str, ...]
    package: str
    env: str


PROMETHEUS = Binary(("prometheus",), "prometheus", "PROMETHEUS_BIN")
# Debian installs Alertmanager as prometheus-alertmanager; upstream tarballs as alertmanager.
ALERTMANAGER = Binary(
    ("prometheus-alertmanager", "alertmanager"), "prometheus-alertmanager", "ALERTMANAGER_BIN"
)
REDIS_SERVER = Binary(("redis-server",), "redis-server", "REDIS_SERVER_BIN")


def find_binary(binary: Binary) -> str:
    """The executable's path: ``$<binary.env>`` if set, else the first name found on PATH.

    Raises:
        MissingBinary: not installed, or the variable names no executable.
    """
    install = f"apt-get install {binary.package}"
    if override := os.environ.get(binary.env):
        if path := shutil.which(override):
            return path
        raise MissingBinary(
            f"{binary.env}={override} is not an executable: fix or unset "
            f"{binary.env}, or {install} (Debian package {binary.package})"
        )
    for name in binary.names:
        if path := shutil.which(name):
            return path
    raise MissingBinary(
        f"{binary.names[0]} not found on PATH: {install} (Debian package "
        f"{binary.package}) or set {binary.env}"
    )


def missing_packages(*binaries: Binary) -> list[str]:
    """Debian packages of ``binaries`` (default Prometheus and Alertmanager) that cannot be found."""
    missing = []
    for binary in binaries or (PROMETHEUS, ALERTMANAGER):
        try:
            find_binary(binary)
        except MissingBinary:
            missing.append(binary.package)
    return missing


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (another process may take it before it is bound)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(
    predicate: Callable[[], T],
    *,
    timeout: float,
    what: str,
    service: Service | None = None,
    interval: float = 0.1,
) -> T:
    """Poll ``predicate`` until it returns something truthy and return that.

    ``OSError`` from the predicate counts as not yet. Raises :class:`ServiceError`
    naming ``what`` when ``timeout`` seconds pass or ``service`` exits, with the
    tail of the service's output.
    """
    deadline = time.monotonic() + timeout
    while True:
        if service is not None and service.process.poll() is not None:
            raise ServiceError(
                f"{service.name} exited with {service.process.returncode} while "
                f"waiting for {what}:\n{service.log_tail()}"
            )
        try:
            value = predicate()
        except OSError:
            value = None
        if value:
            return value
        if time.monotonic() >= deadline:
            tail = f":\n{service.log_tail()}" if service is not None else ""
            raise ServiceError(f"{what}: not within {timeout:g} s{tail}")
        time.sleep(interval)


def poll(
    fetch: Callable[[], T],
    predicate: Callable[[T], object],
    *,
    timeout: float,
    what: str,
    service: Service | None = None,
    interval: float = 0.25,
) -> T:
    """Call ``fetch`` until ``predicate`` holds for its answer and return that answer.

    Raises:
        ServiceError: as :func:`wait_until`, with the last answer appended.
    """
    last: list[T] = []

    def check() -> bool:
        last[:] = [fetch()]
        return bool(predicate(last[0]))

    try:
        wait_until(check, timeout=timeout, what=what, service=service, interval=interval)
    except ServiceError as exc:
        raise ServiceError(f"{exc}\nlast answer: {last[0] if last else 'none'}") from None
    return last[0]


@dataclass
class Service:
    """A started process: ``url``, ``process``, its output in ``log_path``.

    ``stop()`` (also on leaving a ``with`` block) sends ``stop_signal``, kills the
    process after a timeout and removes ``owned_dir`` (a temp dir it created).
    """

    name: str
    url: str
    process: subprocess.Popen
    log_path: Path
    stop_signal: int = signal.SIGTERM
    owned_dir: Path | None = None

    def __enter__(self: S) -> S:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return int(urllib.parse.urlsplit(self.url).port or 0)

    def get(self, path: str, **params: Any) -> Any:
        """GET a JSON API path, e.g. ``/api/v1/query`` with ``query=up``."""
        query = urllib.parse.urlencode(params, doseq=True)
        with urllib.request.urlopen(
            f"{self.url}{path}{'?' + query if query else ''}", timeout=10
        ) as r:
            return json.loads(r.read())

    def post(self, path: str, body: object = None) -> Any:
        """POST ``body`` as JSON (nothing when None); the decoded answer, None if empty."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"{self.url}{path}",
            data=data,
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            answer = r.read()
        return json.loads(answer) if answer else None

    def wait_ready(self: S, probe: str | Callable[[], object], timeout: float = 30) -> S:
        """Wait until the HTTP path ``probe`` answers (or the callable returns truthy).

        Raises:
            ServiceError: the process exited or ``timeout`` passed (then it is stopped).
        """
        if isinstance(probe, str):
            path = probe

            def probe() -> bool:
                urllib.request.urlopen(self.url + path, timeout=1).close()
                return True

        try:
            wait_until(
                probe, timeout=timeout, what=f"{self.name} ready at {self.url}", service=self
            )
        except ServiceError:
            self.stop()  # the error already holds the output's tail
            raise
        return self

    def log_tail(self, chars: int = 2000) -> str:
        """The last ``chars`` characters of the process's stdout and stderr."""
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self, timeout: float = 10) -> None:
        """Send ``stop_signal``; SIGKILL after ``timeout`` seconds; remove ``owned_dir``."""
        if self.process.poll() is None:
            self.process.send_signal(self.stop_signal)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self._cleanup()

    def kill(self) -> None:
        """SIGKILL, as a crash would; the directory is kept until :meth:`stop`."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()

    def _cleanup(self) -> None:
        if self.owned_dir is not None:
            shutil.rmtree(self.owned_dir, ignore_errors=True)
            self.owned_dir = None


def workdir_for(name: str, workdir: Path | None) -> tuple[Path, Path | None]:
    """``(workdir, owned)``: the given directory (created), or a new temp dir that is owned."""
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
        return workdir, None
    owned = Path(tempfile.mkdtemp(prefix=f"qobserve-{name}-"))
    return owned, owned


def spawn(
    name: str,
    argv: list[str],
    url: str,
    workdir: Path,
    *,
    env: dict[str, str] | None = None,
    cls: type[S],
    stop_signal: int = signal.SIGTERM,
    owned_dir: Path | None = None,
    **fields: Any,
) -> S:
    """Start ``argv`` in ``workdir`` with its output in ``workdir/<name>.log``; not waited for.

    Returns:
        A ``cls`` (:class:`Service` or a subclass) with ``fields`` set.
    """
    log_path = workdir / f"{name}.log"
    with log_path.open("wb") as log:
        # A session of its own: Ctrl-C reaches only the parent, which stops
        # the services in order instead of racing their own SIGINT handling.
        proc = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    return cls(
        name=name,
        url=url,
        process=proc,
        log_path=log_path,
        stop_signal=stop_signal,
        owned_dir=owned_dir,
        **fields,
    )


def spawn_python(
    name: str,
    args: list[str],
    port: int,
    workdir: Path,
    *,
    env: dict[str, str] | None = None,
    stop_signal: int = signal.SIGTERM,
) -> Service:
    """Start ``python -m qobserve.cli <args>`` serving on ``127.0.0.1:port``; not waited for.

    Call :meth:`Service.wait_ready` with the command's health path before use.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "qobserve.cli", *args]
    return spawn(
        name,
        argv,
        f"http://127.0.0.1:{port}",
        workdir,
        cls=Service,
        env={**os.environ, **(env or {})},
        stop_signal=stop_signal,
    )
