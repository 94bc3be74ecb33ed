"""The troubleshooting section of docs/operating.md lists each message an operator can meet.

Every message produced below must match a template listed under its
subheading (``<…>`` matches anything), and every template of those
subheadings must be produced by some case, so docs and code cannot drift.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from prometheus_client import CollectorRegistry

from qobserve.executor._policies import load_policy
from qobserve.gameday import ScenarioError, load_scenario
from qobserve.telemetry import BindError, configure
from tests.bad_input.cases import REPO, invoke

DOC = REPO / "docs" / "operating.md"
ESTIMATE = ("cost", "estimate", "--backend", "qiskit:aer", "--shots", "1")
#: Subheadings of the troubleshooting section this branch owns.
SECTIONS = (
    "Every command",
    "Config files: game-day scenarios and executor policies",
    "qobserve gameday",
    "qobserve demo and qobserve.configure()",
    "qobserve silence",
    "qobserve cost estimate",
)
#: Templates no test here can produce (they need privileges or a misbehaving server).
NOT_EXERCISED = {
    "prometheus_port: not allowed to listen on",
    "rejected the silence (HTTP",
    "answered, but not as Alertmanager's",
    "internal error:",
}


def _templates() -> dict[str, list[str]]:
    text = DOC.read_text()
    section = text[text.index("\n## Troubleshooting") :]
    out: dict[str, list[str]] = {}
    current = None
    for line in section.splitlines():
        if line.startswith("### "):
            current = line[4:].strip()
            out[current] = []
        elif current and line.startswith("| `"):
            cell = line[2:].split(" | ")[0]
            out[current].append(cell.strip("`") if cell.startswith("``") else cell[1:-1])
    return out


def _regex(template: str) -> re.Pattern:
    parts = re.split(r"<[^<>]+>", template)
    return re.compile(".+?".join(re.escape(p) for p in parts) + r"\Z")


def _scenario(tmp: Path, **changes) -> Path:
    doc = {"jobs": 2, "shots": 10, "backends": [{"name": "a", "backend": "qiskit:aer"}], **changes}
    path = tmp / "s.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def _load(loader, error, path: Path) -> str:
    with pytest.raises(error) as caught:
        loader(path)
    return str(caught.value)


def _lines(tmp: Path, monkeypatch) -> list[str]:
    """One message per documented template (and then some)."""
    lines = []

    def cli(*args):
        result = invoke(list(args))
        assert result.exit_code != 0 and len(result.stderr.splitlines()) == 1, result.stderr
        lines.append(result.stderr.strip())

    cli("demo", "--jobs", "abc")
    cli("demo", "--jbos", "3")
    cli("gameday")
    cli("nosuch")
    cli("demo", "--compress", "3")
    cli("demo", "--stack", "--otlp-endpoint", "x")
    for content in (None, b"\xff", b"a: [x\n", b"- 1\n"):
        path = tmp / f"f{len(lines)}.yaml"
        if content is not None:
            path.write_bytes(content)
        lines.append(_load(load_scenario, ScenarioError, path))
        lines.append(_load(load_policy, ValueError, path))
    for changes in (
        {"colour": 1},
        {"jobs": "x"},
        {"executor": {"deadline": "soon"}},
        {"executor": {"deadline": float("nan")}},
        {"executor": {"deadline": -1}},
        {"executor": {"deadline": "99999d"}},
        {"circuit": "nowhere.qasm"},
        {"backends": [{"name": "a", "backend": "braket:arn:aws:braket:::device/qpu/ionq/Aria-1"}]},
        {
            "backends": [
                {
                    "name": "a",
                    "backend": "qiskit:aer",
                    "faults": {"transient_error_rate": 0.7, "timeout_rate": 0.5},
                }
            ]
        },
    ):
        lines.append(_load(load_scenario, ScenarioError, _scenario(tmp, **changes)))
    for text in ("OPENQASM 2.0;\nqreg q[1];\nfoo q[0];\n", "OPENQASM 2.0;\nqreg q[1];\n"):
        (tmp / "c.qasm").write_text(text)
        lines.append(_load(load_scenario, ScenarioError, _scenario(tmp, circuit="c.qasm")))
    cli(
        "gameday",
        "--scenario",
        _scenario(
            tmp,
            jobs=2,
            executor={"max_attempts": 1},
            backends=[
                {"name": "a", "backend": "qiskit:aer", "faults": {"permanent_error_rate": 1}}
            ],
        ),
    )
    cli(
        "gameday",
        "--scenario",
        _scenario(tmp, backends=[{"name": "a", "backend": "qiskit:fake_nope"}]),
    )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        cli("demo", "--port", sock.getsockname()[1])
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        cli(
            "silence",
            "--backend",
            "x",
            "--duration",
            "1h",
            "--alertmanager",
            url,
            "--timeout",
            "0.2",
        )
    for kwargs, env in (
        ({"prometheus_port": 0, "prometheus_host": "nohost.invalid"}, None),
        ({"prometheus_port": 70000}, None),
        ({}, "abc"),
    ):
        with monkeypatch.context() as m:
            m.delenv("OTEL_EXPORTER_PROMETHEUS_PORT", raising=False)
            if env:
                m.setenv("OTEL_EXPORTER_PROMETHEUS_PORT", env)
            with pytest.raises((BindError, ValueError)) as caught:
                configure(registry=CollectorRegistry(), set_global=False, **kwargs)
        lines.append(str(caught.value))
    silence = ["silence", "--backend", "x", "--alertmanager", "http://127.0.0.1:9"]
    for args in (
        ["--duration", "1h", "--end", "2030-01-01"],
        ["--duration", "soon"],
        ["--duration", "0s"],
        ["--duration", "400d"],
        ["--start", "tomorrow", "--duration", "1h"],
        ["--start", "9999-12-31T23:00:00Z", "--duration", "2h"],
        ["--start", "2030-01-02", "--end", "2030-01-01"],
        ["--start", "1999-01-01", "--end", "2000-01-01"],
        ["--start", "2030-01-01", "--end", "2032-01-01"],
        ["--duration", "1h", "--comment", ""],
        ["--duration", "1h", "--author", "a\tb"],
        ["--duration", "1h", "--provider", "ibm"],
        ["--duration", "1h"],
    ):
        cli(*silence, *args)
    cli("silence", "--backend", "a b", "--duration", "1h")
    cli("silence", "--backend", "x", "--duration", "1h", "--alertmanager", "ftp://x")
    for backend in ("nope", "qiskit:nope"):
        cli("cost", "estimate", "--backend", backend, "--shots", "1")
    for prices in ("/nonexistent.yaml", REPO / "README.md"):
        cli(*ESTIMATE, "--prices", prices)
    return lines


def test_troubleshooting_lists_every_message_and_nothing_stale(tmp_path, monkeypatch):
    """Each message matches a documented template, and each documented template is produced."""
    monkeypatch.delenv("QOBSERVE_PRICES", raising=False)
    templates = _templates()
    assert set(SECTIONS) <= set(templates), sorted(templates)
    ours = [t for name in SECTIONS for t in templates[name]]
    lines = _lines(tmp_path, monkeypatch)
    # The pricing table is cached per process: read QOBSERVE_PRICES in a fresh one.
    proc = subprocess.run(
        [sys.executable, "-m", "qobserve.cli", *ESTIMATE],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO), "QOBSERVE_PRICES": str(REPO / "README.md")},
    )
    lines.append(proc.stderr.strip())
    undocumented = [line for line in lines if not any(_regex(t).search(line) for t in ours)]
    assert not undocumented, (
        "messages missing from docs/operating.md#troubleshooting:\n" + "\n".join(undocumented)
    )
    unused = [
        t
        for t in ours
        if not any(n in t for n in NOT_EXERCISED)
        and not any(_regex(t).search(line) for line in lines)
    ]
    assert not unused, "documented messages no case produces (stale?):\n" + "\n".join(unused)
