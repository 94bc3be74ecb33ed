"""Import an OpenSLO v1 ``SLO`` document into a qobserve SLO entry (raw events SLI).

Like Sloth's OpenSLO support, only ratio metrics with Prometheus queries are
accepted, and the queries must put ``{{.window}}`` where the range goes. A
``good`` query becomes the error query ``total - good``.
"""

from __future__ import annotations

from fractions import Fraction

from qobserve.slo.sli import WINDOW_PLACEHOLDER
from qobserve.slo.windows import format_number

__all__ = ["from_openslo"]


def _query(ratio: dict, key: str) -> str | None:
    source = (ratio.get(key) or {}).get("metricSource") or {}
    if source and source.get("type", "Prometheus").lower() != "prometheus":
        raise ValueError(
            f"spec.indicator.spec.ratioMetric.{key}.metricSource.type: only "
            f"Prometheus is supported, got {source.get('type')!r}"
        )
    return (source.get("spec") or {}).get("query")


def from_openslo(doc: dict, *, alert_name: str) -> dict:
    """Convert an OpenSLO ``openslo/v1`` SLO document into an entry for ``slos:``.

    Raises:
        ValueError: naming the OpenSLO field that is missing or unsupported.
    """
    if doc.get("apiVersion") != "openslo/v1" or doc.get("kind") != "SLO":
        raise ValueError("apiVersion/kind: expected an openslo/v1 SLO document")
    spec = doc.get("spec") or {}
    ratio = ((spec.get("indicator") or {}).get("spec") or {}).get("ratioMetric")
    if not ratio:
        raise ValueError("spec.indicator.spec.ratioMetric: only ratio metrics are supported")
    total, good, bad = (_query(ratio, k) for k in ("total", "good", "bad"))
    if not total or not (good or bad):
        raise ValueError("spec.indicator.spec.ratioMetric: needs total and good or bad queries")
    error = bad or f"({total}) - ({good})"
    if WINDOW_PLACEHOLDER not in error + total:
        raise ValueError(f"spec.indicator.spec.ratioMetric: queries must use {WINDOW_PLACEHOLDER}")
    objectives = spec.get("objectives") or [{}]
    target = objectives[0].get("target")
    if target is None:
        raise ValueError("spec.objectives[0].target: required (a ratio such as 0.99)")
    windows = spec.get("timeWindow") or [{"duration": "30d"}]
    return {
        "name": (doc.get("metadata") or {}).get("name", ""),
        "description": spec.get("description", ""),
        "objective": float(format_number(Fraction(str(target)) * 100)),
        "period": windows[0].get("duration", "30d"),
        "sli": {"kind": "events", "error_query": error, "total_query": total},
        "alerting": {"name": alert_name},
    }
