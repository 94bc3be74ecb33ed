"""Panel, variable and link helpers shared by the dashboards (grafana-foundation-sdk 0.0.21).

Every panel made here has a description, a unit and the ``$datasource``
variable as its data source; ids are assigned in order by :class:`Board` so the
generated JSON is stable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from grafana_foundation_sdk.builders import common as cb
from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import prometheus, stat, table, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models.dashboard import (
    DashboardCursorSync,
    DashboardLinkType,
    DataSourceRef,
    DynamicConfigValue,
    VariableRefresh,
    VariableSort,
)
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

from qobserve import semconv as sc
from qobserve.conventions import DASHBOARD_UIDS, GENERATED_NOTE
from qobserve.slo.config import Links
from qobserve.slo.spec import SLOSpec

__all__ = ["DATASOURCE", "Board", "Target", "slo_alert", "slo_periods", "to_json"]

DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")


def slo_alert(spec: SLOSpec, kind: str) -> str | None:
    """Alert name of the spec's SLO with an SLI of ``kind``, for a panel's runbook link."""
    slo = spec.slo_of_kind(kind)
    return slo.alerting.name if slo else None


def slo_periods(spec: SLOSpec) -> str:
    """The SLOs' period as the spec writes it (``30d``); ``period`` when they differ."""
    periods = sorted({slo.period for slo in spec.slos})
    return periods[0] if len(periods) == 1 else "period"


@dataclass(frozen=True)
class Target:
    """One PromQL query of a panel and its legend."""

    expr: str
    legend: str = ""
    instant: bool = False


def _query_var(name: str, label: str, query: str, description: str) -> db.QueryVariable:
    return (
        db.QueryVariable(name)
        .label(label)
        .description(description)
        .query(query)
        .datasource(DATASOURCE)
        .multi(True)
        .include_all(True)
        .all_value(".*")
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.ALPHABETICAL_ASC)
    )


def _variables(extra: list[db.QueryVariable]) -> list:
    return [
        db.DatasourceVariable("datasource")
        .label("Data source")
        .type("prometheus")
        .description("Prometheus that scrapes the qobserve exporters and instrumented jobs."),
        _query_var(
            sc.PROVIDER_LABEL,
            "Provider",
            f"label_values({sc.PROVIDER_LABEL})",
            "SDK family (qiskit, braket, cirq).",
        ),
        _query_var(
            sc.BACKEND_LABEL,
            "Backend",
            f'label_values({{{sc.PROVIDER_LABEL}=~"${sc.PROVIDER_LABEL}"}}, {sc.BACKEND_LABEL})',
            "Backend/device name as in the quantum_backend label.",
        ),
        _query_var(
            sc.EXPERIMENT_LABEL,
            "Experiment",
            f"label_values({sc.EXPERIMENT_LABEL})",
            "Training experiment name.",
        ),
        *extra,
    ]


