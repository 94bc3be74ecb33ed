"""``qobserve rb --plot``: a readable, non-blank PNG, headless, and a clear message without matplotlib."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from qobserve.cli import app

ARGS = [
    "rb",
    "--backend",
    "stim",
    "--lengths",
    "1,10,30,60",
    "--samples",
    "6",
    "--shots",
    "200",
    "--seed",
    "3",
    "--noise",
    "depolarizing:0.02",
]


def _read(path) -> np.ndarray:
    from matplotlib.image import imread

    return imread(str(path))


@pytest.mark.parametrize("extra", [[], ["--interleave", "x"]])
def test_plot_writes_a_1000_by_600_png_with_curves(tmp_path, extra):
    """The PNG opens, is 1000 × 600 and has many non-white pixels in both curve colours when interleaving."""
    path = tmp_path / "rb.png"
    result = CliRunner().invoke(app, [*ARGS, *extra, "--plot", str(path), "--json"])
    assert result.exit_code == 0, result.output
    image = _read(path)
    assert image.shape[:2] == (600, 1000)
    rgb = (image[..., :3] * 255).round().astype(int)
    non_white = (rgb.min(axis=2) < 240).mean()
    assert 0.02 < non_white < 0.6  # axes, text, dots and lines; a blank figure has ~0
    assert len(np.unique(rgb.reshape(-1, 3), axis=0)) > 50
    blue = ((abs(rgb - [31, 119, 180]).sum(axis=2)) < 30).sum()
    red = ((abs(rgb - [214, 39, 40]).sum(axis=2)) < 30).sum()
    assert blue > 500 and (red > 500) == bool(extra)


def test_plot_without_matplotlib_names_the_option_and_the_extra(tmp_path, monkeypatch):
    """A missing matplotlib is refused before running: one line naming --plot and qobserve[plot]."""
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    result = CliRunner().invoke(app, [*ARGS, "--plot", str(tmp_path / "rb.png")])
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        == "error: --plot: matplotlib is not installed; pip install 'qobserve[plot]'"
    )
    assert not (tmp_path / "rb.png").exists()


def test_plot_needs_a_png_name_and_a_writable_path(tmp_path):
    """A non-PNG name is bad input (exit 2); an unwritable path is one line naming --plot (exit 1)."""
    result = CliRunner().invoke(app, [*ARGS, "--plot", str(tmp_path / "rb.svg")])
    assert (
        result.exit_code == 2
        and "error: --plot: expected a file name ending in .png" in result.stderr
    )
    result = CliRunner().invoke(app, [*ARGS, "--plot", str(tmp_path / "missing" / "rb.png")])
    assert result.exit_code == 1 and result.stderr.startswith("error: --plot: cannot write")


def test_no_home_keeps_matplotlib_warnings_off_stderr(tmp_path):
    """Without a writable home (the exporter's uid) matplotlib uses a temp dir and stderr stays empty."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("MPLCONFIGDIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME")
    }
    env.update(
        HOME="/proc/no-home", OMP_NUM_THREADS="1"
    )  # nothing can be created under /proc, even as root
    path = tmp_path / "rb.png"
    done = subprocess.run(
        [sys.executable, "-m", "qobserve.cli", *ARGS, "--plot", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == "" and path.stat().st_size > 10_000
