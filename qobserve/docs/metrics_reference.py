"""``docs/metrics.md``: the metrics reference, rendered from :mod:`qobserve.semconv`."""

from __future__ import annotations

from qobserve import semconv
from qobserve.conventions import generated_header
from qobserve.slo.config import Links

__all__ = ["render_metrics_reference"]

HEADER = f"""{generated_header("<!--")}# Metrics reference

Every metric qobserve exports, generated from `qobserve/semconv.py`. OpenTelemetry
names translate to these Prometheus names through the OpenTelemetry Prometheus
exporter (`tests/test_semconv.py` proves it). Base units only: seconds, US
dollars as plain numbers, ratios in 0–1; timestamps, not ages — compute an age
in PromQL as `time() - metric`.
"""


def render_metrics_reference(links: Links) -> str:
    """Markdown tables of metrics and attributes; alerts link to their runbooks under ``links``."""
    lines = [
        HEADER,
        "## Metrics",
        "",
        "| Prometheus name | type | unit | labels | OpenTelemetry name | meaning |",
        "|---|---|---|---|---|---|",
    ]
    for m in semconv.METRICS.values():
        labels = ", ".join(f"`{label}`" for label in m.labels) or "–"
        lines.append(
            f"| `{m.prom_name}` | {m.kind.value} | {m.prom_unit or '–'} | {labels} "
            f"| `{m.otel_name}` | {m.description} |"
        )
    lines += ["", "## Attributes", "", "| attribute | Prometheus label |", "|---|---|"]
    for attr in semconv.Attr:
        lines.append(f"| `{attr.value}` | `{semconv.LABEL[attr.value]}` |")
    lines += [
        "",
        "Job ids, circuit hashes and parameter values go on spans only, never on metric labels.",
        "",
        "## Alerts",
        "",
    ]
    # The same runbook links as the alerts' runbook_url annotations (alerts/slo.yaml links:).
    lines += [f"- [`{name}`]({links.runbook(name)})" for name in semconv.ALERTS]
    return "\n".join(lines) + "\n"
