"""One way to read config files and to say what is wrong with them.

Every YAML input (exporter, alert bridge, game-day scenarios, executor policies,
SLO specs, pricing tables) is read with :func:`read_yaml` and its pydantic
errors rendered by :func:`validation_message`, so each error names the field
the same way: ``backends[1].faults.timeout_rate: …``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, ValidationError

__all__ = ["field_path", "parse_duration", "read_yaml", "validation_message"]

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


_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d)$")
_UNIT_S = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


#: Longest duration any setting accepts: ten years. Longer values are typos, and past
#: ``threading.TIMEOUT_MAX`` a wait on them raises OverflowError in a background thread.
MAX_DURATION_S = 10 * 365 * 86400


def parse_duration(value: object) -> float:
    """``30s`` / ``5m`` / ``6h`` / ``1d`` (or a number of seconds) → seconds in (0, ten years].

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
        m = _DURATION.match(str(value).strip())
        if not m:
            raise ValueError(f"expected a duration like 30s, 5m, 6h; got {value!r}")
        seconds = float(m.group(1)) * _UNIT_S[m.group(2)]
    if not math.isfinite(seconds):
        raise ValueError(f"must be a finite duration like 30s, 5m, 6h; got {value!r}")
    if seconds <= 0:
        raise ValueError(f"must be positive, got {value!r}")
    if seconds > MAX_DURATION_S:
        raise ValueError(f"must be at most 3650d (ten years), got {value!r}")
    return seconds


#: A positive duration field: ``30s`` / ``5m`` / a number of seconds, validated by :func:`parse_duration`.
Duration = Annotated[float, BeforeValidator(parse_duration)]
