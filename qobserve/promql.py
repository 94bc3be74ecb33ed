"""PromQL inspection shared by the SLO spec checks and the dashboard checks."""

from __future__ import annotations

from typing import Any

import promql_parser

__all__ = ["selected_metrics"]


def selected_metrics(expr: str) -> set[str]:
    """Metric and recording-rule names that ``expr`` selects.

    Raises:
        ValueError: ``expr`` is not valid PromQL (promql-parser's message).
    """
    names: set[str] = set()

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.VectorSelector) and node.name:
            names.add(node.name)

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names
