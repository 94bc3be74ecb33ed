"""PromQL for the dashboards, built from semconv names: no metric name typed by hand.

Selectors carry the dashboards' template variables as regex matchers. The
variables are named after their labels (``$quantum_provider``, ``$quantum_backend``,
``$quantum_experiment``, ``$slo``) so alert ``dashboard_url`` links can pass
``var-<label>=<value>``. Rates use ``$__rate_interval`` so Grafana picks a window
of at least four scrape intervals.
:func:`substitute_macros` replaces those with concrete values so the queries can
be parsed (promql-parser) or evaluated by a real Prometheus.
"""

from __future__ import annotations

import re

from qobserve import semconv as sc
from qobserve._validation import duration_ms
from qobserve.promql import selected_metrics
from qobserve.semconv import JobStatus

__all__ = [
    "MACROS",
    "by",
    "failed",
    "job_filter",
    "metric_names",
    "quantile",
    "rate",
    "sel",
    "substitute_macros",
]


#: Values used in place of Grafana's macros and variables when a query is parsed or
#: evaluated outside Grafana ("All" selects everything).
MACROS: dict[str, str] = {
    "$__rate_interval": "5m",
    "$__interval": "1m",
    "$__range": "1h",
    "$quantum_provider": ".*",
    "$quantum_backend": ".*",
    "$quantum_experiment": ".*",
    "$slo": ".*",
}

_VARS = {
    label: f"${label}"
    for label in (sc.PROVIDER_LABEL, sc.BACKEND_LABEL, sc.EXPERIMENT_LABEL, sc.SLO_LABEL)
}


def _is_error_ratio(metric: str) -> bool:
    """``slo:sli_error:ratio_rate<window>`` for any window a spec's period may give."""
    window = metric.removeprefix(sc.SLO_ERROR_RATIO_PREFIX)
    if window == metric:
        return False
    try:
        duration_ms(window)
    except ValueError:
        return False
    return True


def _name(metric: str) -> str:
    """A semconv metric or recording-rule name, checked to exist."""
    drift = {sc.gate_error_drift(w) for w in sc.GATE_ERROR_DRIFT_WINDOWS}
    if (
        metric in sc.METRICS
        or metric in sc.SLO_RECORDING_RULES
        or metric == sc.SLO_ERROR_SAMPLE
        or metric in drift
        or _is_error_ratio(metric)
    ):
        return metric
    base = re.sub(r"_(bucket|sum|count)$", "", metric)
    if sc.METRICS.get(base) and sc.METRICS[base].kind is sc.Instrument.HISTOGRAM:
        return metric
    raise KeyError(f"unknown metric {metric!r}: declare it in qobserve/semconv.py first")


def sel(metric: str, *filters: str, **matchers: str) -> str:
    """``metric{label=~"$var", ..., key="value"}`` for the given variable labels.

    Args:
        metric: Prometheus name from semconv (histogram ``_bucket`` etc. allowed).
        filters: labels to bind to their dashboard variable (``sc.PROVIDER_LABEL``, ``sc.BACKEND_LABEL`` …).
        matchers: exact label matches; a value starting with ``~`` is a regex, ``!`` a negation.
    """
    parts = [f'{label}=~"{_VARS[label]}"' for label in filters]
    for key, value in matchers.items():
        op = {"~": "=~", "!": "!="}.get(value[:1])
        parts.append(f'{key}{op}"{value[1:]}"' if op else f'{key}="{value}"')
    return f"{_name(metric)}{{{','.join(parts)}}}" if parts else _name(metric)


def job_filter() -> tuple[str, str]:
    """The provider and backend filters every job panel applies."""
    return (sc.PROVIDER_LABEL, sc.BACKEND_LABEL)


def by(*labels: str) -> str:
    """``by (a, b)`` clause."""
    return f"by ({', '.join(labels)})"


def rate(selector: str, *group: str, window: str = "$__rate_interval") -> str:
    """``sum by (group) (rate(selector[window]))``."""
    return (
        f"sum {by(*group)} (rate({selector}[{window}]))"
        if group
        else f"sum(rate({selector}[{window}]))"
    )


def quantile(q: float, histogram: str, *group: str) -> str:
    """``histogram_quantile`` over a semconv histogram, filtered by provider and backend."""
    bucket = sel(f"{histogram}_bucket", *job_filter())
    return f"histogram_quantile({q}, {rate(bucket, 'le', *group)})"


def failed() -> str:
    """Selector of failed jobs under the dashboard filters."""
    return sel(
        sc.QUANTUM_JOBS_TOTAL, *job_filter(), **{sc.JOB_STATUS_LABEL: JobStatus.FAILED.value}
    )


def substitute_macros(expr: str) -> str:
    """Replace Grafana macros and template variables with values Prometheus accepts."""
    for macro in sorted(MACROS, key=len, reverse=True):
        expr = expr.replace(macro, MACROS[macro])
    return expr


def metric_names(expr: str) -> set[str]:
    """Metric and recording-rule names a PromQL expression selects (macros substituted first)."""
    return selected_metrics(substitute_macros(expr))
