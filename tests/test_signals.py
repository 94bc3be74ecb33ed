"""Foreground loops put the process's signal handlers back when they return."""

from __future__ import annotations

import signal

from qobserve._signals import handlers
from qobserve.exporter import serve


def test_handlers_are_restored_after_the_block():
    """Inside the block the new handler is set; after it, the previous one is back."""
    before = signal.getsignal(signal.SIGTERM)
    with handlers({signal.SIGTERM: lambda *_: None}):
        assert signal.getsignal(signal.SIGTERM) is not before
    assert signal.getsignal(signal.SIGTERM) is before


def test_exporter_serve_leaves_no_handler_behind(tmp_path):
    """An exporter that refuses its config restores SIGTERM/SIGINT/SIGHUP (a leaked SIGTERM
    handler made forked multiprocessing workers ignore Pool.terminate and hang)."""
    sigs = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
    before = {s: signal.getsignal(s) for s in sigs}
    errors: list[str] = []
    assert serve(tmp_path / "missing.yaml", echo=lambda _: None, err=errors.append) == 2
    assert errors and {s: signal.getsignal(s) for s in sigs} == before