@dataclass
class Board:
    """Accumulates rows and panels of one dashboard, numbering panels in order."""

    name: str
    title: str
    description: str
    #: Runbook and Grafana bases, from the SLO spec's ``links:`` (the rules use the same).
    links: Links
    extra_variables: list[db.QueryVariable] = field(default_factory=list)
    _builder: db.Dashboard | None = None
    _next_id: int = 1

    def __post_init__(self) -> None:
        others = [
            db.DashboardLink("qobserve dashboards")
            .type(DashboardLinkType.DASHBOARDS)
            .tags(["qobserve"])
            .as_dropdown(True)
            .include_vars(True)
            .keep_time(True)
        ]
        self._builder = (
            db.Dashboard(self.title)
            .uid(DASHBOARD_UIDS[self.name])
            .description(f"{self.description} {GENERATED_NOTE}")
            .tags(["qobserve", "quantum"])
            .editable()
            .refresh("1m")
            .time("now-6h", "now")
            .timezone("utc")
            .tooltip(DashboardCursorSync.CROSSHAIR)
            .variables(_variables(self.extra_variables))
            .links(
                [
                    *others,
                    db.DashboardLink("Runbooks")
                    .type(DashboardLinkType.LINK)
                    .url(self.links.runbook())
                    .target_blank(True)
                    .icon("doc")
                    .tooltip("On-call runbooks for every qobserve alert"),
                ]
            )
        )

    def _id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    def row(self, title: str) -> Board:
        """Start a row (a collapsible section heading)."""
        assert self._builder is not None
        self._builder.with_row(db.Row(title).id(self._id()))
        return self

    def _finish(
        self,
        panel,
        title: str,
        description: str,
        unit: str,
        targets: list[Target],
        width: int,
        height: int,
        runbook: str | None,
    ):
        panel = (
            panel.id(self._id())
            .title(title)
            .description(description)
            .unit(unit)
            .datasource(DATASOURCE)
            .span(width)
            .height(height)
        )
        for i, t in enumerate(targets):
            q = prometheus.Dataquery().expr(t.expr).ref_id(chr(ord("A") + i))
            q = q.legend_format(t.legend) if t.legend else q
            q = q.instant().format(PromQueryFormat.TABLE) if t.instant else q.range()
            panel = panel.with_target(q)
        if runbook:
            panel = panel.links(
                [
                    db.DashboardLink(f"Runbook: {runbook}")
                    .url(self.links.runbook(runbook))
                    .target_blank(True)
                ]
            )
        assert self._builder is not None
        self._builder.with_panel(panel)
        return self

    def series(
        self,
        title: str,
        description: str,
        unit: str,
        *targets: Target,
        width: int = 12,
        height: int = 8,
        runbook: str | None = None,
        min_value: float | None = None,
        max_value: float | None = None,
    ) -> Board:
        """A time-series panel with a table legend showing last and max."""
        panel = (
            timeseries.Panel()
            .legend(
                cb.VizLegendOptions()
                .show_legend(True)
                .display_mode(common.LegendDisplayMode.TABLE)
                .placement(common.LegendPlacement.BOTTOM)
                .calcs(["lastNotNull", "max"])
            )
            .tooltip(
                cb.VizTooltipOptions()
                .mode(common.TooltipDisplayMode.MULTI)
                .sort(common.SortOrder.DESCENDING)
            )
        )
        if min_value is not None:
            panel = panel.min(min_value)
        if max_value is not None:
            panel = panel.max(max_value)
        return self._finish(panel, title, description, unit, list(targets), width, height, runbook)

    def stat(
        self,
        title: str,
        description: str,
        unit: str,
        *targets: Target,
        width: int = 6,
        height: int = 4,
        runbook: str | None = None,
    ) -> Board:
        """A single-value panel (last value, with a sparkline)."""
        panel = (
            stat.Panel()
            .graph_mode(common.BigValueGraphMode.AREA)
            .reduce_options(cb.ReduceDataOptions().calcs(["lastNotNull"]))
        )
        return self._finish(panel, title, description, unit, list(targets), width, height, runbook)

    def table(
        self,
        title: str,
        description: str,
        unit: str,
        *targets: Target,
        width: int = 24,
        height: int = 8,
        runbook: str | None = None,
        runbook_field: str | None = None,
    ) -> Board:
        """A table of instant results, one row per series.

        ``runbook_field`` names a column holding alert names; each cell links to its runbook.
        """
        targets = tuple(Target(t.expr, t.legend, instant=True) for t in targets)
        panel = table.Panel()
        if runbook_field:
            link = {
                "title": "Runbook",
                "url": self.links.runbook("${__value.raw}"),
                "targetBlank": True,
            }
            panel = panel.override_by_name(
                runbook_field, [DynamicConfigValue(id_val="links", value=[link])]
            )
        return self._finish(panel, title, description, unit, list(targets), width, height, runbook)

    def build(self) -> dict:
        """The dashboard as a JSON-ready dict."""
        assert self._builder is not None
        return json.loads(json.dumps(self._builder.build(), cls=JSONEncoder))


def to_json(dashboard: dict) -> str:
    """Stable, diff-friendly JSON text for a dashboard."""
    return json.dumps(dashboard, indent=2, sort_keys=True) + "\n"
