"""What the command line shows a person: help without type tags, URLs unbroken, quiet stderr."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from types import SimpleNamespace

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from qobserve.cli import app

#: typer's raw type tags: <bool>, <int range>, <list[str]>, <path>…
_TYPE_TAG = re.compile(r"<[a-z][\w\[\]|, ]*>")


def _paths(group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [prefix]
    for name, cmd in group.commands.items():
        if hasattr(cmd, "commands"):  # typer ships its own click fork: a group by shape
            out += _paths(cmd, (*prefix, name))
        else:
            out.append((*prefix, name))
    return out


@pytest.mark.parametrize(
    "path", _paths(typer.main.get_command(app)), ids=lambda p: " ".join(p) or "qobserve"
)
def test_help_has_no_type_tags(path):
    """`--help` of every command and group shows no `<type>` tags."""
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    assert not _TYPE_TAG.search(result.output), _TYPE_TAG.findall(result.output)


def test_help_still_names_what_an_option_takes():
    """An option that takes a value shows a plain placeholder; a flag shows none."""
    result = CliRunner().invoke(app, ["demo", "--help"], env={"COLUMNS": "200"})
    assert re.search(r"--jobs\s+JOBS \[1<=x<=100000\]", result.output), result.output
    assert re.search(r"--stack\s+Run the whole stack", result.output), result.output


def test_runbook_urls_print_unwrapped():
    """A Slack message's runbook URL prints on one line even on a 40-column terminal."""
    from qobserve.stack.run import _print_message

    url = "http://127.0.0.1:8080/runbooks/QuantumBackendUnavailable.md#first-five-minutes"
    message = SimpleNamespace(
        alert_status="firing",
        channel_name="#quantum-oncall",
        text="QuantumBackendUnavailable on ibm_brisbane",
        button_urls=lambda: {"runbook": url},
    )
    console = Console(file=io.StringIO(), width=40, record=True)
    _print_message(console)(message)
    assert any(line.strip() == f"runbook: {url}" for line in console.export_text().splitlines())


def test_rb_json_writes_nothing_to_stderr():
    """`qobserve rb --json` on stim succeeds with JSON on stdout and an empty stderr."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "qobserve.cli",
            "rb",
            "--backend",
            "stim",
            "--json",
            "--samples",
            "5",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.lstrip().startswith("{")
    assert result.stderr == ""
