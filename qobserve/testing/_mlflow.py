"""A local ``mlflow server`` (SQLite store, served artifacts) for tests, demos and laptops.

    with start_mlflow_server() as server:
        os.environ["MLFLOW_TRACKING_URI"] = server.url
        ...

``mlflow server`` forks uvicorn and a job runner: the process runs in a session
of its own and :meth:`MlflowServer.stop` / :meth:`MlflowServer.kill` signal the
whole group. Start-up takes 10–60 s (imports and the first database migration).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from qobserve.testing.services import Service, free_port, spawn, workdir_for

__all__ = ["MlflowServer", "start_mlflow_server"]


@dataclass
class MlflowServer(Service):
    """A running ``mlflow server`` process group on 127.0.0.1."""

    def alive(self) -> bool:
        return self.process.poll() is None

    def _signal_group(self, sig: int) -> None:
        try:
            os.killpg(self.process.pid, sig)  # pid == pgid: spawn() starts a new session
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        """SIGKILL the whole group at once: a crash, not a shutdown."""
        self._signal_group(signal.SIGKILL)
        self.process.wait()

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM the group, SIGKILL what is left after ``timeout`` (uvicorn workers, job runner)."""
        self._signal_group(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            pass  # the SIGKILL below ends it
        self.kill()
        self._cleanup()

    def span_processor(self, experiment: str):
        """A batching span processor exporting to this server's ``/v1/traces``, into ``experiment``."""
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        from qobserve.training._mlflow_util import mlflow_trace_env

        env = mlflow_trace_env(experiment, tracking_uri=self.url)
        header, _, value = env["OTEL_EXPORTER_OTLP_TRACES_HEADERS"].partition("=")
        return BatchSpanProcessor(
            OTLPSpanExporter(
                endpoint=env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"], headers={header: value}
            ),
            schedule_delay_millis=1000,
        )


def start_mlflow_server(
    workdir: Path | None = None, *, port: int | None = None, timeout: float = 180
) -> MlflowServer:
    """Start ``mlflow server`` with ``sqlite:///<workdir>/mlflow.db`` and artifacts in ``<workdir>/artifacts``.

    Args:
        workdir: holds the database, artifacts and the server log (default: a temp dir,
            removed on stop).
        port: default a free one.
        timeout: seconds to wait for ``/health``.

    Raises:
        ServiceError: the server exited or did not answer in time (with its log's tail);
            ``mlflow`` not installed (``pip install 'qobserve[mlflow]'``).
    """
    workdir, owned = workdir_for("mlflow", Path(workdir) if workdir is not None else None)
    port = port or free_port()
    argv = [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--backend-store-uri",
        f"sqlite:///{workdir / 'mlflow.db'}",
        "--artifacts-destination",
        str(workdir / "artifacts"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    server = spawn(
        "mlflow-server",
        argv,
        f"http://127.0.0.1:{port}",
        workdir,
        cls=MlflowServer,
        owned_dir=owned,
    )
    return server.wait_ready("/health", timeout)
