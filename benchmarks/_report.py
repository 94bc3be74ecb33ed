"""One line per measured goal, shared by every benchmark script.

A script calls :func:`goal` for each figure it measures against a goal; the
line is readable on its own and carries a JSON record after the ``::bench``
marker so ``python -m benchmarks`` can collect one table from every script
run as a subprocess.
"""

from __future__ import annotations

import json

MARKER = "::bench"


def goal(path: str, figure: str, target: str, met: bool | None) -> None:
    """Print ``path``'s measured ``figure`` beside its ``target`` (``met`` is
    None where the figure has no pass/fail, e.g. under ``--quick``)."""
    verdict = {True: "met", False: "NOT met", None: "not judged"}[met]
    record = {"path": path, "figure": figure, "goal": target, "met": met}
    print(
        f"{MARKER} {json.dumps(record, ensure_ascii=False)}  # {figure} (goal {target}): {verdict}"
    )
