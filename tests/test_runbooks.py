"""Runbooks: one per alert, naming only metrics and commands that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer

from qobserve import semconv as sc
from qobserve.cli import app
from qobserve.runbook_index import render_runbook_index

RUNBOOKS = Path(__file__).resolve().parents[1] / "runbooks"
#: Commands of the public contract (shared/conventions.md) plus those the issues add;
#: some are written by other parts of the project and may not be registered yet.
CONTRACT_COMMANDS = {
    "demo",
    "exporter",
    "rb",
    "generate",
    "alert-bridge",
    "gameday",
    "silence",
    "cost estimate",
}
SECTIONS = (
    "## What it means",
    "## Impact",
    "## First five minutes",
    "## Mitigations",
    "## Escalation",
    "## Verify recovery",
)


def _live_commands() -> set[str]:
    """Every command path of the typer app, e.g. ``rb`` and ``cost estimate``."""
    found: set[str] = set()

    def walk(group, prefix: str) -> None:
        # Duck-typed: typer >= 0.29 vendors its click, so no click import here.
        for name, cmd in group.commands.items():
            found.add(f"{prefix}{name}")
            if hasattr(cmd, "commands"):
                walk(cmd, f"{prefix}{name} ")

    walk(typer.main.get_command(app), "")
    return found


def _known_names() -> set[str]:
    names = set(sc.METRICS) | set(sc.LABEL.values()) | set(sc.SLO_RECORDING_RULES)
    for m in sc.METRICS.values():
        if m.kind is sc.Instrument.HISTOGRAM:
            names |= {f"{m.prom_name}_{s}" for s in ("bucket", "sum", "count")}
    return names


@pytest.mark.parametrize("alert", sc.ALERTS)
def test_every_alert_has_a_complete_runbook(alert):
    """runbooks/<Alert>.md exists with the six sections an on-call engineer needs."""
    text = (RUNBOOKS / f"{alert}.md").read_text()
    assert text.startswith(f"# {alert}\n")
    for section in SECTIONS:
        assert section in text, f"{alert}.md lacks {section!r}"


@pytest.mark.parametrize("path", sorted(RUNBOOKS.glob("*.md")), ids=lambda p: p.name)
def test_runbook_names_only_existing_metrics(path):
    """Every quantum_*/qobserve_* token is a semconv metric, histogram series or label."""
    tokens = set(re.findall(r"\b(?:quantum|qobserve)_[a-z0-9_]+", path.read_text()))
    assert not tokens - _known_names(), f"{path.name}: unknown {tokens - _known_names()}"


@pytest.mark.parametrize("path", sorted(RUNBOOKS.glob("*.md")), ids=lambda p: p.name)
def test_runbook_names_only_existing_commands(path):
    """Every `qobserve <command>` is a live CLI command or one of the contract's commands."""
    known = _live_commands() | CONTRACT_COMMANDS
    groups = {c.split()[0] for c in known if " " in c}
    for first, second in re.findall(
        r"\bqobserve ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?", path.read_text()
    ):
        if first in {"runbooks", "generated"}:  # prose: "qobserve runbooks", not a command
            continue
        # a group followed by an option runs on its own (`qobserve alert-bridge --config FILE`)
        command = f"{first} {second}" if first in groups and second else first
        assert command in known, f"{path.name}: `qobserve {command}` is not a command"


def test_runbook_links_resolve():
    """Relative links between runbooks point at files that exist."""
    for path in RUNBOOKS.glob("*.md"):
        for target in re.findall(r"\]\(([A-Za-z]+\.md)\)", path.read_text()):
            assert (RUNBOOKS / target).is_file(), f"{path.name} links to missing {target}"


def test_index_is_fresh_and_lists_every_alert():
    """runbooks/README.md equals a fresh render and links every alert."""
    text = (RUNBOOKS / "README.md").read_text()
    assert text == render_runbook_index(RUNBOOKS)
    for alert in sc.ALERTS:
        assert f"[{alert}]({alert}.md)" in text


def test_index_names_missing_runbook(tmp_path):
    """A missing runbook is reported by alert name."""
    with pytest.raises(FileNotFoundError, match=sc.ALERTS[0]):
        render_runbook_index(tmp_path)
