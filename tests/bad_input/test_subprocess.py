"""A representative handful of operator mistakes through the real ``qobserve`` process.

The in-process tests cover the space; these make sure nothing between the
console entry point and the command (interpreter start-up, logging, rich) adds
a traceback or a second line.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from tests.bad_input.cases import REPO

pytestmark = pytest.mark.timeout(120)


def _qobserve(*args: str, cwd=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1", "COLUMNS": "80"}
    return subprocess.run(
        [sys.executable, "-m", "qobserve.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=90,
        cwd=cwd,
    )


def _one_line(proc: subprocess.CompletedProcess, *names: str) -> str:
    assert proc.returncode != 0, proc.stdout[-500:]
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr + proc.stdout
    assert all(n in lines[0] for n in names), lines[0]
    return lines[0]


def test_demo_on_a_busy_port_is_one_line_with_holder_hint_and_fix():
    """`qobserve demo` with its port taken: one line naming the port, an `ss -ltnp` hint and `--port 0`."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        proc = _qobserve("demo", "--port", str(port))
    line = _one_line(
        proc,
        f"port {port} on 127.0.0.1 is already in use",
        f"ss -ltnp 'sport = :{port}'",
        "--port 0",
    )
    assert line.startswith("error: qobserve demo: --port: ") and proc.returncode == 1


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["demo", "--jobs", "abc"], ["qobserve demo", "--jobs"]),
        (["nosuch"], ["No such command 'nosuch'"]),
        (["gameday", "--scenario", "/nonexistent/s.yaml"], ["/nonexistent/s.yaml", "cannot read"]),
        (["cost", "estimate", "--backend", "qiskit:aer", "--shots", "1e20"], ["--shots"]),
        (["silence", "--backend", "ibm_brisbane", "--duration", "soon"], ["--duration"]),
    ],
)
def test_operator_mistakes_are_one_line_in_a_real_process(args, names):
    """Bad options and files through the real entry point: one stderr line, non-zero exit."""
    _one_line(_qobserve(*args), *names)


def test_non_utf8_scenario_is_one_line(tmp_path):
    """A scenario file that is not UTF-8 names the file."""
    path = tmp_path / "s.yaml"
    path.write_bytes(b"jobs: \xff\xfe\n")
    _one_line(_qobserve("gameday", "--scenario", str(path)), str(path), "not UTF-8")
