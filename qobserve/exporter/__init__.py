"""``qobserve exporter``: a sidecar that probes backends and serves ``/metrics``.

Probes (calibration, status, randomized benchmarking) run on their own
schedules and their results are cached, so a scrape never waits on a provider
API. SIGHUP (or ``--watch``) reloads the config without dropping the series of
unchanged backends; SIGTERM stops within seconds. See :mod:`.config` for the
file format.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from pathlib import Path

from qobserve.exporter.app import Exporter
from qobserve.exporter.config import ConfigError, ExporterConfig, load_config

__all__ = ["ConfigError", "Exporter", "ExporterConfig", "load_config", "serve"]

log = logging.getLogger("qobserve.exporter")


def serve(config_path: str | Path, *, watch_seconds: float | None = None, echo=print) -> int:
    """Run the exporter until SIGTERM/SIGINT; returns the exit code.

    A bad config exits 2 before anything is served; a bad config on reload is
    reported and the running config is kept.
    """
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        echo(f"error: {exc}")
        return 2
    exporter = Exporter(config)
    stop = threading.Event()
    reload_now = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGHUP, lambda *_: reload_now.set())
    exporter.start()
    host, port = exporter.address
    echo(f"qobserve exporter: {len(config.backends)} backends, serving http://{host}:{port}/metrics")
    mtime = os.stat(config_path).st_mtime
    while not stop.wait(watch_seconds or 1.0):
        if watch_seconds:
            new_mtime = os.stat(config_path).st_mtime if os.path.exists(config_path) else mtime
            if new_mtime != mtime:
                mtime = new_mtime
                reload_now.set()
        if reload_now.is_set():
            reload_now.clear()
            try:
                exporter.reload(load_config(config_path))
                echo("config reloaded")
            except ConfigError as exc:
                echo(f"error: reload refused, keeping the running config: {exc}")
    exporter.stop()
    echo("qobserve exporter stopped")
    return 0
