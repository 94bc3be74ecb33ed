"""Golden-file comparison for generators (rules, routing, Block Kit).

A generator's output must equal its committed ``out-*`` file to the byte, so a
change shows up as a reviewable diff. ``QOBSERVE_UPDATE_GOLDEN=1`` rewrites the
files instead; review and commit them.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["UPDATE_ENV", "assert_golden"]

UPDATE_ENV = "QOBSERVE_UPDATE_GOLDEN"


def assert_golden(text: str, out: Path) -> None:
    """Assert ``text`` equals the golden file ``out`` (or rewrite it under :data:`UPDATE_ENV`)."""
    if os.environ.get(UPDATE_ENV):
        out.write_text(text)
    assert out.exists(), f"{out.name} missing: run with {UPDATE_ENV}=1"
    assert text == out.read_text(), (
        f"{out.name} differs: run with {UPDATE_ENV}=1 and review the diff"
    )
