"""Silence a backend's alerts for a maintenance window through the Alertmanager API v2.

Unplanned or one-off provider maintenance is a silence (``POST /api/v2/silences``)
rather than a routing change; recurring windows belong in the routing spec's
``maintenance`` section.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

from qobserve import semconv
from qobserve.semconv import Attr
from qobserve.slo.windows import parse_duration

__all__ = ["SilenceError", "backend_silence", "create_silence", "maintenance_window", "run_silence"]


class SilenceError(RuntimeError):
    """Alertmanager refused or could not be reached; the message says which and why."""


def _parse_time(text: str, field: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{field}: {text!r} is not an ISO 8601 time such as "
                         "2026-01-04T02:00:00Z") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def maintenance_window(*, start: str | None = None, end: str | None = None,
                       duration: str | None = None,
                       now: datetime | None = None) -> tuple[datetime, datetime]:
    """Resolve ``--start/--end/--duration`` into an aware (start, end) pair.

    ``start`` defaults to now; exactly one of ``end`` and ``duration`` is required.

    Raises:
        ValueError: naming the option and the fix.
    """
    begin = _parse_time(start, "--start") if start else (now or datetime.now(UTC))
    if (end is None) == (duration is None):
        raise ValueError("--end/--duration: give exactly one, e.g. --duration 4h")
    finish = (_parse_time(end, "--end") if end
              else begin + timedelta(milliseconds=parse_duration(duration or "")))
    if finish <= begin:
        raise ValueError(f"--end: {finish.isoformat()} is not after --start {begin.isoformat()}")
    return begin, finish


def backend_silence(backend: str, *, start: datetime, end: datetime, comment: str,
                    author: str, provider: str | None = None) -> dict:
    """The silence body muting every alert labelled with ``backend`` (pure)."""
    matchers = [{"name": semconv.LABEL[Attr.BACKEND], "value": backend,
                 "isRegex": False, "isEqual": True}]
    if provider:
        matchers.append({"name": semconv.LABEL[Attr.PROVIDER], "value": provider,
                         "isRegex": False, "isEqual": True})
    return {"matchers": matchers, "startsAt": start.isoformat(), "endsAt": end.isoformat(),
            "createdBy": author, "comment": comment}


def create_silence(alertmanager: str, silence: dict, *, timeout: float = 10.0) -> str:
    """POST ``silence`` to ``<alertmanager>/api/v2/silences`` and return the silence id.

    Raises:
        SilenceError: Alertmanager answered with an error or was unreachable.
    """
    url = f"{alertmanager.rstrip('/')}/api/v2/silences"
    request = urllib.request.Request(url, data=json.dumps(silence).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())["silenceID"]
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace").strip()
        raise SilenceError(f"Alertmanager at {alertmanager} rejected the silence "
                           f"(HTTP {exc.code}): {detail}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise SilenceError(f"cannot reach Alertmanager at {alertmanager}: "
                           f"{getattr(exc, 'reason', exc)}; check --alertmanager") from None


def run_silence(*, alertmanager: str, backend: str, provider: str | None, start: str | None,
                end: str | None, duration: str | None, comment: str, author: str,
                echo=print) -> int:
    """CLI body of ``qobserve silence``: returns the exit code."""
    try:
        begin, finish = maintenance_window(start=start, end=end, duration=duration)
        silence_id = create_silence(alertmanager, backend_silence(
            backend, start=begin, end=finish, comment=comment, author=author, provider=provider))
    except (ValueError, SilenceError) as exc:
        echo(f"error: {exc}")
        return 1
    echo(f"silence {silence_id}: {backend} muted {begin.isoformat()} → {finish.isoformat()}")
    return 0
