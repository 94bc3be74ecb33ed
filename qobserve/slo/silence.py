"""Silence a backend's alerts for a maintenance window through the Alertmanager API v2.

Unplanned or one-off provider maintenance is a silence (``POST /api/v2/silences``)
rather than a routing change; recurring windows belong in the routing spec's
``maintenance`` section.
"""

from __future__ import annotations

import json
import math
import socket
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from qobserve import semconv
from qobserve._validation import duration_ms

__all__ = ["SilenceError", "backend_silence", "create_silence", "maintenance_window", "run_silence"]


class SilenceError(RuntimeError):
    """Alertmanager refused or could not be reached; the message says which and why."""


#: Longest silence accepted: a maintenance window is hours or days; a year is a typo.
MAX_SILENCE = timedelta(days=366)
#: quantum_provider values a silence may match (the contract's SDK families, and stim for RB).
PROVIDERS = (*(p.value for p in semconv.Provider), "stim")


def _parse_time(text: str, field: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{field}: {text!r} is not an ISO 8601 time such as 2026-01-04T02:00:00Z"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def maintenance_window(
    *,
    start: str | None = None,
    end: str | None = None,
    duration: str | None = None,
    now: datetime | None = None,
) -> tuple[datetime, datetime]:
    """Resolve ``--start/--end/--duration`` into an aware (start, end) pair.

    ``start`` defaults to now; exactly one of ``end`` and ``duration`` is required.

    Raises:
        ValueError: naming the option and the fix.
    """
    now = now or datetime.now(UTC)
    begin = _parse_time(start, "--start") if start is not None else now
    if (end is None) == (duration is None):
        raise ValueError("--end/--duration: give exactly one, e.g. --duration 4h")
    if end is not None:
        finish = _parse_time(end, "--end")
    else:
        assert duration is not None  # exactly one of end and duration, checked above
        try:
            length = timedelta(milliseconds=duration_ms(duration))
        except ValueError as exc:
            raise ValueError(f"--duration: {exc}") from None
        except OverflowError:
            length = MAX_SILENCE * 2
        if length > MAX_SILENCE:
            raise ValueError(
                f"--duration: {duration!r} is longer than 366d; a maintenance "
                "window is hours or days"
            )
        try:
            finish = begin + length
        except OverflowError:
            raise ValueError(
                f"--start: {begin.isoformat()} plus --duration {duration} is past the year 9999"
            ) from None
    if finish <= begin:
        raise ValueError(f"--end: {finish.isoformat()} is not after --start {begin.isoformat()}")
    if finish <= now:
        option = "--end" if end is not None else "--start/--duration"
        raise ValueError(
            f"{option}: the window ends {finish.isoformat()}, in the past; "
            "Alertmanager only silences from now on"
        )
    if finish - begin > MAX_SILENCE:
        raise ValueError(
            f"--end: {finish.isoformat()} is more than 366d after --start; a "
            "maintenance window is hours or days"
        )
    return begin, finish


def _check_names(
    *, alertmanager: str, backend: str, provider: str | None, comment: str, author: str
) -> None:
    """Refuse what Alertmanager would reject or, worse, accept wrongly (an empty matcher
    value matches every alert *without* the label)."""
    url = urlsplit(alertmanager.strip())
    try:
        url.port  # noqa: B018 (raises ValueError for a port out of range)
    except ValueError:
        url = url._replace(netloc="")
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ValueError(
            f"--alertmanager: expected a base URL like http://127.0.0.1:9093, got {alertmanager!r}"
        )
    for option, value in (("--backend", backend), ("--comment", comment), ("--author", author)):
        if not value.strip():
            raise ValueError(f"{option}: must not be empty")
        if not value.isprintable():
            raise ValueError(f"{option}: {value!r} has control characters; give it on one line")
    if backend != backend.strip() or " " in backend:
        raise ValueError(
            f"--backend: {backend!r} has spaces; give the quantum_backend label "
            "value exactly, e.g. ibm_brisbane"
        )
    if provider is not None and provider not in PROVIDERS:
        raise ValueError(f"--provider: {provider!r} is not one of {', '.join(PROVIDERS)}")


