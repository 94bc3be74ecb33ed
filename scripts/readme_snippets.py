"""The README's ```python snippets as files a fresh interpreter runs.

``scripts/try-as-newcomer.sh`` and ``tests/docs/test_readme_snippets.py`` both
take the snippets from here, so the newcomer run and the test run exactly the
code the README shows. The only change allowed is the ``/metrics`` port: the
README serves on 9464, a run on a shared machine asks for another.

Usage: ``python scripts/readme_snippets.py README.md OUTDIR [--port N]`` writes
``OUTDIR/snippet-1.py`` … and prints their paths.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

__all__ = ["README_PORT", "python_snippets", "with_port"]

_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
#: How every README snippet that serves /metrics asks for its port.
README_PORT = "prometheus_port=9464"


def python_snippets(readme: Path) -> list[str]:
    """The code of every ```python block in ``readme``, in order."""
    return [code for lang, code in _FENCE.findall(readme.read_text()) if lang == "python"]


def with_port(code: str, port: int) -> str:
    """``code`` serving ``/metrics`` on ``port`` (0: a free one) instead of the README's 9464.

    Raises:
        ValueError: the snippet does not spell its port as ``prometheus_port=9464``.
    """
    if README_PORT not in code:
        raise ValueError(f"README snippet does not call configure({README_PORT}, ...)")
    return code.replace(README_PORT, f"prometheus_port={port}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("readme", type=Path)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--port", type=int, help="serve /metrics here instead of 9464 (0: free)")
    args = parser.parse_args()
    args.outdir.mkdir(parents=True, exist_ok=True)
    for i, code in enumerate(python_snippets(args.readme), start=1):
        path = args.outdir / f"snippet-{i}.py"
        path.write_text(code if args.port is None else with_port(code, args.port))
        print(path)


if __name__ == "__main__":
    main()
