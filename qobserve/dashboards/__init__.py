"""Grafana dashboards generated with grafana-foundation-sdk into ``dashboards/*.json``.

Four dashboards with stable UIDs (:data:`qobserve.conventions.DASHBOARD_UIDS`), a
``$datasource`` variable and provider/backend/experiment filters. Every query is
built from :mod:`qobserve.semconv` names. Builders read the same SLO spec
(``alerts/slo.yaml``) as the rule generator: runbook links from its ``links:``,
SLO names, alert names and periods from its ``slos:``, so a fork that changes
them gets dashboards and alerts that agree. :func:`dashboard_queries` lists the
queries with Grafana macros substituted so tests and a real Prometheus can
evaluate them.
"""

from __future__ import annotations

from collections.abc import Callable

from qobserve.conventions import DASHBOARD_UIDS, dashboard_path
from qobserve.dashboards import debug, executive, oncall, slo
from qobserve.dashboards.panels import to_json
from qobserve.dashboards.queries import substitute_macros
from qobserve.slo.spec import SLOSpec

__all__ = ["BUILDERS", "UIDS", "dashboard_queries", "render_all", "render_dashboard"]

#: Dashboard name → UID (kept as an alias of the conventions' table).
UIDS = DASHBOARD_UIDS

#: Dashboard name → builder; the file is ``dashboards/<name>.json``.
BUILDERS: dict[str, Callable[[SLOSpec], dict]] = {
    "executive": executive.build,
    "oncall": oncall.build,
    "debug": debug.build,
    "slo": slo.build,
}


def render_dashboard(name: str, spec: SLOSpec) -> str:
    """JSON text of one dashboard for ``spec``, as committed under ``dashboards/``."""
    return to_json(BUILDERS[name](spec))


def render_all(spec: SLOSpec) -> dict[str, str]:
    """Relative path → content of every dashboard file."""
    return {dashboard_path(name): render_dashboard(name, spec) for name in BUILDERS}


def dashboard_queries(spec: SLOSpec) -> list[tuple[str, str, str]]:
    """Every panel query as ``(dashboard, panel title, expr)`` with macros substituted."""
    found = []
    for name, build in BUILDERS.items():
        for panel in build(spec)["panels"]:
            for target in panel.get("targets", []):
                found.append((name, panel["title"], substitute_macros(target["expr"])))
    return found
