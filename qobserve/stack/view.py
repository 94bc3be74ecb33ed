"""The live terminal view of the demo stack: phase, SLIs, firing alerts, Slack messages.

Every number comes from the running Prometheus (the demo's recording rules
and raw series) and Alertmanager, so the view shows what an on-call engineer
would see, not the demo's own bookkeeping.
"""

from __future__ import annotations

import math
import time
from datetime import datetime

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table

from qobserve import semconv
from qobserve.semconv import QUANTUM_JOBS_TOTAL, Attr
from qobserve.slo.rules import burn_windows

__all__ = ["render", "sli_window"]

_B = semconv.LABEL[Attr.BACKEND]
_SLO = "job-success"


def sli_window(spec) -> str:
    """The longest short window of the page tiers: long enough to be stable, short enough to move."""
    slo = next(s for s in spec.slos if s.name == _SLO)
    pages = [w for w in burn_windows(spec, slo) if w.tier == "page"]
    return max(pages, key=lambda w: w.long_ms).short


def _by_backend(stack, promql: str) -> dict[str, float]:
    out = {}
    for r in stack.query(promql):
        try:
            out[r["metric"].get(_B, "")] = float(r["value"][1])
        except (KeyError, ValueError, IndexError):
            continue
    return out


def _pct(v: float | None) -> str:
    return "–" if v is None or math.isnan(v) else f"{v:.1%}"


def budget_left(v: float | None) -> str:
    """The error budget remaining as a percentage; spent past zero reads "over budget by"."""
    if v is not None and not math.isnan(v) and v < 0:
        return f"over budget by {-v:.1%}"
    return _pct(v)


def sli_table(stack) -> Table:
    """Per-backend job rate, success ratio, burn rate and error budget left, from Prometheus."""
    window = sli_window(stack.spec)
    sel = f'{semconv.SLO_LABEL}="{_SLO}"'
    jobs = semconv.metric(QUANTUM_JOBS_TOTAL).prom_name
    rate = _by_backend(stack, f"sum by ({_B}) (rate({jobs}[{window}]))")
    error = _by_backend(stack, f"{semconv.slo_error_ratio(window)}{{{sel}}}")
    burn = _by_backend(stack, f"{semconv.SLO_CURRENT_BURN_RATE}{{{sel}}}")
    left = _by_backend(stack, f"{semconv.SLO_PERIOD_ERROR_BUDGET_REMAINING}{{{sel}}}")
    table = Table(title=f"SLIs from Prometheus (job success, {window} window)", expand=True)
    for col in ("backend", "jobs/s", "success", "burn rate", "budget left"):
        table.add_column(col, justify="left" if col == "backend" else "right")
    for backend in sorted(set(rate) | set(error)):
        e = error.get(backend)
        success = None if e is None else 1 - e
        style = "red" if e is not None and e > 0.05 else ""
        table.add_row(
            backend,
            f"{rate.get(backend, 0):.1f}",
            _pct(success),
            f"{burn[backend]:.1f}x" if backend in burn else "–",
            budget_left(left.get(backend)),
            style=style,
        )
    fallbacks = stack.query(f"sum({semconv.metric('quantum_job_fallbacks_total').prom_name})")
    if fallbacks:
        table.caption = f"executor fallbacks so far: {float(fallbacks[0]['value'][1]):.0f}"
    return table


def alerts_table(alerts: list[dict]) -> Table:
    table = Table(title="Alertmanager: active alerts", expand=True)
    for col in ("alert", "severity", "backend", "since"):
        table.add_column(col)
    for a in sorted(alerts, key=lambda a: a.get("startsAt", "")):
        labels = a.get("labels", {})
        since = a.get("startsAt", "")[11:19]
        style = "bold red" if labels.get("severity") == "page" else "yellow"
        table.add_row(
            labels.get("alertname", "?"),
            labels.get("severity", ""),
            labels.get(_B, ""),
            since,
            style=style,
        )
    if not alerts:
        table.add_row("[green]none[/]", "", "", "")
    return table


def messages_table(messages, limit: int = 6) -> Table:
    table = Table(title="Slack (local sink): delivered messages", expand=True)
    for col in ("time", "channel", "message"):
        table.add_column(col, overflow="ellipsis", no_wrap=col != "message")
    for m in messages[-limit:]:
        style = "red" if m.alert_status == "firing" else "green"
        table.add_row(
            datetime.fromtimestamp(m.received).strftime("%H:%M:%S"),
            m.channel_name,
            m.text,
            style=style,
        )
    if not messages:
        table.add_row("", "", "[dim]nothing yet[/]")
    return table


def render(scenario) -> RenderableType:
    """The whole view for the scenario's current state."""
    phase = scenario.current
    index = scenario.phases.index(phase) + 1 if phase in scenario.phases else 0
    elapsed = time.monotonic() - scenario.phase_started
    title = phase.title if phase else "starting"
    header = Panel(
        f"[bold]{title}[/]  ({elapsed:.0f} s)\nwaiting until: {phase.goal if phase else ''}\n"
        f"training steps: {scenario.workload.steps}",
        title=f"qobserve demo --stack · phase {index}/{len(scenario.phases)}",
    )
    return Group(
        header,
        sli_table(scenario.stack),
        alerts_table(scenario.alerts),
        messages_table(scenario.stack.messages()),
    )
