"""On-call dashboard: is anything broken right now, where, and since when."""

from __future__ import annotations

from qobserve import semconv as sc
from qobserve.dashboards.panels import Board, Target, slo_alert
from qobserve.dashboards.queries import failed, job_filter, quantile, rate, sel
from qobserve.slo.spec import SLOSpec

__all__ = ["build"]

_LEG = "{{quantum_provider}} {{quantum_backend}}"
_INSTANCE = "{{instance}}"


def _bridge(b: Board) -> None:
    """The alert bridge's own health: is anything stuck on its way to Slack?"""
    oldest = sel(sc.QOBSERVE_ALERT_BRIDGE_OLDEST_PENDING_TIMESTAMP_SECONDS)
    failing, dead = sc.ALERT_BRIDGE_DELIVERY_FAILING, sc.ALERT_BRIDGE_DEAD_LETTERS
    b.row("Alert bridge")
    b.series(
        "Bridge: pending messages",
        "Messages received from Alertmanager and not yet "
        "delivered to Slack, per replica. A backlog that only grows means Slack or the "
        "token is failing.",
        "short",
        Target(sel(sc.QOBSERVE_ALERT_BRIDGE_SPOOL_PENDING), _INSTANCE),
        width=6,
        min_value=0,
        runbook=failing,
    )
    b.series(
        "Bridge: oldest pending age",
        "Age of the oldest undelivered message per "
        "replica (0 when none). Over a few minutes pages "
        f"{failing}.",
        "s",
        # The timestamp is 0 when nothing is pending: show 0, not the Unix epoch's age.
        Target(f"time() - ({oldest} > 0) or {oldest} * 0", _INSTANCE),
        width=6,
        min_value=0,
        runbook=failing,
    )
    b.series(
        "Bridge: dead letters",
        "Messages Slack refused for good (also as plain text and "
        "in the fallback channel), waiting for `qobserve alert-bridge dead-letters "
        "retry`.",
        "short",
        Target(sel(sc.QOBSERVE_ALERT_BRIDGE_DEAD_LETTERS), _INSTANCE),
        width=6,
        min_value=0,
        runbook=dead,
    )
    b.series(
        "Bridge: delivery failures by reason",
        "Failed Slack attempts per second by "
        "reason, against messages delivered. Failures with no deliveries mean nothing "
        "gets through.",
        "ops",
        Target(
            rate(
                sel(sc.QOBSERVE_ALERT_BRIDGE_DELIVERY_FAILURES_TOTAL), "instance", sc.REASON_LABEL
            ),
            "{{instance}} {{reason}}",
        ),
        Target(
            rate(sel(sc.QOBSERVE_ALERT_BRIDGE_MESSAGES_DELIVERED_TOTAL), "instance"),
            "delivered {{instance}}",
        ),
        width=6,
        min_value=0,
        runbook=failing,
    )


