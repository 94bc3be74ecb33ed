"""A local ``mlflow server`` (SQLite store, served artifacts) for tests, demos and laptops.

    server = start_mlflow_server(Path("/tmp/mlflow"))
    os.environ["MLFLOW_TRACKING_URI"] = server.url
    ...
    server.stop()

The server runs in a process group of its own (``mlflow server`` forks uvicorn
and a job runner), so :meth:`MlflowServer.stop` and :meth:`MlflowServer.kill`
end all of it. Start-up takes 10–60 s (imports and the first database migration).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MlflowServer", "start_mlflow_server"]


@dataclass
class MlflowServer:
    """A running ``mlflow server`` process group on 127.0.0.1."""

    url: str
    process: subprocess.Popen
    workdir: Path

    @property
    def log_path(self) -> Path:
        return self.workdir / "mlflow-server.log"

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def alive(self) -> bool:
        return self.process.poll() is None

    def _signal(self, sig: int) -> None:
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        """SIGKILL the whole group at once: a crash, not a shutdown."""
        self._signal(signal.SIGKILL)
        self.process.wait()

    def span_processor(self, experiment: str):
        """A batching span processor exporting to this server's ``/v1/traces``, into ``experiment``."""
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        from qobserve.training._mlflow_util import mlflow_trace_env

        env = mlflow_trace_env(experiment, tracking_uri=self.url)
        header, _, value = env["OTEL_EXPORTER_OTLP_TRACES_HEADERS"].partition("=")
        return BatchSpanProcessor(OTLPSpanExporter(
            endpoint=env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"], headers={header: value}),
            schedule_delay_millis=1000)

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM the group, SIGKILL whatever is left after ``timeout`` seconds."""
        self._signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
        self._signal(signal.SIGKILL)  # uvicorn workers and the job runner too
        self.process.wait()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_mlflow_server(workdir: Path, *, port: int | None = None,
                        timeout: float = 180) -> MlflowServer:
    """Start ``mlflow server`` with ``sqlite:///<workdir>/mlflow.db`` and artifacts in ``<workdir>/artifacts``.

    Args:
        workdir: created if missing; holds the database, artifacts and the server log.
        port: default a free one.
        timeout: seconds to wait for ``/health``.

    Raises:
        RuntimeError: the server exited or did not answer in time (with its log's tail);
            ``mlflow`` not installed (``pip install 'qobserve[mlflow]'``).
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    port = port or _free_port()
    argv = [sys.executable, "-m", "mlflow", "server",
            "--backend-store-uri", f"sqlite:///{workdir / 'mlflow.db'}",
            "--artifacts-destination", str(workdir / "artifacts"),
            "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    with (workdir / "mlflow-server.log").open("wb") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=workdir,
                                start_new_session=True)
    server = MlflowServer(f"http://127.0.0.1:{port}", proc, workdir)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server.alive():
            raise RuntimeError(f"mlflow server exited with {proc.returncode} (is 'qobserve[mlflow]' "
                               f"installed?): {server.log_tail()}")
        try:
            urllib.request.urlopen(f"{server.url}/health", timeout=2).close()
            return server
        except (urllib.error.URLError, OSError):
            time.sleep(0.25)
    server.stop()
    raise RuntimeError(f"mlflow server not ready after {timeout:.0f} s: {server.log_tail()}")