def backend_silence(
    backend: str,
    *,
    start: datetime,
    end: datetime,
    comment: str,
    author: str,
    provider: str | None = None,
) -> dict:
    """The silence body muting every alert labelled with ``backend`` (pure)."""
    matchers = [
        {"name": semconv.BACKEND_LABEL, "value": backend, "isRegex": False, "isEqual": True}
    ]
    if provider:
        matchers.append(
            {
                "name": semconv.PROVIDER_LABEL,
                "value": provider,
                "isRegex": False,
                "isEqual": True,
            }
        )
    return {
        "matchers": matchers,
        "startsAt": start.isoformat(),
        "endsAt": end.isoformat(),
        "createdBy": author,
        "comment": comment,
    }


def create_silence(alertmanager: str, silence: dict, *, timeout: float = 10.0) -> str:
    """POST ``silence`` to ``<alertmanager>/api/v2/silences`` and return the silence id.

    Raises:
        SilenceError: Alertmanager answered with an error, did not answer within
            ``timeout`` seconds, was unreachable, or answered something that is not
            Alertmanager's (one line each, naming ``--alertmanager``).
    """
    url = f"{alertmanager.strip().rstrip('/')}/api/v2/silences"
    request = urllib.request.Request(
        url,
        data=json.dumps(silence).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        detail = " ".join(exc.read().decode(errors="replace").split())[:300]
        raise SilenceError(
            f"--alertmanager: Alertmanager at {alertmanager} rejected the silence "
            f"(HTTP {exc.code}): {detail}"
        ) from None
    except TimeoutError:
        raise SilenceError(
            f"--alertmanager: no answer from {alertmanager} within {timeout:g} s; "
            "check the URL, or raise --timeout"
        ) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, (TimeoutError, socket.timeout)):
            raise SilenceError(
                f"--alertmanager: no answer from {alertmanager} within {timeout:g} s; "
                "check the URL, or raise --timeout"
            ) from None
        raise SilenceError(
            f"--alertmanager: cannot reach Alertmanager at {alertmanager}: "
            f"{' '.join(str(reason).split())}; check the URL"
        ) from None
    try:
        return str(json.loads(body)["silenceID"])
    except (ValueError, KeyError, TypeError):
        raise SilenceError(
            f"--alertmanager: {alertmanager} answered, but not as Alertmanager's "
            "API v2 does (no silenceID); check the URL"
        ) from None


def run_silence(
    *,
    alertmanager: str,
    backend: str,
    provider: str | None,
    start: str | None,
    end: str | None,
    duration: str | None,
    comment: str,
    author: str,
    timeout: float = 10.0,
    echo=None,
) -> int:
    """CLI body of ``qobserve silence``: returns the exit code (2 for bad options,
    1 when Alertmanager refused or could not be reached; the error on one stderr line)."""
    echo = echo or _echo
    try:
        _check_names(
            alertmanager=alertmanager,
            backend=backend,
            provider=provider,
            comment=comment,
            author=author,
        )
        if not (math.isfinite(timeout) and 0 < timeout <= 300):
            raise ValueError(f"--timeout: expected seconds in (0, 300], got {timeout:g}")
        begin, finish = maintenance_window(start=start, end=end, duration=duration)
    except ValueError as exc:
        echo(f"error: qobserve silence: {exc}", err=True)
        return 2
    try:
        silence_id = create_silence(
            alertmanager,
            backend_silence(
                backend, start=begin, end=finish, comment=comment, author=author, provider=provider
            ),
            timeout=timeout,
        )
    except SilenceError as exc:
        echo(f"error: qobserve silence: {exc}", err=True)
        return 1
    echo(f"silence {silence_id}: {backend} muted {begin.isoformat()} → {finish.isoformat()}")
    return 0


def _echo(message: str, *, err: bool = False) -> None:
    print(message, file=sys.stderr if err else sys.stdout)
