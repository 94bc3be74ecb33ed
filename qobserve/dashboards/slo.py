"""SLO dashboard: objective, SLI, burn rates per window and budget left, per SLO."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.models.dashboard import VariableRefresh

from qobserve import semconv as sc
from qobserve._validation import duration_ms
from qobserve.dashboards.panels import DATASOURCE, Board, Target, slo_alert, slo_periods
from qobserve.dashboards.queries import by, sel
from qobserve.slo.rules import burn_windows
from qobserve.slo.spec import SLOSpec
from qobserve.slo.windows import BurnWindow, format_duration, format_number

__all__ = ["build"]

_SLO = sc.SLO_LABEL


def _slo_variable() -> db.QueryVariable:
    return (
        db.QueryVariable(_SLO)
        .label("SLO")
        .description("SLO name from alerts/slo.yaml.")
        .query(f"label_values({sc.SLO_OBJECTIVE}, {_SLO})")
        .datasource(DATASOURCE)
        .multi(True)
        .include_all(True)
        .all_value(".*")
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
    )


def _burn(window: str) -> str:
    """Burn rate over ``window``: error ratio divided by the SLO's error budget."""
    budget = f"max {by(_SLO)} ({sel(sc.SLO_ERROR_BUDGET, _SLO)})"
    return f"max {by(_SLO)} ({sel(sc.slo_error_ratio(window), _SLO)}) / on ({_SLO}) {budget}"


def _period_sli(spec: SLOSpec) -> str:
    """SLI over each SLO's own period: one recording rule per distinct (compressed) period."""
    periods = sorted({spec.period_ms(slo) for slo in spec.slos}) or [duration_ms("30d")]
    return " or ".join(
        f"1 - max {by(_SLO)} ({sel(sc.slo_error_ratio(format_duration(p)), _SLO)})" for p in periods
    )


def _tiers(spec: SLOSpec) -> list[BurnWindow]:
    """The alert tiers as the rules resolve them (every SLO shares the spec's tiers)."""
    return burn_windows(spec, spec.slos[0]) if spec.slos else []


def _windows(spec: SLOSpec) -> list[str]:
    """Every window the rules record for the spec's tiers, shortest first."""
    ms = {
        duration_ms(w)
        for slo in spec.slos
        for t in burn_windows(spec, slo)
        for w in (t.long, t.short)
    }
    return [format_duration(m) for m in sorted(ms)] or list(sc.SLO_WINDOWS)


def _factors(spec: SLOSpec) -> str:
    """``page 14.4x over 1h/5m; …`` for the first SLO's tiers (factors scale with its period)."""
    return "; ".join(
        f"{t.tier} {format_number(t.factor)}x over {t.long}/{t.short}" for t in _tiers(spec)
    )


def build(spec: SLOSpec) -> dict:
    """The ``qobserve-slo`` dashboard for the SLOs and links of ``spec``."""
    period = slo_periods(spec)
    b = Board(
        "slo",
        "qobserve / SLOs",
        "Each SLO's objective, current SLI, burn rates and "
        "remaining error budget (recording rules from alerts/slo.rules.yml).",
        spec.links,
        extra_variables=[_slo_variable()],
    )
    b.row("Status")
    b.stat(
        "Objective",
        f"Target share of good events over the {period} period.",
        "percentunit",
        Target(f"max {by(_SLO)} ({sel(sc.SLO_OBJECTIVE, _SLO)})", "{{slo}}"),
    )
    b.stat(
        f"SLI ({period})",
        "Share of good events over the period so far.",
        "percentunit",
        Target(_period_sli(spec), "{{slo}}"),
    )
    b.stat(
        "Error budget remaining",
        "Share of the period's error budget still unspent; "
        "negative means the SLO is already breached.",
        "percentunit",
        Target(f"min {by(_SLO)} ({sel(sc.SLO_PERIOD_ERROR_BUDGET_REMAINING, _SLO)})", "{{slo}}"),
        runbook=slo_alert(spec, "job_success"),
    )
    b.stat(
        "Current burn rate",
        f"Burn rate over {_windows(spec)[0]}: 1 spends the budget exactly over the period; "
        "the tiers below say how fast each alert needs it.",
        "none",
        Target(f"max {by(_SLO)} ({sel(sc.SLO_CURRENT_BURN_RATE, _SLO)})", "{{slo}}"),
    )
    b.row("Burn rates")
    b.series(
        "Burn rate per window",
        "Error ratio over each alert window divided by the error budget. A tier fires "
        f"when both its long and short window exceed its factor ({_factors(spec)}).",
        "none",
        *(Target(_burn(w), f"{{{{slo}}}} {w}") for w in _windows(spec)),
        width=24,
    )
    b.series(
        "SLI error ratio",
        "Share of bad events over the shortest window and each alert tier's long window, per SLO.",
        "percentunit",
        *(
            Target(f"max {by(_SLO)} ({sel(sc.slo_error_ratio(w), _SLO)})", f"{{{{slo}}}} {w}")
            for w in dict.fromkeys([_windows(spec)[0], *(t.long for t in _tiers(spec))])
        ),
    )
    b.series(
        "Budget remaining over time",
        "Remaining error budget of the period; the slope is the period burn rate.",
        "percentunit",
        Target(f"min {by(_SLO)} ({sel(sc.SLO_PERIOD_ERROR_BUDGET_REMAINING, _SLO)})", "{{slo}}"),
        Target(
            f"max {by(_SLO)} ({sel(sc.SLO_PERIOD_BURN_RATE, _SLO)})", "period burn rate {{slo}}"
        ),
    )
    return b.build()
