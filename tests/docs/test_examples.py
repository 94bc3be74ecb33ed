"""docs/examples/test_my_alert.py passes as a user would run it: its own directory, the plugin."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples"

pytestmark = pytest.mark.integration


def test_sample_alert_test_passes(tmp_path):
    """The sample alert test and its rule file, copied out of the repository, pass with the
    qobserve.testing plugin (``-p`` stands in for the entry point of an installed qobserve)."""
    for name in ("test_my_alert.py", "my_alert.rules.yml"):
        shutil.copy(EXAMPLE / name, tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "qobserve.testing",
            "-p",
            "no:cacheprovider",
            "-q",
            "-rs",
            "test_my_alert.py",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    if result.returncode == 0 and " skipped" in result.stdout:
        pytest.skip(result.stdout.splitlines()[-1])  # no prometheus here, and not in CI
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout, result.stdout
