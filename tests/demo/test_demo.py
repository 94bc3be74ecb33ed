"""The demo end to end, as a user runs it: a subprocess serving /metrics."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from qobserve import semconv


@pytest.fixture(scope="module")
def demo_scrape(tmp_path_factory):
    """Run `qobserve demo` to the end, scrape its /metrics while it keeps serving."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "qobserve.cli",
            "demo",
            "--jobs",
            "12",
            "--fail-every",
            "4",
            "--port",
            "0",
            "--serve-seconds",
            "60",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    lines, url, body = [], None, None
    try:
        for line in proc.stdout:
            lines.append(line)
            if m := re.search(r"(http://127\.0\.0\.1:\d+/metrics)", line):
                url = m.group(1)
            if "serving /metrics for" in line:
                body = urllib.request.urlopen(url, timeout=10).read().decode()
                break
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert body is not None, "demo never finished its run:\n" + "".join(lines)
    return "".join(lines), body


def _jobs(body: str, backend: str, status: str) -> float:
    name = semconv.metric("quantum_jobs_total").prom_name
    pattern = name + r'\{[^}]*quantum_backend="%s"[^}]*quantum_job_status="%s"[^}]*\} (\S+)'
    m = re.search(pattern % (backend, status), body)
    return float(m.group(1)) if m else 0.0


def test_demo_metrics_count_failures(demo_scrape):
    """The scrape counts the jobs failed on purpose and the rest as completed."""
    _, body = demo_scrape
    # 12 jobs, every 4th fails for real: 3 failed; 9 completed plus the RB probe's job.
    assert _jobs(body, "fake_manila", "failed") == 3
    assert _jobs(body, "fake_manila", "completed") == 10


@pytest.mark.parametrize("backend", ["braket_sv", "cirq_simulator", "willow_pink"])
def test_demo_runs_every_sdk(demo_scrape, backend):
    """Braket's and Cirq's simulators and the virtual engine ran jobs too."""
    _, body = demo_scrape
    assert _jobs(body, backend, "completed") >= 2


def test_demo_prints_sli_table(demo_scrape):
    """The summary's success ratio is the one in the scrape."""
    out, body = demo_scrape
    row = next((line for line in out.splitlines() if "qiskit:fake_manila" in line), "")
    completed, failed = (
        _jobs(body, "fake_manila", "completed"),
        _jobs(body, "fake_manila", "failed"),
    )
    assert f"{completed / (completed + failed):.1%}" in row, out


def test_demo_reports_rb_training_and_executor(demo_scrape):
    """The RB estimate, the training run and the executor's game day are summarised."""
    out, body = demo_scrape
    assert "RB on fake_manila qubit 0: error per Clifford" in out
    assert re.search(
        r"executor under faults: \d+/\d+ jobs succeeded.*0 lost, 0 duplicated",
        " ".join(out.split()),
    )
    assert _jobs(body, "fallback", "completed") >= 1  # the outage pushed jobs to the fallback
    assert re.search(
        r'quantum_training_gradient_snr\{quantum_experiment="variational-classifier"\} \d', body
    )


def test_demo_scrape_passes_promtool(demo_scrape, tmp_path):
    """`promtool check metrics` has no complaint about qobserve's own metrics."""
    _, body = demo_scrape
    res = subprocess.run(
        ["promtool", "check", "metrics"], input=body, text=True, capture_output=True
    )
    ours = [
        line
        for line in (res.stdout + res.stderr).splitlines()
        if line.startswith(("quantum_", "qobserve_"))
    ]
    assert ours == [], ours


def _pointers(out: str) -> dict[str, str]:
    """The demo's ``Look at:`` lines, label → place."""
    lines = out.split("Look at:", 1)[1].splitlines()[1:]
    found = {}
    for line in lines:
        if m := re.match(r"^  (\S.*?)\s{2,}(\S+)", line):
            found[m.group(1)] = m.group(2)
    return found


def test_demo_ends_with_what_to_look_at(demo_scrape):
    """The last lines point at the served /metrics, the RB plot it drew and the local runbooks."""
    out, _ = demo_scrape
    pointers = _pointers(out)
    served = re.search(r"serving metrics on (\S+)", out).group(1)  # the URL the fixture scraped
    assert pointers["/metrics"] == served
    plot = Path(pointers["RB decay plot"])
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    runbooks = urlparse(pointers["runbooks"])
    assert runbooks.scheme == "file" and Path(unquote(runbooks.path)).is_file()
