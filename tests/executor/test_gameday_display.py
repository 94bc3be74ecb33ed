"""The game-day tables read whole in an 80-column terminal."""

from __future__ import annotations

import io

from rich.console import Console

from qobserve.gameday import load_scenario, render, run_gameday

#: A long backend name, and faults whose error types are the longest the SDKs raise.
_SCENARIO = {
    "jobs": 6,
    "shots": 10,
    "seed": 7,
    "executor": {"max_attempts": 3, "deadline": "5s"},
    "backends": [
        {
            "name": "primary-qpu-east",
            "backend": "qiskit:aer",
            "faults": {"transient_error_rate": 0.5, "throttle_rate": 0.3},
        },
        {"name": "last-resort", "backend": "qiskit:aer"},
    ],
}


def test_columns_and_error_names_are_never_cut():
    """Headers, backend names and error types appear whole, one per line, at 80 columns."""
    report = run_gameday(load_scenario(_SCENARIO))
    out = io.StringIO()
    render(report, Console(file=out, width=80, color_system=None))
    text = out.getvalue()
    assert "…" not in text, text
    for word in ("attempts", "completed", "executions", "skipped", "breaker"):
        assert word in text, text
    lines = text.splitlines()
    for name, backend in report.by_backend.items():
        assert any(line.strip().startswith(name) for line in lines), text
        for kind in backend.errors:
            assert any(name in line and kind in line for line in lines), text
    assert any(b.errors for b in report.by_backend.values()), "the faults raised no error"
