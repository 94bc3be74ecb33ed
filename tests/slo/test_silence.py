"""`qobserve silence` resolves the window and reports bad input or an unreachable Alertmanager."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from qobserve.cli import app
from qobserve.slo.silence import backend_silence, maintenance_window

NOW = datetime(2026, 1, 4, 2, 0, tzinfo=UTC)


def test_window_from_duration() -> None:
    """--duration counts from --start (default now)."""
    start, end = maintenance_window(duration="4h", now=NOW)
    assert (start, end) == (NOW, datetime(2026, 1, 4, 6, 0, tzinfo=UTC))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "--end/--duration"),
        ({"duration": "4h", "end": "2026-01-04T06:00:00Z"}, "--end/--duration"),
        ({"start": "tomorrow", "duration": "1h"}, "--start"),
        ({"start": "2026-01-04T06:00:00Z", "end": "2026-01-04T05:00:00Z"}, "--end"),
        ({"duration": "ages"}, "ages"),
    ],
)
def test_window_errors_name_the_option(kwargs: dict, field: str) -> None:
    """Bad window options fail naming the option to fix."""
    with pytest.raises(ValueError, match=field):
        maintenance_window(now=NOW, **kwargs)


def test_silence_body_matches_backend_and_provider() -> None:
    """The silence matches the backend label exactly, plus the provider when given."""
    body = backend_silence(
        "ibm_brisbane", start=NOW, end=NOW, comment="c", author="a", provider="qiskit"
    )
    assert [(m["name"], m["value"], m["isRegex"]) for m in body["matchers"]] == [
        ("quantum_backend", "ibm_brisbane", False),
        ("quantum_provider", "qiskit", False),
    ]


def test_cli_reports_unreachable_alertmanager() -> None:
    """An unreachable Alertmanager exits 1 with a message pointing at --alertmanager."""
    result = CliRunner().invoke(
        app,
        ["silence", "--backend", "SV1", "--duration", "1h", "--alertmanager", "http://127.0.0.1:9"],
    )
    assert result.exit_code == 1 and "--alertmanager" in result.output
