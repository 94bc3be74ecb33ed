"""``python -m benchmarks`` over a tiny benchmarks directory: rows, table and exit status."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from benchmarks.__main__ import (
    FAILED,
    MET,
    NO_GOAL,
    NOT_JUDGED,
    NOT_MET,
    discover,
    main,
    run_script,
)

# Reports one goal met and one missed, or neither judged under --quick.
TWO_GOALS = """
import sys
from benchmarks._report import goal
quick = "--quick" in sys.argv
goal("fast path", "quick figure" if quick else "1.10x", "<= 1.25x", None if quick else True)
goal("slow path", "quick figure" if quick else "2.00x", "<= 1.50x", None if quick else False)
"""


def _bench_dir(tmp_path: Path, **scripts: str) -> Path:
    for name, body in scripts.items():
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(body))
    return tmp_path


@pytest.fixture(autouse=True)
def _wide_table(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # one table row per line, cells unwrapped


def test_goals_become_rows_and_a_missed_goal_exits_1(tmp_path, capsys):
    """Each ::bench line is a row with its verdict; a script without one says so."""
    d = _bench_dir(tmp_path, two_goals=TWO_GOALS, plain="print('figures only')")
    assert main([], directory=d) == 1
    out = capsys.readouterr().out
    assert "figures only" in out  # the scripts' own output is shown as they run
    plain, fast, slow = [line for line in out.splitlines() if ".py" in line and "│" in line]
    assert "plain.py" in plain and "no goal reported" in plain and NO_GOAL in plain
    assert "fast path" in fast and MET in fast and NOT_MET not in fast
    assert "slow path" in slow and NOT_MET in slow


def test_quick_is_passed_on_and_nothing_is_judged(tmp_path):
    """--quick reaches every script; its goals are not judged, so the exit status is 0."""
    d = _bench_dir(tmp_path, two_goals=TWO_GOALS)
    rows, _ = run_script(d / "two_goals.py", quick=True, timeout=60, echo=False)
    assert [(r.path, r.figure, r.verdict) for r in rows] == [
        ("fast path", "quick figure", NOT_JUDGED),
        ("slow path", "quick figure", NOT_JUDGED),
    ]
    assert main(["--quick"], directory=d) == 0


def test_crash_and_timeout_are_rows_and_exit_2(tmp_path, capsys):
    """A crashing and a hanging script each get a failed row; the run goes on and exits 2."""
    d = _bench_dir(
        tmp_path,
        crash="print('about to fail')\nraise SystemExit(3)",
        hang="import time\nprint('started', flush=True)\ntime.sleep(600)",
        two_goals=TWO_GOALS,
    )
    assert main(["--timeout", "2"], directory=d) == 2
    captured = capsys.readouterr()
    crash = next(line for line in captured.out.splitlines() if "crash.py" in line and "│" in line)
    hang = next(line for line in captured.out.splitlines() if "hang.py" in line and "│" in line)
    assert "exited with status 3" in crash and FAILED in crash
    assert "timed out after 2 s" in hang and FAILED in hang
    assert "fast path" in captured.out  # the script after the failures still ran
    assert "about to fail" in captured.err  # a failure shows the script's last output


def test_malformed_line_fails_and_helpers_are_not_benchmarks(tmp_path):
    """A ::bench line that is not a goal record fails; ``_`` modules are never run."""
    d = _bench_dir(
        tmp_path,
        bad='print(\'::bench {"path": "p"}\')',
        _helper="raise SystemExit('a helper ran')",
    )
    assert [p.name for p in discover(d)] == ["bad.py"]
    rows, _ = run_script(d / "bad.py", quick=False, timeout=60, echo=False)
    assert [r.verdict for r in rows] == [FAILED]
    assert "malformed ::bench line" in rows[0].figure


def test_names_select_scripts_and_bad_input_is_one_error_line(tmp_path, capsys):
    """NAME picks scripts by stem; an unknown one, or a timeout <= 0, exits naming the fix."""
    d = _bench_dir(tmp_path, two_goals=TWO_GOALS, plain="print('figures only')")
    assert main(["--quick", "two_goals.py"], directory=d) == 0
    assert "plain.py" not in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["nope"], directory=d)
    assert str(exc.value) == (
        "error: python -m benchmarks: NAME: no benchmark 'nope'; choose from plain, two_goals"
    )
    for timeout in ("0", "nan"):
        with pytest.raises(SystemExit, match=r"--timeout: must be a finite number of seconds > 0"):
            main(["--timeout", timeout], directory=d)
