"""Pure generation of the contract's non-SLO alerts from :class:`AlertsConfig`.

Thresholds come from the one config object (``alerts:`` in the SLO spec);
``runbook_url`` (``<runbook base>/runbooks/<AlertName>.md``) and
``dashboard_url`` are added to every alert here, never typed per alert.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from qobserve import semconv
from qobserve._validation import duration_ms
from qobserve.slo._yaml import dump_generated
from qobserve.slo.config import AlertOptions, AlertsConfig, Links
from qobserve.slo.spec import SLOSpec
from qobserve.slo.windows import format_float, format_number

__all__ = [
    "gate_error_drift_rules",
    "meta_alert_rules",
    "quantum_alert_rules",
    "render_meta_rules",
    "render_quantum_rules",
]


_num = format_float


def _secs(duration: str) -> str:
    return format_number(Fraction(duration_ms(duration), 1000))


def _lbl(name: str) -> str:
    return f"{{{{ $labels.{name} }}}}"


class _Builder:
    """Collects rules and stamps severity, runbook and dashboard links on each."""

    def __init__(self, links: Links) -> None:
        self.links = links
        self.rules: list[dict[str, Any]] = []

    def add(
        self,
        name: str,
        cfg: AlertOptions,
        expr: str,
        summary: str,
        description: str,
        *,
        labels: dict[str, str] | None = None,
        severity: str | None = None,
        for_: str | None = None,
        dashboard_vars: dict[str, str] | None = None,
    ) -> None:
        if not cfg.enabled:
            return
        duration = for_ or cfg.for_
        self.rules.append(
            {
                "alert": name,
                "expr": expr,
                **({"for": duration} if duration else {}),  # the heartbeat fires at once
                "labels": {semconv.SEVERITY_LABEL: severity or cfg.severity, **(labels or {})},
                "annotations": {
                    "summary": summary,
                    "description": description,
                    "runbook_url": self.links.runbook(name),
                    "dashboard_url": self.links.dashboard(
                        cfg.dashboard_uid, **(dashboard_vars or {})
                    ),
                },
            }
        )


def _cost(b: _Builder, cfg: AlertsConfig) -> None:
    c = cfg.cost_budget
    ratio = (
        f"{semconv.metric(semconv.QUANTUM_BUDGET_SPENT_USD).prom_name} / "
        f"{semconv.metric(semconv.QUANTUM_BUDGET_LIMIT_USD).prom_name}"
    )
    # Bands are exclusive, so exactly one threshold alert fires per budget at a time.
    bounds = [*c.ticket_at, c.page_at]
    for i, low in enumerate(bounds):
        high = f" < {_num(bounds[i + 1])}" if i + 1 < len(bounds) else ""
        page = i == len(bounds) - 1
        pct = f"{_num(low * 100)}%"
        b.add(
            semconv.ALERT_COST_BUDGET_BURN,
            c,
            f"{ratio} >= {_num(low)}{high}",
            f"Budget {_lbl(semconv.BUDGET_LABEL)} is over {pct} spent",
            f"{{{{ $value | humanizePercentage }}}} of budget {_lbl(semconv.BUDGET_LABEL)} is spent.",
            labels={"budget_threshold": pct},
            severity="page" if page else c.severity,
        )
    spent = semconv.metric(semconv.QUANTUM_BUDGET_SPENT_USD).prom_name
    limit = semconv.metric(semconv.QUANTUM_BUDGET_LIMIT_USD).prom_name
    b.add(
        semconv.ALERT_COST_BUDGET_BURN,
        c,
        f"predict_linear({spent}[{c.projection_window}], {_secs(c.projection_horizon)}) > {limit}",
        f"Budget {_lbl(semconv.BUDGET_LABEL)} is projected to overspend within {c.projection_horizon}",
        f"At the spend rate of the last {c.projection_window}, budget {_lbl(semconv.BUDGET_LABEL)} "
        f"will exceed its limit within {c.projection_horizon}.",
        labels={"budget_threshold": "projected"},
        for_=c.projection_for,
    )


def quantum_alert_rules(config: AlertsConfig, links: Links) -> list[dict]:
    """The non-SLO alert rules (pure; no I/O), in contract order."""
    b = _Builder(links)
    backend = f"{_lbl(semconv.PROVIDER_LABEL)}/{_lbl(semconv.BACKEND_LABEL)}"
    by_backend = {semconv.BACKEND_LABEL: _lbl(semconv.BACKEND_LABEL)}
    cal = config.calibration_stale
    b.add(
        semconv.ALERT_CALIBRATION_STALE,
        cal,
        f"time() - {semconv.metric(semconv.QUANTUM_BACKEND_CALIBRATION_TIMESTAMP_SECONDS).prom_name}"
        f" > {_secs(cal.max_age)}",
        f"Calibration of {backend} is older than {cal.max_age}",
        f"{backend} was last calibrated {{{{ $value | humanizeDuration }}}} ago; jobs may run "
        "on drifted qubits and fidelity SLOs degrade.",
        dashboard_vars=by_backend,
    )
    _cost(b, config)
    b.add(
        semconv.ALERT_BACKEND_DOWN,
        config.backend_down,
        f"{semconv.metric(semconv.QUANTUM_BACKEND_UP).prom_name} == 0",
        f"Backend {backend} is down",
        f"{backend} has reported itself not operational for {config.backend_down.for_}; "
        "the executor should fall back to another backend.",
        dashboard_vars=by_backend,
    )
    r = config.retry_rate_high
    retries = (
        f"sum by ({semconv.PROVIDER_LABEL}, {semconv.BACKEND_LABEL}) (rate("
        f"{semconv.metric(semconv.QUANTUM_JOB_RETRIES_TOTAL).prom_name}[{r.window}]))"
    )
    jobs = f"sum by ({semconv.PROVIDER_LABEL}, {semconv.BACKEND_LABEL}) (rate({semconv.metric(semconv.QUANTUM_JOBS_TOTAL).prom_name}[{r.window}]))"
    b.add(
        semconv.ALERT_RETRY_RATE_HIGH,
        r,
        f"{retries}\n/\n{jobs}\n> {_num(r.ratio)}",
        f"More than {_num(r.ratio * 100)}% of jobs on {backend} are retried",
        f"{{{{ $value | humanizePercentage }}}} of jobs on {backend} needed a resubmission "
        f"over the last {r.window}.",
        dashboard_vars=by_backend,
    )
    bp = config.training_barren_plateau
    flag = f"{semconv.metric(semconv.QUANTUM_TRAINING_BARREN_PLATEAU).prom_name} == 1"
    if bp.gradient_variance_below is not None:
        var = semconv.metric(semconv.QUANTUM_TRAINING_GRADIENT_VARIANCE).prom_name
        flag = f"{flag}\n  or\n  {var} < {_num(bp.gradient_variance_below)}"
    b.add(
        semconv.ALERT_TRAINING_BARREN_PLATEAU,
        bp,
        f"max by ({semconv.EXPERIMENT_LABEL}) (\n  {flag}\n)",
        f"Training {_lbl(semconv.EXPERIMENT_LABEL)} is on a barren plateau",
        f"Gradients of {_lbl(semconv.EXPERIMENT_LABEL)} vanished (detector flag or variance below "
        f"{_num(bp.gradient_variance_below or 0)}); more shots will not help.",
        dashboard_vars={semconv.EXPERIMENT_LABEL: _lbl(semconv.EXPERIMENT_LABEL)},
    )
    b.add(
        semconv.ALERT_TRAINING_DIVERGING,
        config.training_diverging,
        f"{semconv.metric(semconv.QUANTUM_TRAINING_DIVERGING).prom_name} == 1",
        f"Training {_lbl(semconv.EXPERIMENT_LABEL)} is diverging",
        f"The loss of {_lbl(semconv.EXPERIMENT_LABEL)} keeps growing; check the learning rate and shot noise.",
        dashboard_vars={semconv.EXPERIMENT_LABEL: _lbl(semconv.EXPERIMENT_LABEL)},
    )
    b.add(
        semconv.ALERT_PROBE_FAILING,
        config.probe_failing,
        f"{semconv.metric(semconv.QOBSERVE_PROBE_SUCCESS).prom_name} == 0",
        f"Probe {_lbl(semconv.PROBE_LABEL)} is failing on {_lbl(semconv.BACKEND_LABEL)}",
        f"The {_lbl(semconv.PROBE_LABEL)} probe against {_lbl(semconv.BACKEND_LABEL)} has failed for {config.probe_failing.for_}.",
        dashboard_vars=by_backend,
    )
    for name in config.telemetry_absent.metrics:
        b.add(
            semconv.ALERT_TELEMETRY_ABSENT,
            config.telemetry_absent,
            f"absent({name})",
            f"No {name} telemetry",
            f"Prometheus has no {name} series: the exporter or instrumentation is not "
            "scraped, so SLO alerts are blind.",
            labels={"absent_metric": name},
        )
    return b.rules


_GATE, _QUBITS, _SOURCE = (
    semconv.GATE_LABEL,
    semconv.QUBITS_LABEL,
    semconv.SOURCE_LABEL,
)
_GATE_KEY = f"{semconv.PROVIDER_LABEL}, {semconv.BACKEND_LABEL}, {_GATE}, {_QUBITS}"


def _mean_gate_error(source: str, window: str) -> str:
    name = semconv.metric(semconv.QUANTUM_BACKEND_GATE_ERROR_RATIO).prom_name
    # Averaged per gate and qubit set, so RB and calibration samples scraped from
    # different targets (job/instance) still match.
    return f'avg by ({_GATE_KEY}) (avg_over_time({name}{{{_SOURCE}="{source}"}}[{window}]))'


def gate_error_drift_rules(config: AlertsConfig, links: Links) -> list[dict]:
    """Measured ÷ reported gate error over 1h and 1d, and QuantumGateErrorDrift (pure).

    The recording rules and the alert share one group, so the alert reads the ratio
    recorded in the same evaluation.
    """
    rules: list[dict] = []
    for window in semconv.GATE_ERROR_DRIFT_WINDOWS:
        measured = _mean_gate_error(semconv.GATE_ERROR_RB, window)
        reported = _mean_gate_error(semconv.GATE_ERROR_PROVIDER, window)
        rules.append(
            {"record": semconv.gate_error_drift(window), "expr": f"{measured}\n/\n({reported} > 0)"}
        )
    d = config.gate_error_drift
    b = _Builder(links)
    gate = f"{_lbl(_GATE)} on qubits {_lbl(_QUBITS)} of {_lbl(semconv.PROVIDER_LABEL)}/{_lbl(semconv.BACKEND_LABEL)}"
    b.add(
        semconv.ALERT_GATE_ERROR_DRIFT,
        d,
        f"{semconv.gate_error_drift(d.window)} > {_num(d.factor)}",
        f"{gate}: measured error over {_num(d.factor)}x the provider's figure",
        f'Randomized benchmarking measures {{{{ printf "%.2f" $value }}}}x the error the '
        f"provider reports for {gate} (mean over {d.window}, for {d.for_}); the "
        "calibration is stale or the gate has drifted.",
        dashboard_vars={semconv.BACKEND_LABEL: _lbl(semconv.BACKEND_LABEL)},
    )
    return rules + b.rules


def _bridge_failing(b: _Builder, cfg: AlertsConfig) -> None:
    f = cfg.alert_bridge_delivery_failing
    name, cond = semconv.ALERT_BRIDGE_DELIVERY_FAILING, semconv.BRIDGE_CONDITION_LABEL
    oldest = semconv.metric(
        semconv.QOBSERVE_ALERT_BRIDGE_OLDEST_PENDING_TIMESTAMP_SECONDS
    ).prom_name
    b.add(
        name,
        f,
        f"time() - ({oldest} > 0) > {_secs(f.max_pending_age)}",
        "Alert bridge {{ $labels.instance }} has undelivered Slack messages",
        "The oldest message waiting for Slack on {{ $labels.instance }} was received "
        "{{ $value | humanizeDuration }} ago (limit "
        f"{f.max_pending_age}): alerts are not reaching Slack.",
        labels={cond: "backlog"},
    )
    by = "sum by (job, instance)"
    failures = semconv.metric(semconv.QOBSERVE_ALERT_BRIDGE_DELIVERY_FAILURES_TOTAL).prom_name
    delivered = semconv.metric(semconv.QOBSERVE_ALERT_BRIDGE_MESSAGES_DELIVERED_TOTAL).prom_name
    # Failing attempts alone can be rate limits the bridge rides out; failing attempts
    # with not one delivery over the window means nothing gets through.
    b.add(
        name,
        f,
        f"{by} (rate({failures}[{f.failure_window}])) > 0\n"
        f"unless on (job, instance)\n{by} (rate({delivered}[{f.failure_window}])) > 0",
        "Alert bridge {{ $labels.instance }} fails every Slack delivery",
        '{{ $labels.instance }} made {{ printf "%.2f" $value }} failed Slack attempts per '
        "second "
        f"and delivered nothing over {f.failure_window}.",
        labels={cond: "failing"},
    )
    up = f'up{{job="{f.job}"}}'
    b.add(
        name,
        f,
        f"max by (job) ({up}) == 0\nor\nabsent({up})",
        "No alert bridge replica is up",
        f"Prometheus scrapes no healthy target of job {f.job} (all down, or none "
        "discovered): Alertmanager's webhooks to Slack fail or go nowhere.",
        labels={cond: "down"},
    )


def meta_alert_rules(config: AlertsConfig, links: Links) -> list[dict]:
    """Alerts on the alert path itself: the heartbeat and the Slack bridge's health (pure)."""
    b = _Builder(links)
    b.add(
        semconv.ALERT_HEARTBEAT,
        config.alerting_heartbeat,
        "vector(1)",
        "Alerting pipeline heartbeat (always firing)",
        "Always firing on purpose: Alertmanager sends it to the dead-man's-switch receiver "
        "every repeat interval, and the switch pages when the pings stop (Prometheus, "
        "its rules or Alertmanager are down).",
    )
    _bridge_failing(b, config)
    dead = semconv.metric(semconv.QOBSERVE_ALERT_BRIDGE_DEAD_LETTERS).prom_name
    b.add(
        semconv.ALERT_BRIDGE_DEAD_LETTERS,
        config.alert_bridge_dead_letters,
        f"{dead} > 0",
        "Slack refused {{ $value }} alert message(s) for good on {{ $labels.instance }}",
        "Messages Slack rejected permanently (also in plain text and in the fallback "
        "channel) wait in the dead-letter table: list them with `qobserve alert-bridge "
        "dead-letters list`.",
    )
    return b.rules


def render_meta_rules(spec: SLOSpec, *, source: str = "alerts/slo.yaml") -> str:
    """The ``meta.rules.yml`` text for ``spec``'s alert config, with the generated header."""
    group = {"name": "qobserve-meta", "rules": meta_alert_rules(spec.alerts, spec.links)}
    return dump_generated({"groups": [group]}, source=source)


def render_quantum_rules(spec: SLOSpec, *, source: str = "alerts/slo.yaml") -> str:
    """The ``quantum.rules.yml`` text for ``spec``'s alert config, with the generated header."""
    group = {"name": "qobserve-quantum", "rules": quantum_alert_rules(spec.alerts, spec.links)}
    drift = {
        "name": "qobserve-gate-error-drift",
        "rules": gate_error_drift_rules(spec.alerts, spec.links),
    }
    return dump_generated({"groups": [group, drift]}, source=source)
