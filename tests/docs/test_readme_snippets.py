"""Every README ```python snippet, run as a newcomer would, shows what qobserve did."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    "readme_snippets", ROOT / "scripts/readme_snippets.py"
)
readme_snippets = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(readme_snippets)

SNIPPETS = readme_snippets.python_snippets(ROOT / "README.md")

#: What each snippet (by its service name) promises to print: the series the README
#: text after it names, with the labels and values its code must produce.
PROMISES = {
    "my-app": [
        r'^quantum_jobs_total\{[^}]*quantum_backend="fake_manila"[^}]*'
        r'quantum_job_status="completed"[^}]*\} 1\.0$',
        r'^quantum_job_shots_total\{[^}]*quantum_backend="fake_manila"[^}]*\} 100\.0$',
    ],
    "vqe": [
        r'^quantum_training_steps_total\{quantum_experiment="vqe-demo"\} 5\.0$',
        r'^quantum_training_loss\{quantum_experiment="vqe-demo"\} \d',
        r'^quantum_training_gradient_snr\{quantum_experiment="vqe-demo"\} \d',
        r'^quantum_training_gradient_variance\{quantum_experiment="vqe-demo"\} \d',
        r'^quantum_training_validation_score\{metric="accuracy",'
        r'quantum_experiment="vqe-demo"\} 0\.9$',
    ],
}


def _service(code: str) -> str:
    m = re.search(r'qobserve\.configure\(service_name="([^"]+)"', code)
    assert m, (
        "a README snippet must call qobserve.configure(service_name=...) so it shows something"
    )
    return m.group(1)


def test_every_snippet_has_a_promise():
    """Each README snippet configures qobserve and has its promised output listed here."""
    assert SNIPPETS, "README.md has no python snippet"
    assert sorted(_service(code) for code in SNIPPETS) == sorted(PROMISES)


@pytest.mark.parametrize("code", SNIPPETS, ids=_service)
def test_snippet_prints_its_metrics(code, free_port, tmp_path):
    """The snippet, in a fresh interpreter, prints its /metrics URL and the promised series."""
    script = tmp_path / "snippet.py"
    script.write_text(readme_snippets.with_port(code, free_port))
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    run = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,  # a hang guard, not a speed limit: importing Qiskit is slow on a busy host
    )
    assert run.returncode == 0, run.stderr
    assert f"http://127.0.0.1:{free_port}/metrics" in run.stdout, run.stdout
    for pattern in PROMISES[_service(code)]:
        assert re.search(pattern, run.stdout, re.M), f"{pattern} not in:\n{run.stdout}"
