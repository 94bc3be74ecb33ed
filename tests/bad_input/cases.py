"""Generated operator mistakes for the bad-input property tests (``tests/bad_input/test_*.py``).

A mistake is either a whole file that is wrong (missing, a directory, empty,
binary, not UTF-8, not YAML, not a mapping) or one field of a valid document
replaced by a value that no field of that type may hold (``.nan``, ``.inf``,
negative or huge numbers, the wrong container) or an unknown key added. Every
mistake must end as one line on stderr naming the file or the field, a
non-zero exit and no traceback.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st
from typer.testing import CliRunner

from qobserve.cli import app

REPO = Path(__file__).resolve().parents[2]

NAN, INF = math.nan, math.inf
HUGE = 10**30
# Values no field of the original's type accepts (per the type of the valid value).
BAD_FOR_NUMBER = [NAN, INF, -INF, -1, HUGE, "abc", [], {"x": 1}]
BAD_FOR_STRING = [NAN, INF, -1, HUGE, [], {"x": 1}]
BAD_FOR_BOOL = ["maybe", 2, [], {"x": 1}]
BAD_FOR_LIST = ["x", 5, {"x": 1}, NAN]
BAD_FOR_MAPPING = ["x", 5, [1], NAN]
UNKNOWN_KEYS = ["bogus", "Backends", "interval_s", "1", "jobs "]


@dataclass(frozen=True)
class BadFile:
    """A whole file that is wrong; ``content`` None means the path does not exist."""

    kind: str
    content: bytes | None = None

    def write(self, path: Path) -> Path:
        if self.kind == "directory":
            path.mkdir(parents=True, exist_ok=True)
        elif self.content is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(self.content)
        return path


def bad_files() -> st.SearchStrategy[BadFile]:
    """Missing, directory, empty, binary, non-UTF-8, not YAML, not a mapping."""
    text = st.sampled_from(
        [
            "- a\n- b\n",
            "42\n",
            "just text\n",
            "null\n",
            "[1, 2]\n",
            "~\n",
            "key: [unclosed\n",
            "a: b: c\n",
            "\t- x\n",
            "{: }\n",
            "? [1]\n: 2\n",
            "!!python/object:os.system {}\n",
            "&a [*a]\n",
        ]
    )
    return st.one_of(
        st.just(BadFile("missing")),
        st.just(BadFile("directory")),
        st.just(BadFile("empty", b"")),
        st.binary(min_size=1, max_size=64).map(lambda b: BadFile("non-UTF-8", b"\xff" + b)),
        st.binary(min_size=1, max_size=64).map(lambda b: BadFile("binary", b)),
        text.map(lambda t: BadFile("not a mapping or not YAML", t.encode())),
    )


def _leaves(doc: Any, path: tuple = ()) -> list[tuple[tuple, Any]]:
    out = [(path, doc)]
    if isinstance(doc, dict):
        for key, value in doc.items():
            out += _leaves(value, (*path, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            out += _leaves(value, (*path, i))
    return out


def _bad_values(value: Any) -> list[Any]:
    if isinstance(value, bool):
        return BAD_FOR_BOOL
    if isinstance(value, (int, float)):
        return BAD_FOR_NUMBER
    if isinstance(value, str):
        return BAD_FOR_STRING
    if isinstance(value, list):
        return BAD_FOR_LIST
    return BAD_FOR_MAPPING


def _set(doc: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    copy = dict(doc) if isinstance(doc, dict) else list(doc)
    copy[path[0]] = _set(doc[path[0]], path[1:], value)
    return copy


@dataclass(frozen=True)
class Mutation:
    """One field of a valid document made wrong; ``names`` are what the message must mention."""

    doc: Any
    what: str
    names: tuple[str, ...]

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(self.doc, allow_unicode=True))
        return path


def _names(path: tuple) -> tuple[str, ...]:
    keys = [str(p) for p in path if isinstance(p, str)]
    return tuple(keys[-2:])


@st.composite
def mutations(draw, base: dict) -> Mutation:
    """``base`` with one value replaced by a bad one, or an unknown key added to a mapping."""
    leaves = [(p, v) for p, v in _leaves(base) if p]
    if draw(st.booleans()):
        path, value = draw(st.sampled_from(leaves))
        bad = draw(st.sampled_from(_bad_values(value)))
        return Mutation(_set(base, path, bad), f"{_dotted(path)} = {bad!r}", _names(path))
    mappings = [(p, v) for p, v in _leaves(base) if isinstance(v, dict)]
    path, value = draw(st.sampled_from(mappings))
    key = draw(st.sampled_from(UNKNOWN_KEYS).filter(lambda k: k not in value))
    return Mutation(
        _set(base, path, {**value, key: 1}), f"{_dotted(path)} + {key!r}", (key.strip(),)
    )


def _dotted(path: tuple) -> str:
    return (
        "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".") or "<root>"
    )


@dataclass(frozen=True)
class ConfigCase:
    """A config model reached through its loader and, where one exists, its command.

    ``file`` is where the config lives under a scratch root; ``cli`` gives the
    command's arguments for that root (None: no command reads this config alone);
    ``extra`` writes the other files the command needs.
    """

    name: str
    base: dict
    load: Callable[[Path], Any]
    error: type[Exception] | tuple[type[Exception], ...]
    file: str = "config.yaml"
    cli: Callable[[Path], list[str]] | None = None
    extra: Callable[[Path], None] = field(default=lambda root: None)

    def __repr__(self) -> str:
        return f"<{self.name}>"


def one_line_error(result, names: tuple[str, ...] = ()) -> str:
    """Assert the CliRunner ``result`` is a clean operator error and return its line."""
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"exception escaped: {result.exception!r}"
    )
    assert result.exit_code != 0, f"exit 0 (silently accepted); stdout: {result.stdout[-500:]!r}"
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].strip(), (
        f"stderr is not one line: {result.stderr[-2000:]!r}"
    )
    line = lines[0]
    assert "Traceback" not in result.output and "internal error" not in line, line
    if names:
        assert any(n in line for n in names), f"{line!r} names none of {names}"
    return line


_runner = CliRunner()


def invoke(args: list[str], **kwargs):
    """Run ``qobserve ARGS`` in-process with stdout and stderr apart."""
    return _runner.invoke(app, [str(a) for a in args], **kwargs)
