"""Pure generation: an :class:`SLOSpec` → Prometheus rule groups (recordings and burn alerts).

One rule group per SLO, so Prometheus evaluates its rules in order within one
cycle: the gauge SLI's bad-sample rule, the error ratio over every window the
alerts need plus the period, the metadata rules (objective, budget, burn
rates, budget remaining), then the page and ticket alerts. Alerts follow the
SRE Workbook's multiwindow, multi-burn-rate method (chapter 5, table 5-8):
a tier fires when both its long and short window burn faster than its factor,
and only when the long window saw at least ``min_events`` events.
"""

from __future__ import annotations

from qobserve import semconv
from qobserve._validation import duration_ms
from qobserve.slo._yaml import dump_generated
from qobserve.slo.spec import SLO, SLOSpec, TierAlerting
from qobserve.slo.windows import BurnWindow, format_duration, format_number

__all__ = ["burn_windows", "render_slo_rules", "slo_rule_groups"]


def burn_windows(spec: SLOSpec, slo: SLO) -> list[BurnWindow]:
    """The SLO's alert tiers resolved to concrete windows, factors and thresholds."""
    return [
        BurnWindow.resolve(
            t,
            period_ms=spec.period_ms(slo),
            objective_percent=slo.objective_ratio * 100,
            compression=spec.windows.time_compression,
        )
        for t in spec.windows.resolved_tiers()
    ]


def _windows(spec: SLOSpec, slo: SLO) -> list[str]:
    """Every window needed, shortest first: tier windows and the period."""
    ms = {duration_ms(w) for b in burn_windows(spec, slo) for w in (b.long, b.short)}
    ms.add(spec.period_ms(slo))
    return [format_duration(m) for m in sorted(ms)]


def _labels(spec: SLOSpec, slo: SLO) -> dict[str, str]:
    return {
        **spec.labels,
        **slo.labels,
        semconv.SLO_LABEL: slo.name,
        semconv.SLO_SERVICE_LABEL: spec.service,
    }


def _selector(spec: SLOSpec, slo: SLO) -> str:
    return f'{semconv.SLO_LABEL}="{slo.name}",{semconv.SLO_SERVICE_LABEL}="{spec.service}"'


def _recordings(spec: SLOSpec, slo: SLO) -> list[dict]:
    labels, sel = _labels(spec, slo), _selector(spec, slo)
    rules: list[dict] = []
    if (sample := slo.sli.sample_expr()) is not None:
        rules.append({"record": semconv.SLO_ERROR_SAMPLE, "expr": sample, "labels": labels})
    windows = _windows(spec, slo)
    for window in windows:
        rules.append(
            {
                "record": semconv.slo_error_ratio(window),
                "expr": slo.sli.error_ratio(window, sel),
                "labels": labels,
            }
        )
    budget = format_number(1 - slo.objective_ratio)
    period = format_duration(spec.period_ms(slo))
    rules += [
        {
            "record": semconv.SLO_OBJECTIVE,
            "expr": f"vector({format_number(slo.objective_ratio)})",
            "labels": labels,
        },
        {"record": semconv.SLO_ERROR_BUDGET, "expr": f"vector({budget})", "labels": labels},
        {
            "record": semconv.SLO_CURRENT_BURN_RATE,
            "expr": f"{semconv.slo_error_ratio(windows[0])}{{{sel}}} / {budget}",
            "labels": labels,
        },
        {
            "record": semconv.SLO_PERIOD_BURN_RATE,
            "expr": f"{semconv.slo_error_ratio(period)}{{{sel}}} / {budget}",
            "labels": labels,
        },
        {
            "record": semconv.SLO_PERIOD_ERROR_BUDGET_REMAINING,
            "expr": f"1 - {semconv.SLO_PERIOD_BURN_RATE}{{{sel}}}",
            "labels": labels,
        },
    ]
    return rules


def _condition(slo: SLO, sel: str, window: BurnWindow) -> str:
    threshold = format_number(window.threshold)
    lines = [
        f"{semconv.slo_error_ratio(window.long)}{{{sel}}} > {threshold}",
        "and",
        f"{semconv.slo_error_ratio(window.short)}{{{sel}}} > {threshold}",
    ]
    if slo.alerting.min_events and (events := slo.sli.events(window.long)) is not None:
        on = ", ".join(slo.sli.group_by)
        lines += [f"and on ({on})", f"{events} >= {slo.alerting.min_events}"]
    return "(\n" + "\n".join(f"  {line}" for line in lines) + "\n)"


def _grouping_text(slo: SLO) -> str:
    return "/".join(f"{{{{ $labels.{g} }}}}" for g in slo.sli.group_by) or "all"


def _alert(
    spec: SLOSpec, slo: SLO, tier: str, windows: list[BurnWindow], options: TierAlerting
) -> dict:
    sel = _selector(spec, slo)
    expr = "\nor\n".join(_condition(slo, sel, w) for w in windows)
    pairs = " or ".join(f"{format_number(w.factor)}x over {w.long} and {w.short}" for w in windows)
    name = slo.alerting.name
    speed = "fast" if tier == "page" else "steadily"
    annotations = {
        "summary": f"SLO {slo.name} is burning its error budget {speed} on {_grouping_text(slo)}",
        "description": (
            f"{slo.description or slo.name}: the error ratio burns the "
            f"{format_number(slo.objective_ratio * 100)}% / {slo.period} error budget at "
            f"{pairs} the sustainable rate (SRE Workbook multi-window multi-burn-rate)."
        ),
        "runbook_url": spec.links.runbook(name),
        "dashboard_url": spec.links.dashboard(
            slo.alerting.dashboard_uid, **{semconv.SLO_LABEL: slo.name}
        ),
        **slo.alerting.annotations,
        **options.annotations,
    }
    labels = {
        **_labels(spec, slo),
        semconv.SEVERITY_LABEL: options.severity or tier,
        semconv.BURN_TIER_LABEL: tier,
        **slo.alerting.labels,
        **options.labels,
    }
    return {"alert": name, "expr": expr, "labels": labels, "annotations": annotations}


def _alerts(spec: SLOSpec, slo: SLO) -> list[dict]:
    resolved = burn_windows(spec, slo)
    rules = []
    for tier in ("page", "ticket"):
        options: TierAlerting = getattr(slo.alerting, tier)
        windows = [w for w in resolved if w.tier == tier]
        if windows and not options.disable:
            rules.append(_alert(spec, slo, tier, windows, options))
    return rules


def slo_rule_groups(spec: SLOSpec) -> list[dict]:
    """Prometheus rule groups for every SLO of ``spec`` (pure; no I/O)."""
    return [
        {
            "name": f"slo-{spec.service}-{slo.name}",
            "rules": _recordings(spec, slo) + _alerts(spec, slo),
        }
        for slo in spec.slos
    ]


def render_slo_rules(spec: SLOSpec, *, source: str = "alerts/slo.yaml") -> str:
    """The ``*.rules.yml`` text for ``spec``'s SLOs, with the generated-file header."""
    return dump_generated({"groups": slo_rule_groups(spec)}, source=source)
