"""Run every benchmark and print one table: ``python -m benchmarks [--quick] [NAME ...]``.

Each script in ``benchmarks/`` whose name does not start with ``_`` runs in its
own subprocess (a fresh interpreter: no warm caches or imports carried from one
benchmark to the next) under a timeout; its output is shown as it runs, and the
``::bench`` lines it prints through :func:`benchmarks._report.goal` become rows
of the table: path, figure, goal, and met / NOT met / not judged. A script that
crashes or times out is a row saying so; one that reports no goal yet is a row
saying that. ``--quick`` passes ``--quick`` on, so every script runs in seconds
(figures printed, goals not judged): CI runs that to check the scripts still work.

Exit status: 2 when a script failed, timed out or printed a malformed
``::bench`` line; else 1 when a goal was NOT met; else 0.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks._report import MARKER

HERE = Path(__file__).resolve().parent
QUICK_TIMEOUT, FULL_TIMEOUT = 300.0, 3600.0  # seconds per script
_TAIL = 40  # output lines kept to explain a failure


@dataclass(frozen=True)
class Row:
    """One line of the table; ``verdict`` is met, NOT met, not judged, failed or no goal."""

    script: str
    path: str
    figure: str
    goal: str
    verdict: str


MET, NOT_MET, NOT_JUDGED, FAILED, NO_GOAL = "met", "NOT met", "not judged", "failed", "no goal"
_STYLE = {
    MET: "green",
    NOT_MET: "bold red",
    NOT_JUDGED: "yellow",
    FAILED: "bold red",
    NO_GOAL: "dim",
}


def discover(directory: Path = HERE) -> list[Path]:
    """The benchmark scripts in ``directory``: ``*.py`` not starting with ``_``."""
    return sorted(p for p in directory.glob("*.py") if not p.name.startswith("_"))


def _record(script: str, line: str) -> Row:
    """The row of one ``::bench {json}`` line (a failed row when it does not parse)."""
    try:
        rec, _ = json.JSONDecoder().raw_decode(line[len(MARKER) :].lstrip())
        met = rec["met"]
        if met not in (True, False, None):
            raise ValueError(f"met must be true, false or null, got {met!r}")
        verdict = {True: MET, False: NOT_MET, None: NOT_JUDGED}[met]
        return Row(script, str(rec["path"]), str(rec["figure"]), str(rec["goal"]), verdict)
    except (ValueError, KeyError, TypeError) as exc:
        return Row(script, "-", f"malformed {MARKER} line: {exc}", "-", FAILED)


def run_script(
    script: Path, *, quick: bool, timeout: float, echo: bool = True
) -> tuple[list[Row], list[str]]:
    """Run one script; returns its rows and the tail of its output (for a failure).

    The script runs with the repository root on ``PYTHONPATH`` (so it can import
    ``benchmarks._report`` and ``qobserve``) in its own process group, which is
    killed whole when the timeout passes.
    """
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE.parent), env.get("PYTHONPATH")]))
    cmd = [sys.executable, str(script), *(["--quick"] if quick else [])]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        env=env,
        cwd=HERE.parent,
        start_new_session=True,
    )
    rows: list[Row] = []
    tail: deque[str] = deque(maxlen=_TAIL)

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if echo:
                print(line, end="", flush=True)
            tail.append(line.rstrip("\n"))
            if line.startswith(MARKER):
                rows.append(_record(script.name, line))

    reader = threading.Thread(target=read, daemon=True, name=f"bench-{script.stem}")
    reader.start()
    started = time.monotonic()
    try:
        code = proc.wait(timeout=timeout)
        failure = None
        if code != 0:
            how = f"killed by signal {-code}" if code < 0 else f"exited with status {code}"
            failure = f"{how} after {time.monotonic() - started:.0f} s"
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the whole group: servers it started too
        proc.wait()
        failure = f"timed out after {timeout:g} s"
    reader.join(5)
    if failure is not None:
        rows.append(Row(script.name, "-", failure, "-", FAILED))
    elif not rows:
        rows.append(Row(script.name, "-", "no goal reported", "-", NO_GOAL))
    return rows, list(tail)


def table(rows: Sequence[Row]) -> Table:
    """The rich table of ``rows``."""
    out = Table(title="benchmarks", title_justify="left")
    for column in ("script", "path", "figure", "goal", "result"):
        out.add_column(column, overflow="fold")
    for r in rows:
        style = _STYLE[r.verdict]
        out.add_row(r.script, r.path, r.figure, r.goal, f"[{style}]{r.verdict}[/{style}]")
    return out


def exit_status(rows: Sequence[Row]) -> int:
    """2 when a script failed, else 1 when a goal was NOT met, else 0."""
    verdicts = {r.verdict for r in rows}
    return 2 if FAILED in verdicts else 1 if NOT_MET in verdicts else 0


def _select(scripts: list[Path], names: Sequence[str]) -> list[Path]:
    by_name = {p.stem: p for p in scripts}
    picked = []
    for name in names:
        stem = Path(name).stem
        if stem not in by_name:
            raise SystemExit(
                f"error: python -m benchmarks: NAME: no benchmark {name!r}; "
                f"choose from {', '.join(sorted(by_name))}"
            )
        picked.append(by_name[stem])
    return picked or scripts


def main(argv: Sequence[str] | None = None, *, directory: Path = HERE) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.splitlines()[0]
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help="scripts to run (default: all)")
    parser.add_argument(
        "--quick", action="store_true", help="seconds per script: figures printed, not judged"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help=f"per script (default {QUICK_TIMEOUT:g} with --quick, else {FULL_TIMEOUT:g})",
    )
    args = parser.parse_args(argv)
    timeout = args.timeout
    if timeout is None:
        timeout = QUICK_TIMEOUT if args.quick else FULL_TIMEOUT
    if not 0 < timeout < float("inf"):
        raise SystemExit(
            f"error: python -m benchmarks: --timeout: must be a finite number of seconds > 0, "
            f"got {args.timeout}"
        )
    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = 160  # a CI log: one line per row rather than rich's 80 columns
    rows: list[Row] = []
    for script in _select(discover(directory), args.names):
        console.rule(f"{script.name}{' --quick' if args.quick else ''}")
        script_rows, tail = run_script(script, quick=args.quick, timeout=timeout)
        rows += script_rows
        if any(r.verdict == FAILED for r in script_rows) and tail:
            print(
                f"{script.name} failed; its last output lines:", *tail, sep="\n  ", file=sys.stderr
            )
    console.print(table(rows))
    return exit_status(rows)


if __name__ == "__main__":
    sys.exit(main())
