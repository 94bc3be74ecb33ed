"""The README's picture of the demo's final screen comes from the script and is current."""

from __future__ import annotations

import html
import importlib.util
import re
from pathlib import Path

from prometheus_client import CollectorRegistry

from qobserve.demo.summary import sli_table

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("readme_picture", ROOT / "scripts/readme_picture.py")
readme_picture = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(readme_picture)

PICTURE = readme_picture.OUT


def _screen_text(svg: str) -> str:
    """The terminal text of a rich SVG export, one line per row (spacing between runs lost)."""
    rows: dict[float, list[tuple[float, str]]] = {}
    for m in re.finditer(r'<text[^>]*x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', svg):
        text = html.unescape(m.group(3)).replace("\xa0", " ")
        rows.setdefault(float(m.group(2)), []).append((float(m.group(1)), text))
    return "\n".join("".join(t for _, t in sorted(rows[y])) for y in sorted(rows))


def test_readme_shows_the_picture():
    """README's "What the demo shows" embeds the generated picture."""
    readme = (ROOT / "README.md").read_text()
    assert f"]({PICTURE.relative_to(ROOT).as_posix()})" in readme


def test_picture_was_made_by_the_script():
    """The SVG carries the script's mark and rich's own, not a hand-drawn image."""
    svg = PICTURE.read_text()
    assert svg.startswith(f"<!-- {readme_picture.MARK} -->")
    assert "Generated with Rich" in svg


def test_picture_shows_the_current_final_screen():
    """Every section the demo ends with today is in the picture (else rerun the script)."""
    screen = _screen_text(PICTURE.read_text())
    sections = [
        sli_table(CollectorRegistry()).title,
        "Training",
        "RB on fake_manila qubit 0: error per Clifford",
        "executor under faults:",
        "Look at:",
        "runbooks       file:///home/you/qobserve/runbooks/README.md",
        "RB decay plot  /tmp/qobserve-demo-xxxxxxxx/rb-fake_manila-q0.png",
        "/metrics stops with the demo: --serve-seconds 300 keeps it up to look at",
    ]
    # Styled runs are separate <text> elements placed by x: compare without the spacing.
    squeezed = "".join(screen.split())
    missing = [s for s in sections if "".join(s.split()) not in squeezed]
    assert not missing, f"docs/images/demo.svg is stale: run scripts/readme_picture.py ({missing})"
