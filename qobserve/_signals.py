"""Install process signal handlers for as long as a server runs, then put the old ones back.

A handler left behind outlives its server: the next ``fork()`` (Braket's local
simulator runs batches in a ``multiprocessing.Pool``) hands it to children that
then ignore the pool's SIGTERM and hang. So every foreground loop of qobserve
(exporter, alert bridge, ``demo --stack``) installs its handlers through
:func:`handlers`, which restores the previous ones on exit, and does nothing off
the main thread, where Python cannot set them.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

__all__ = ["handlers"]


@contextmanager
def handlers(table: Mapping[signal.Signals, Callable[..., object]]) -> Iterator[None]:
    """Set ``signal → handler`` for the duration of the block (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, fn) for sig, fn in table.items()}
    try:
        yield
    finally:
        for sig, fn in previous.items():
            signal.signal(sig, fn)
