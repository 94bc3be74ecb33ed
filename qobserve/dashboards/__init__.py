"""Grafana dashboards generated with grafana-foundation-sdk into ``dashboards/*.json``.

Four dashboards with stable UIDs (``qobserve-executive``, ``qobserve-oncall``,
``qobserve-debug``, ``qobserve-slo``), a ``$datasource`` variable and
provider/backend/experiment filters. Every query is built from
:mod:`qobserve.semconv` names; :func:`dashboard_queries` lists them with Grafana
macros substituted so tests and a real Prometheus can evaluate them.
"""

from __future__ import annotations

from collections.abc import Callable

from qobserve.dashboards import debug, executive, oncall, slo
from qobserve.dashboards.panels import UIDS, to_json
from qobserve.dashboards.queries import substitute_macros

__all__ = ["BUILDERS", "UIDS", "dashboard_queries", "render_all", "render_dashboard"]

#: Dashboard name → builder; the file is ``dashboards/<name>.json``.
BUILDERS: dict[str, Callable[[], dict]] = {
    "executive": executive.build,
    "oncall": oncall.build,
    "debug": debug.build,
    "slo": slo.build,
}


def render_dashboard(name: str) -> str:
    """JSON text of one dashboard, as committed under ``dashboards/``."""
    return to_json(BUILDERS[name]())


def render_all() -> dict[str, str]:
    """Relative path → content of every dashboard file."""
    return {f"dashboards/{name}.json": render_dashboard(name) for name in BUILDERS}


def dashboard_queries() -> list[tuple[str, str, str]]:
    """Every panel query as ``(dashboard, panel title, expr)`` with macros substituted."""
    found = []
    for name, build in BUILDERS.items():
        for panel in build()["panels"]:
            for target in panel.get("targets", []):
                found.append((name, panel["title"], substitute_macros(target["expr"])))
    return found
