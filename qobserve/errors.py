"""Error classification shared by every provider.

The executor decides retry / reroute / give up from an :class:`ErrorInfo`, and
instrumentation puts its ``error_type`` on spans and the ``error_type`` label.
Each SDK contributes a classifier (registered in :data:`CLASSIFIERS`) that
recognises its own exception classes; anything unrecognised is ``UNKNOWN``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "CLASSIFIERS",
    "UNREACHABLE",
    "ErrorInfo",
    "ErrorKind",
    "classify",
    "outcome_unknown",
    "register_classifier",
    "transport_failure",
    "unreachable",
]

#: error_type of a provider API that could not be reached (nothing was sent).
UNREACHABLE = "unreachable"


class ErrorKind(StrEnum):
    TRANSIENT = "transient"  # retry on the same backend after a backoff
    REROUTE = "reroute"  # backend unavailable: go to the next target, don't retry here
    PERMANENT = "permanent"  # the job itself is wrong (validation, auth, quota): never retry
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ErrorInfo:
    """What an error means for the caller.

    Attributes:
        kind: how to react.
        error_type: low-cardinality class name or provider code for the
            ``error_type`` label; never a message (messages may hold secrets).
        retry_after: provider hint in seconds (Retry-After, throttling), if any.
    """

    kind: ErrorKind
    error_type: str
    retry_after: float | None = None


Classifier = Callable[[BaseException], ErrorInfo | None]

#: Tried in order; the first non-None answer wins.
CLASSIFIERS: list[Classifier] = []


def register_classifier(fn: Classifier) -> Classifier:
    """Add a provider classifier (usable as a decorator)."""
    if fn not in CLASSIFIERS:
        CLASSIFIERS.append(fn)
    return fn


def classify(exc: BaseException) -> ErrorInfo:
    """Classify an exception raised by a provider SDK or by qobserve itself."""
    _load_provider_classifiers()
    for fn in CLASSIFIERS:
        info = fn(exc)
        if info is not None:
            return info
    if isinstance(exc, TimeoutError):
        return ErrorInfo(ErrorKind.TRANSIENT, "timeout")
    if isinstance(exc, (ConnectionError, OSError)):
        return ErrorInfo(ErrorKind.TRANSIENT, type(exc).__name__)
    if isinstance(exc, (ValueError, TypeError)):
        return ErrorInfo(ErrorKind.PERMANENT, type(exc).__name__)
    return ErrorInfo(ErrorKind.UNKNOWN, type(exc).__name__)


# Transport failures, by class name (botocore, requests, urllib3, http.client, socket).
_NOT_SENT = (
    "EndpointConnectionError",
    "ConnectTimeoutError",
    "ConnectTimeout",
    "ConnectionRefusedError",
    "NewConnectionError",
    "NameResolutionError",
    "gaierror",
    "ProxyConnectionError",
    "TargetUnreachableError",
)
_MAYBE_SENT = (
    "ReadTimeoutError",
    "ReadTimeout",
    "ConnectionClosedError",
    "RemoteDisconnected",
    "ProtocolError",
    "ChunkedEncodingError",
    "IncompleteRead",
    "TimeoutError",
    "timeout",
)


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    """``exc`` and what it wraps: causes, contexts, urllib3's ``reason`` and
    requests' wrapped first argument."""
    todo, seen = [exc], set()
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen or not isinstance(e, BaseException):
            continue
        seen.add(id(e))
        yield e
        todo += [e.__cause__, e.__context__, getattr(e, "reason", None), *e.args[:1]]


def unreachable(exc: BaseException) -> str | None:
    """The transport failure behind ``exc`` when the request never reached the API
    (connect refused/timed out, DNS), else None. Looks through wrapped causes, so
    an SDK that reports a failed connection as a bad token is not believed."""
    for e in _chain(exc):
        if type(e).__name__ in _NOT_SENT:
            return type(e).__name__
    return None


def transport_failure(exc: BaseException) -> str | None:
    """The transport failure behind ``exc`` (connect or read), else None: for calls
    without side effects, such as building a device, either means unreachable."""
    for e in _chain(exc):
        if type(e).__name__ in _NOT_SENT + _MAYBE_SENT:
            return type(e).__name__
    return None


def outcome_unknown(exc: BaseException) -> bool:
    """True when a submission request may have reached the provider before it failed
    (the response timed out or the connection dropped after sending)."""
    if unreachable(exc) is not None:
        return False
    return any(type(e).__name__ in _MAYBE_SENT for e in _chain(exc))


_loaded = False


def _load_provider_classifiers() -> None:
    """Import each SDK's classifier module once; a missing SDK is simply skipped."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    import importlib

    for mod in ("qiskit", "braket", "cirq"):
        try:
            importlib.import_module(f"qobserve.instrumentation.{mod}.errors")
        except ImportError:
            pass
