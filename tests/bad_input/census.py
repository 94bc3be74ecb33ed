"""Count how each operator mistake of the bad-input tests ends, exhaustively and in one process.

    PYTHONPATH=. python -m tests.bad_input.census [--owned-elsewhere] [--show CLASS]

Every option case of ``test_commands.py`` and, for every config, every bad
file kind plus every leaf x every bad value for its type plus an unknown key
in every mapping (no sampling) is run once and classed ``clear`` (non-zero
exit, one stderr line naming the file/field/option), ``unclear`` (non-zero
but several lines, stdout, or the name missing), ``traceback`` (an exception
escaped) or ``silent`` (accepted: exit 0 or still running after 20 s). Put
another tree first on PYTHONPATH to measure it with the same cases.
"""

from __future__ import annotations

import argparse
import collections
import os
import signal
import tempfile
from pathlib import Path

from tests.bad_input.cases import (
    BAD_FOR_MAPPING,
    UNKNOWN_KEYS,
    BadFile,
    Mutation,
    _bad_values,
    _dotted,
    _leaves,
    _names,
    _set,
    invoke,
)


class _Hung(BaseException):
    pass


def _alarm(*_):
    raise _Hung


def _classify_cli(args, names) -> tuple[str, str]:
    signal.alarm(20)
    try:
        result = invoke(args)
    except _Hung:
        return "silent", "still running after 20 s"
    finally:
        signal.alarm(0)
    if isinstance(result.exception, _Hung):
        return "silent", "still running after 20 s"
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return "traceback", f"{type(result.exception).__name__}: {str(result.exception)[:200]}"
    if result.exit_code == 0:
        return "silent", "exit 0"
    lines = result.stderr.splitlines()
    text = " | ".join(lines)[:300] or f"(stderr empty; stdout: {result.stdout.strip()[:200]!r})"
    if "Traceback" in result.output or "internal error" in result.stderr:
        return "traceback", text
    if len(lines) != 1 or not any(n in lines[0] for n in names):
        return "unclear", text
    return "clear", lines[0][:300]


def _classify_process(args, names) -> tuple[str, str]:
    """As :func:`_classify_cli`, in a fresh process killed after 20 s (for commands that serve)."""
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "qobserve.cli", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return "silent", "still running after 20 s"
    if "Traceback" in err or "internal error" in err:
        return "traceback", " | ".join(err.strip().splitlines()[-1:])[:300]
    if proc.returncode == 0:
        return "silent", "exit 0"
    lines = err.splitlines()
    if len(lines) != 1 or not any(n in lines[0] for n in names):
        return "unclear", (" | ".join(lines) or f"(stderr empty; stdout: {out.strip()[-200:]!r})")[
            :300
        ]
    return "clear", lines[0][:300]


def _config_mistakes(base: dict) -> list[BadFile | Mutation]:
    files = [
        BadFile("missing"),
        BadFile("directory"),
        BadFile("empty", b""),
        BadFile("non-UTF-8", b"jobs: \xff\xfe\n"),
        BadFile("binary", b"\x00\x01\x02\x89PNG"),
        BadFile("list", b"- a\n- b\n"),
        BadFile("scalar", b"42\n"),
        BadFile("not YAML", b"key: [unclosed\n"),
    ]
    out: list[BadFile | Mutation] = list(files)
    for path, value in _leaves(base):
        if not path:
            continue
        for bad in _bad_values(value):
            out.append(Mutation(_set(base, path, bad), f"{_dotted(path)} = {bad!r}", _names(path)))
        if isinstance(value, dict):
            out.append(
                Mutation(
                    _set(base, path, {**value, UNKNOWN_KEYS[0]: 1}),
                    f"{_dotted(path)} + {UNKNOWN_KEYS[0]!r}",
                    (UNKNOWN_KEYS[0],),
                )
            )
    out.append(
        Mutation({**base, UNKNOWN_KEYS[0]: 1}, f"<root> + {UNKNOWN_KEYS[0]!r}", (UNKNOWN_KEYS[0],))
    )
    assert BAD_FOR_MAPPING
    return out


def _config_case(case, bad) -> tuple[str, str]:
    with tempfile.TemporaryDirectory(prefix="qobserve-census-") as tmp:
        root = Path(tmp)
        (root / "alerts").mkdir()
        path = bad.write(root / case.file)
        names = (case.file,) + (bad.names if isinstance(bad, Mutation) else ())
        signal.alarm(20)
        try:
            case.load(path)
            return "silent", "the loader accepted it"
        except case.error as exc:
            message = str(exc)
            if "\n" in message or not any(n in message for n in names):
                return "unclear", " | ".join(message.splitlines())[:300]
        except _Hung:
            return "silent", "loader still running after 20 s"
        except Exception as exc:
            return "traceback", f"{type(exc).__name__}: {str(exc)[:200]}"
        finally:
            signal.alarm(0)
        if case.cli is None:
            return "clear", message[:300]
        case.extra(root)
        return _classify_cli(case.cli(path), names)


def main() -> None:
    from tests.bad_input import test_commands, test_configs

    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--owned-elsewhere", action="store_true", help="measure others' cases instead"
    )
    parser.add_argument("--show", action="append", default=[], help="print the cases of this class")
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        help="leave out this command group "
        "(e.g. 'demo --stack' on a tree that would start the stack)",
    )
    parser.add_argument(
        "--subprocess",
        action="append",
        default=[],
        help="run this command group's "
        "cases in a fresh process each (commands that may serve or run on)",
    )
    opts = parser.parse_args()
    signal.signal(signal.SIGALRM, _alarm)
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)

    def record(group: str, what: str, verdict: tuple[str, str]) -> None:
        counts[group][verdict[0]] += 1
        if verdict[0] in opts.show:
            print(f"{verdict[0]:9} {group}: {what} -> {verdict[1]}", flush=True)

    commands = test_commands.OWNED_ELSEWHERE if opts.owned_elsewhere else test_commands.MINE
    for command, base, option, value in test_commands._cases(commands):
        if command in opts.skip:
            continue
        args = [*command.split()[:1], *base, option, *([value] if value is not None else [])]
        if command == "cost" and option != "--shots":
            args += ["--shots", "10"]
        classify = _classify_process if command in opts.subprocess else _classify_cli
        record(
            command.split()[0],
            f"{option} {value!r}",
            classify(args, test_commands._names(option, value)),
        )
    configs = test_configs.OWNED_ELSEWHERE if opts.owned_elsewhere else test_configs.MINE
    for case in configs:
        for bad in _config_mistakes(case.base):
            what = bad.what if isinstance(bad, Mutation) else f"file: {bad.kind}"
            record(case.name, what, _config_case(case, bad))
    total: collections.Counter = collections.Counter()
    for group, counter in counts.items():
        total.update(counter)
        print(
            f"{group:22} "
            + " ".join(f"{k}={counter[k]}" for k in ("clear", "unclear", "traceback", "silent"))
        )
    print(
        f"{'total':22} "
        + " ".join(f"{k}={total[k]}" for k in ("clear", "unclear", "traceback", "silent")),
        flush=True,
    )
    os._exit(0)  # a command that ran on would leave threads behind


if __name__ == "__main__":
    main()