def build(spec: SLOSpec) -> dict:
    """The ``qobserve-oncall`` dashboard for the SLOs and links of ``spec``."""
    jobs = sel(sc.QUANTUM_JOBS_TOTAL, *job_filter())
    b = Board(
        "oncall",
        "qobserve / On-call",
        "What is failing right now, on which backend, and how fast.",
        spec.links,
    )
    b.row("Alerts")
    b.table(
        "Firing alerts",
        'Alerts Prometheus is firing now (ALERTS{alertstate="firing"}). '
        "Open the runbook link for the alert name; severity=page needs action now.",
        "none",
        Target('ALERTS{alertstate="firing"}'),
        runbook_field="alertname",
    )
    b.row("Failures and latency")
    b.series(
        "Failure rate by backend and error type",
        "Share of terminal jobs that failed, "
        "split by error type. One error type on one backend points at the provider; all "
        "backends at once points at our side (credentials, network).",
        "percentunit",
        Target(
            f"{rate(failed(), sc.PROVIDER_LABEL, sc.BACKEND_LABEL, sc.ERROR_TYPE_LABEL)} / ignoring({sc.ERROR_TYPE_LABEL}) "
            f"group_left() {rate(jobs, sc.PROVIDER_LABEL, sc.BACKEND_LABEL)}",
            _LEG + " {{error_type}}",
        ),
        runbook=slo_alert(spec, "job_success"),
    )
    b.series(
        "Job latency p50 / p95 / p99",
        "Submit-to-terminal job latency quantiles. A rise "
        "with flat execution time is provider queueing, not us.",
        "s",
        *(
            Target(
                quantile(q, sc.QUANTUM_JOB_DURATION_SECONDS, sc.BACKEND_LABEL),
                f"p{int(q * 100)} {{{{quantum_backend}}}}",
            )
            for q in (0.5, 0.95, 0.99)
        ),
        runbook=slo_alert(spec, "job_latency"),
    )
    b.series(
        "Queue vs execution time (p95)",
        "95th percentile of time waiting in the "
        "provider queue against time executing. Queue dominates on shared QPUs.",
        "s",
        Target(
            quantile(0.95, sc.QUANTUM_JOB_QUEUE_DURATION_SECONDS, sc.BACKEND_LABEL),
            "queue {{quantum_backend}}",
        ),
        Target(
            quantile(0.95, sc.QUANTUM_JOB_EXECUTION_DURATION_SECONDS, sc.BACKEND_LABEL),
            "execution {{quantum_backend}}",
        ),
        runbook=slo_alert(spec, "job_latency"),
    )
    b.series(
        "Retry and fallback rate",
        "Executor resubmissions per second by error type, and "
        "jobs moved to another backend. Sustained retries burn budget and queue time.",
        "ops",
        Target(
            rate(
                sel(sc.QUANTUM_JOB_RETRIES_TOTAL, *job_filter()),
                sc.BACKEND_LABEL,
                sc.ERROR_TYPE_LABEL,
            ),
            "retry {{quantum_backend}} {{error_type}}",
        ),
        Target(
            rate(
                sel(sc.QUANTUM_JOB_FALLBACKS_TOTAL, **{sc.FROM_BACKEND_LABEL: "~$quantum_backend"}),
                sc.FROM_BACKEND_LABEL,
                sc.TO_BACKEND_LABEL,
            ),
            "fallback {{from_backend}} -> {{to_backend}}",
        ),
        runbook=sc.ALERT_RETRY_RATE_HIGH,
    )
    b.row("Backends")
    b.series(
        "Backend up",
        "1 when the provider reports the backend operational, 0 when not (exporter status probe).",
        "bool_yes_no",
        Target(sel(sc.QUANTUM_BACKEND_UP, *job_filter()), _LEG),
        width=8,
        min_value=0,
        max_value=1,
        runbook=sc.ALERT_BACKEND_DOWN,
    )
    b.series(
        "Provider queue length",
        "Jobs waiting in the provider's queue for each backend; "
        "long queues mean long latency before execution.",
        "short",
        Target(sel(sc.QUANTUM_BACKEND_PENDING_JOBS, *job_filter()), _LEG),
        width=8,
    )
    b.series(
        "Calibration age",
        "Time since each backend's last calibration. Stale calibration "
        "means the noise model and transpilation are out of date.",
        "s",
        Target(
            f"time() - {sel(sc.QUANTUM_BACKEND_CALIBRATION_TIMESTAMP_SECONDS, *job_filter())}", _LEG
        ),
        width=8,
        runbook=sc.ALERT_CALIBRATION_STALE,
    )
    b.series(
        "Circuit breaker state",
        "Executor breaker per backend: 0 closed (healthy), "
        "1 half-open (probing), 2 open (traffic rerouted).",
        "none",
        Target(sel(sc.QUANTUM_EXECUTOR_BREAKER_STATE, *job_filter()), _LEG),
        min_value=0,
        max_value=2,
        runbook=sc.ALERT_BACKEND_DOWN,
    )
    b.series(
        "Probe success",
        "1 when the exporter's last probe run succeeded; a flat 0 means "
        "the probe (calibration, status, RB) cannot reach the backend.",
        "bool_yes_no",
        Target(sel(sc.QOBSERVE_PROBE_SUCCESS, sc.BACKEND_LABEL), "{{probe}} {{quantum_backend}}"),
        min_value=0,
        max_value=1,
        runbook=sc.ALERT_PROBE_FAILING,
    )
    _bridge(b)
    return b.build()
