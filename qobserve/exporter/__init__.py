"""``qobserve exporter``: a sidecar that probes backends and serves ``/metrics``.

Probes (calibration, status, randomized benchmarking) run on their own
schedules and their results are cached, so a scrape never waits on a provider
API. SIGHUP (or ``--watch``) reloads the config without dropping the series of
unchanged backends, and re-reads credentials; a config that cannot be read,
decoded, parsed or validated on reload is logged as one line and the running
one kept. SIGTERM stops within seconds. See :mod:`.config` for the
file format.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from pathlib import Path

from qobserve.exporter.app import Exporter
from qobserve.exporter.config import ConfigError, ExporterConfig, load_config
from qobserve.exporter.credentials import RedactingFilter

__all__ = ["ConfigError", "Exporter", "ExporterConfig", "load_config", "serve"]

log = logging.getLogger("qobserve.exporter")


def _logging() -> None:
    """Log to stderr (unless the host application set logging up) through the secret filter."""
    root = logging.getLogger()
    if not root.handlers:
        # Libraries at WARNING (Qiskit logs every transpiler pass at INFO), ours at INFO.
        logging.basicConfig(
            level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        logging.getLogger("qobserve").setLevel(logging.INFO)
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


def _mtime(path) -> float | None:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return None


def _reload(exporter: Exporter, config_path, echo) -> None:
    """Load and apply the config; any failure keeps the running one and logs one line."""
    try:
        exporter.reload(load_config(config_path))
    except ConfigError as exc:
        log.error("reload refused, keeping the running config: %s", exc)
        return
    except Exception as exc:  # SIGHUP must never kill the process
        log.error(
            "reload refused, keeping the running config: %s: %s",
            type(exc).__name__,
            str(exc).splitlines()[0] if str(exc) else "",
        )
        return
    echo("config reloaded")


def serve(
    config_path: str | Path,
    *,
    watch_seconds: float | None = None,
    echo=print,
    err=lambda line: print(line, file=sys.stderr),
) -> int:
    """Run the exporter until SIGTERM/SIGINT; returns the exit code.

    A config that cannot be used (file, fields, credentials, state directory,
    ``listen`` address, TLS files) prints one line on ``err`` and returns 2
    before anything is served; any failure on reload is logged as one line and
    the running config kept.
    """
    from qobserve._signals import handlers
    from qobserve.exporter.server import ServerStartError
    from qobserve.state import StateDirError

    # Handlers first: a SIGHUP during the slow start-up (SDK imports) must not end the process.
    stop = threading.Event()
    reload_now = threading.Event()
    table = {
        signal.SIGTERM: lambda *_: stop.set(),
        signal.SIGINT: lambda *_: stop.set(),
        signal.SIGHUP: lambda *_: reload_now.set(),
    }
    with handlers(table):  # restored on return: a leaked handler would outlive this server
        _logging()
        if watch_seconds is not None and not 0 < watch_seconds <= 86400:  # also refuses nan
            err(
                f"error: --watch: expected seconds in (0, 86400], got {watch_seconds}; use 0 for SIGHUP only"
            )
            return 2
        try:
            config = load_config(config_path)
            exporter = Exporter(config)
        except (ConfigError, StateDirError, ServerStartError) as exc:
            err(f"error: {exc}")
            return 2
        exporter.start()
        host, port = exporter.address
        scheme = "https" if config.web.tls_cert_file else "http"
        echo(
            f"qobserve exporter: {len(config.backends)} backends, serving {scheme}://{host}:{port}/metrics, "
            f"state in {exporter.state_dir}"
        )
        mtime = _mtime(config_path)
        while not stop.wait(watch_seconds or 1.0):
            if watch_seconds:
                new_mtime = _mtime(config_path)
                if new_mtime is not None and new_mtime != mtime:
                    mtime = new_mtime
                    reload_now.set()
            if reload_now.is_set():
                reload_now.clear()
                _reload(exporter, config_path, echo)
        exporter.stop()
        echo("qobserve exporter stopped")
        return 0
