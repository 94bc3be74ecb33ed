"""One way to read config files and to say what is wrong with them.

Every YAML input (exporter, alert bridge, game-day scenarios, executor policies,
SLO specs, pricing tables) is read with :func:`read_yaml` and its pydantic
errors rendered by :func:`validation_message`, so each error names the field
the same way: ``backends[1].faults.timeout_rate: …``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from datetime import timedelta
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError

__all__ = [
    "MAX_DURATION_S",
    "Duration",
    "PromDuration",
    "StrictModel",
    "at_most",
    "duration_ms",
    "field_path",
    "format_duration",
    "parse_duration",
    "prometheus_duration",
    "read_yaml",
    "validation_message",
]

_UNKNOWN_KEY = "unknown key: remove it or fix its spelling"


def field_path(loc: Sequence[str | int], prefix: str = "") -> str:
    """``("backends", 0, "backend")`` → ``backends[0].backend`` (after ``prefix``)."""
    out = prefix
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def validation_message(exc: ValidationError, *, prefix: str = "", sep: str = "; ") -> str:
    """Every error of ``exc`` as ``field: problem``, joined by ``sep``."""
    lines = []
    for err in exc.errors():
        path = field_path(err["loc"], prefix) or "value"
        msg = (
            _UNKNOWN_KEY
            if err["type"] == "extra_forbidden"
            else err["msg"].removeprefix("Value error, ")
        )
        lines.append(f"{path}: {msg}")
    return sep.join(lines)


def read_yaml(path: str | Path, error: type[Exception], *, expect: str = "a mapping") -> Any:
    """Load a YAML file that must hold a mapping.

    Raises:
        error: one line naming the file: unreadable, not YAML, or not a mapping.
    """
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML: {_first_line(exc)}") from None
    except RecursionError:
        raise error(f"{path}: not valid YAML: nested too deeply") from None
    if not isinstance(data, dict):
        raise error(f"{path}: expected {expect}")
    return data


def _first_line(exc: BaseException) -> str:
    """A YAML error on one line: the problem and where (``line 3, column 7``)."""
    problem, mark = getattr(exc, "problem", None), getattr(exc, "problem_mark", None)
    if problem and mark is not None:
        return f"{problem} (line {mark.line + 1}, column {mark.column + 1})"
    return next(
        (line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__
    )


#: The one duration grammar: number-unit parts from largest to smallest unit, each at
#: most once (Prometheus' form: ``30d``, ``6h``, ``5m``, ``30s``, ``500ms``, ``1h30m``),
#: plus decimals (``1.5h``) which configs have always accepted.
_NUMBER = r"(\d+(?:\.\d+)?)"
_DURATION = re.compile(
    rf"^(?:{_NUMBER}d)?(?:{_NUMBER}h)?(?:{_NUMBER}m(?!s))?(?:{_NUMBER}s)?(?:{_NUMBER}ms)?$"
)
_UNITS = ("d", "h", "m", "s", "ms")
_UNIT_MS = (86_400_000, 3_600_000, 60_000, 1000, 1)


#: Longest duration any setting accepts: ten years. Longer values are typos, and past
#: ``threading.TIMEOUT_MAX`` a wait on them raises OverflowError in a background thread.
MAX_DURATION_S = 10 * 365 * 86400


def _duration_ms(text: object) -> Fraction | None:
    """Exact milliseconds of a duration text, or None when ``text`` is not one."""
    match = _DURATION.match(text.strip()) if isinstance(text, str) else None
    if not match or not any(match.groups()):
        return None
    return sum(
        (Fraction(v) * unit for v, unit in zip(match.groups(), _UNIT_MS, strict=True) if v),
        Fraction(0),
    )


def duration_ms(text: str) -> int:
    """A Prometheus-style duration text (``30d``, ``1h30m``, ``500ms``) → milliseconds.

    Raises:
        ValueError: not a duration, not positive, or not whole milliseconds.
    """
    ms = _duration_ms(text)
    if ms is None:
        raise ValueError(f"{text!r} is not a duration: use e.g. 30d, 6h, 5m, 30s or 1h30m")
    if ms <= 0:
        raise ValueError(f"{text!r}: a duration must be positive")
    if ms.denominator != 1:
        raise ValueError(f"{text!r}: a duration must be whole milliseconds")
    return int(ms)


def parse_duration(value: object) -> float:
    """``30s`` / ``5m`` / ``6h`` / ``1d`` / ``1h30m`` (or a number of seconds) → seconds in (0, ten years].

    Raises:
        ValueError: not a duration, not positive, not finite, or longer than ten years.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a duration like 30s, 5m, 6h; got {value!r}")
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)):
        seconds = float(value) if abs(value) < 1e300 else float("inf")
    else:
        ms = _duration_ms(str(value))
        if ms is None:
            raise ValueError(f"expected a duration like 30s, 5m, 6h; got {value!r}")
        seconds = float(ms / 1000)
    if not math.isfinite(seconds):
        raise ValueError(f"must be a finite duration like 30s, 5m, 6h; got {value!r}")
    if seconds <= 0:
        raise ValueError(f"must be positive, got {value!r}")
    if seconds > MAX_DURATION_S:
        raise ValueError(f"must be at most 3650d (ten years), got {value!r}")
    return seconds


def at_most(limit: str) -> Callable[[float], float]:
    """An after-validator capping a :data:`Duration` at ``limit`` (``30d``) for settings a wait uses.

    Use as ``Annotated[Duration, AfterValidator(at_most("30d"))]``; the error names the
    cap: ``must be a finite duration of at most 30d, got …``.
    """
    cap = duration_ms(limit) / 1000

    def check(seconds: float) -> float:
        if not math.isfinite(seconds) or seconds > cap:
            raise ValueError(f"must be a finite duration of at most {limit}, got {seconds}")
        return seconds

    return check


def prometheus_duration(text: str) -> str:
    """A duration text Prometheus accepts: unchanged when it already is one, else canonical.

    ``1.5h`` becomes ``1h30m`` (Prometheus durations have whole numbers per unit).

    Raises:
        ValueError: as :func:`duration_ms`.
    """
    ms = duration_ms(text)
    return format_duration(ms) if "." in text else text.strip()


def format_duration(ms: int) -> str:
    """Render milliseconds as the shortest Prometheus duration (``2592000000`` → ``30d``)."""
    if ms <= 0:
        raise ValueError(f"duration must be positive, got {ms} ms")
    parts = []
    for unit, size in zip(_UNITS, _UNIT_MS, strict=True):
        count, ms = divmod(ms, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


#: A positive duration in seconds: ``30s`` / ``5m`` / ``1h30m`` / a number, by :func:`parse_duration`.
Duration = Annotated[float, BeforeValidator(parse_duration)]
#: A duration kept as text for Prometheus/Alertmanager (``for: 5m``), by :func:`prometheus_duration`.
PromDuration = Annotated[str, AfterValidator(prometheus_duration)]


class StrictModel(BaseModel):
    """The one base of every config model: unknown keys are errors, instances frozen.

    A typo never silently drops a setting; ``populate_by_name`` lets Python code pass
    ``for_=`` where YAML writes ``for``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
