"""Every public telemetry name qobserve emits: the one source of truth.

Instrumentation creates its instruments from :data:`METRICS`; dashboards, alert
rules, runbooks and the metrics reference are generated from or checked against
this module, so a name cannot drift between them. The public contract these
names implement is ``shared/conventions.md``.

OpenTelemetry names are chosen so that the OpenTelemetry Prometheus exporter
produces exactly the contract's Prometheus names (``tests/test_semconv.py``
proves it through the real exporter): dots become underscores, a unit in braces
such as ``{job}`` is dropped, ``s`` becomes ``_seconds`` and counters get
``_total``. The exporter drops the unit ``1`` without adding ``_ratio``, so
ratio metrics carry the suffix in their OpenTelemetry name.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "ALERTS",
    "ALERT_BRIDGE_DEAD_LETTERS",
    "ALERT_BRIDGE_DELIVERY_FAILING",
    "ALERT_HEARTBEAT",
    "ATTR",
    "BRIDGE_ALERTS",
    "BRIDGE_CONDITION_LABEL",
    "EXPECTATION_ERROR_BUCKETS",
    "FIDELITY_BUCKETS",
    "GATE_ERROR_PROVIDER",
    "GATE_ERROR_RB",
    "JOB_UNOBSERVED",
    "LABEL",
    "METRICS",
    "READOUT_GATE",
    "Attr",
    "Instrument",
    "Metric",
    "SpanEvent",
    "metric",
]


class Attr(StrEnum):
    """Span and metric attribute keys."""

    PROVIDER = "quantum.provider"
    BACKEND = "quantum.backend"
    JOB_STATUS = "quantum.job.status"
    ERROR_TYPE = "error.type"
    QUBITS = "quantum.qubits"
    EXPERIMENT = "quantum.experiment"
    # Metric-only attributes whose Prometheus label is the bare word.
    FROM_BACKEND = "from_backend"
    TO_BACKEND = "to_backend"
    BUDGET = "budget"
    METHOD = "method"
    METRIC = "metric"
    PROBE = "probe"
    QUBIT = "qubit"
    STATE = "state"
    GATE = "gate"
    SOURCE = "source"
    REASON = "reason"
    # Span-only attributes: unbounded values never go on metric labels.
    JOB_ID = "quantum.job.id"
    JOB_SHOTS = "quantum.job.shots"
    JOB_COST_USD = "quantum.job.cost_usd"
    JOB_OPERATION = "quantum.job.operation"
    JOB_FAILURE_REASON = "quantum.job.failure_reason"
    CIRCUIT_COUNT = "quantum.circuit.count"
    CIRCUIT_QUBITS = "quantum.circuit.qubits"
    CIRCUIT_DEPTH = "quantum.circuit.depth"
    CALIBRATION_TIMESTAMP = "quantum.backend.calibration_timestamp"
    CLIENT_JOB_ID = "qobserve.client_job_id"
    ATTEMPT = "qobserve.attempt"
    # Why the executor passed a target over (event target_skipped).
    SKIP_REASON = "qobserve.skip_reason"
    # Why the executor answered from its classical model (event classical_fallback).
    FALLBACK_REASON = "qobserve.fallback_reason"
    # Seconds a job span may stay open before it is ended as unobserved.
    JOB_MAX_LIFETIME = "qobserve.job.max_lifetime_seconds"
    # Randomized-benchmarking probe spans (qobserve.benchmarking.probe).
    RB_FIT_STATUS = "quantum.rb.fit.status"
    RB_ALPHA = "quantum.rb.alpha"
    RB_A = "quantum.rb.a"
    RB_B = "quantum.rb.b"
    RB_EPC = "quantum.rb.error_per_clifford"
    RB_EPC_CI_LOW = "quantum.rb.error_per_clifford.ci_low"
    RB_EPC_CI_HIGH = "quantum.rb.error_per_clifford.ci_high"
    RB_PAULI_ERROR = "quantum.rb.pauli_error"
    RB_FIDELITY = "quantum.rb.fidelity"
    RB_LENGTHS = "quantum.rb.lengths"
    RB_SAMPLES = "quantum.rb.samples"
    RB_NOISE = "quantum.rb.noise"
    # Training run and step spans (qobserve.training).
    TRAINING_STEP = "quantum.training.step"
    TRAINING_STEP_RECORDED = "quantum.training.step.recorded"
    TRAINING_STEPS = "quantum.training.steps"
    TRAINING_LOSS = "quantum.training.loss"
    TRAINING_GRADIENT = "quantum.training.gradient"
    TRAINING_GRADIENT_SAMPLES = "quantum.training.gradient.samples"
    TRAINING_GRADIENT_NORM = "quantum.training.gradient.norm"
    TRAINING_GRADIENT_SNR = "quantum.training.gradient.snr"
    TRAINING_GRADIENT_SNR_PER_PARAMETER = "quantum.training.gradient.snr_per_parameter"
    TRAINING_GRADIENT_VARIANCE = "quantum.training.gradient.variance"
    TRAINING_SHOT_VARIANCE = "quantum.training.shot_variance"
    TRAINING_SEED = "quantum.training.seed"
    TRAINING_ANSATZ = "quantum.training.ansatz"
    TRAINING_ANSATZ_DEPTH = "quantum.training.ansatz.depth"
    TRAINING_SHOTS = "quantum.training.shots"
    TRAINING_CODE_VERSION = "quantum.training.code_version"
    TRAINING_STOPPED_BY = "quantum.training.stopped_by"
    # Per-job output fidelity spans (qobserve.fidelity), linked to the job's span.
    CIRCUIT_INDEX = "quantum.circuit.index"
    OUTPUT_FIDELITY = "quantum.output_fidelity.hellinger"
    OUTPUT_FIDELITY_CI_LOW = "quantum.output_fidelity.hellinger.ci_low"
    OUTPUT_FIDELITY_CI_HIGH = "quantum.output_fidelity.hellinger.ci_high"
    OUTPUT_FIDELITY_BIAS = "quantum.output_fidelity.hellinger.bias"
    OUTPUT_TVD = "quantum.output_fidelity.tvd"
    OUTPUT_FIDELITY_METHOD = "quantum.output_fidelity.method"
    EXPECTATION_ERROR_MAX = "quantum.expectation_error.max"
    EXPECTATION_ERROR_MEAN = "quantum.expectation_error.mean"
    EXPECTATION_COUNT = "quantum.expectation.count"


ATTR = Attr


def _label(attr: str) -> str:
    return attr.replace(".", "_")


#: Attribute key → Prometheus label name, as the Prometheus exporter renders it.
LABEL: dict[str, str] = {a.value: _label(a.value) for a in Attr}


class JobStatus(StrEnum):
    """Terminal job states, the values of ``quantum.job.status``."""

    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


#: Span-only value of ``quantum.job.status`` for a job whose terminal state nobody
#: observed within the maximum span lifetime (never a metric label value).
JOB_UNOBSERVED = "unobserved"


class SpanEvent(StrEnum):
    """Span event names beyond the job states."""

    TARGET_SKIPPED = "target_skipped"  # the executor passed a target over
    UNOBSERVED = "unobserved"  # a job span ended by its maximum lifetime
    CLASSICAL_FALLBACK = (
        "classical_fallback"  # every quantum target failed: a classical model answered
    )


class Provider(StrEnum):
    """SDK families, the values of ``quantum.provider``."""

    QISKIT = "qiskit"
    BRAKET = "braket"
    CIRQ = "cirq"


class Instrument(StrEnum):
    COUNTER = "counter"
    HISTOGRAM = "histogram"
    GAUGE = "gauge"


@dataclass(frozen=True)
class Metric:
    """One metric: its OpenTelemetry form and the Prometheus name it exports as."""

    otel_name: str
    prom_name: str
    kind: Instrument
    unit: str
    description: str
    attributes: tuple[str, ...]
    buckets: tuple[float, ...] | None = None

    @property
    def labels(self) -> tuple[str, ...]:
        """Prometheus label names, in attribute order."""
        return tuple(LABEL.get(a, _label(a)) for a in self.attributes)

    @property
    def prom_unit(self) -> str:
        """Unit as Prometheus' ``# UNIT`` line would carry it (base units only)."""
        return {"s": "seconds", "1": "ratio"}.get(self.unit, "")


_P, _B = Attr.PROVIDER.value, Attr.BACKEND.value
_EXP = Attr.EXPERIMENT.value

# Job latency runs from milliseconds (local simulators) to days (a QPU queue):
# roughly x2.5 steps from 10 ms to 3 days, instead of the OTel default
# millisecond buckets that would put every real queue time in +Inf.
LATENCY_BUCKETS: tuple[float, ...] = (
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1,
    2.5,
    5,
    10,
    30,
    60,
    120,
    300,
    600,
    1800,
    3600,
    7200,
    14400,
    28800,
    86400,
    172800,
    259200,
)

#: Ratio buckets for per-job output fidelity: fine near 1, where healthy jobs sit.
FIDELITY_BUCKETS: tuple[float, ...] = (
    0.5,
    0.6,
    0.7,
    0.8,
    0.85,
    0.9,
    0.925,
    0.95,
    0.96,
    0.97,
    0.98,
    0.99,
    0.995,
    0.999,
    1.0,
)
#: Absolute error of an expectation value (Pauli observables lie in [-1, 1]).
EXPECTATION_ERROR_BUCKETS: tuple[float, ...] = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.0,
)

#: Values of the ``source`` label of quantum_backend_gate_error_ratio.
GATE_ERROR_PROVIDER = "provider"
GATE_ERROR_RB = "rb"
#: ``gate`` label value of the provider's readout (measurement) error.
READOUT_GATE = "measure"

_METRIC_LIST: tuple[Metric, ...] = (
    Metric(
        "quantum.jobs",
        "quantum_jobs_total",
        Instrument.COUNTER,
        "{job}",
        "Jobs that reached a terminal state.",
        (_P, _B, Attr.JOB_STATUS, Attr.ERROR_TYPE),
    ),
    Metric(
        "quantum.job.duration",
        "quantum_job_duration_seconds",
        Instrument.HISTOGRAM,
        "s",
        "Job latency from submission to terminal state.",
        (_P, _B, Attr.JOB_STATUS),
        LATENCY_BUCKETS,
    ),
    Metric(
        "quantum.job.queue.duration",
        "quantum_job_queue_duration_seconds",
        Instrument.HISTOGRAM,
        "s",
        "Time from submission until the job started running, where the provider reports it.",
        (_P, _B),
        LATENCY_BUCKETS,
    ),
    Metric(
        "quantum.job.execution.duration",
        "quantum_job_execution_duration_seconds",
        Instrument.HISTOGRAM,
        "s",
        "Time from running to terminal state.",
        (_P, _B),
        LATENCY_BUCKETS,
    ),
    Metric(
        "quantum.job.shots",
        "quantum_job_shots_total",
        Instrument.COUNTER,
        "{shot}",
        "Shots requested by submitted jobs.",
        (_P, _B),
    ),
    Metric(
        "quantum.job.retries",
        "quantum_job_retries_total",
        Instrument.COUNTER,
        "{retry}",
        "Resubmissions made by the resilient executor.",
        (_P, _B, Attr.ERROR_TYPE),
    ),
    Metric(
        "quantum.job.fallbacks",
        "quantum_job_fallbacks_total",
        Instrument.COUNTER,
        "{fallback}",
        "Jobs the executor moved to another backend.",
        (Attr.FROM_BACKEND, Attr.TO_BACKEND),
    ),
    Metric(
        "quantum.job.cost_usd",
        "quantum_job_cost_usd_total",
        Instrument.COUNTER,
        "",
        "Estimated spend in US dollars.",
        (_P, _B),
    ),
    Metric(
        "quantum.budget.limit_usd",
        "quantum_budget_limit_usd",
        Instrument.GAUGE,
        "",
        "Budget limit in US dollars for its current period.",
        (Attr.BUDGET,),
    ),
    Metric(
        "quantum.budget.spent_usd",
        "quantum_budget_spent_usd",
        Instrument.GAUGE,
        "",
        "US dollars spent (settled plus reserved) in the budget's current period.",
        (Attr.BUDGET,),
    ),
    Metric(
        "quantum.backend.calibration.timestamp",
        "quantum_backend_calibration_timestamp_seconds",
        Instrument.GAUGE,
        "s",
        "Unix time of the backend's last calibration.",
        (_P, _B),
    ),
    Metric(
        "quantum.backend.pending_jobs",
        "quantum_backend_pending_jobs",
        Instrument.GAUGE,
        "{job}",
        "Jobs waiting in the provider's queue for this backend.",
        (_P, _B),
    ),
    Metric(
        "quantum.backend.up",
        "quantum_backend_up",
        Instrument.GAUGE,
        "",
        "1 when the backend reports itself operational, 0 when not.",
        (_P, _B),
    ),
    Metric(
        "quantum.backend.qubit.t1",
        "quantum_backend_qubit_t1_seconds",
        Instrument.GAUGE,
        "s",
        "T1 relaxation time per qubit, as reported by the provider.",
        (_P, _B, Attr.QUBIT),
    ),
    Metric(
        "quantum.backend.qubit.t2",
        "quantum_backend_qubit_t2_seconds",
        Instrument.GAUGE,
        "s",
        "T2 dephasing time per qubit, as reported by the provider.",
        (_P, _B, Attr.QUBIT),
    ),
    Metric(
        "quantum.backend.qubit.readout_error_ratio",
        "quantum_backend_qubit_readout_error_ratio",
        Instrument.GAUGE,
        "1",
        "Readout assignment error per qubit, as reported by the provider.",
        (_P, _B, Attr.QUBIT),
    ),
    Metric(
        "quantum.fidelity_ratio",
        "quantum_fidelity_ratio",
        Instrument.GAUGE,
        "1",
        "Measured fidelity; method=rb is 1 - error per Clifford.",
        (_P, _B, Attr.QUBITS, Attr.METHOD),
    ),
    Metric(
        "quantum.rb.error_per_clifford",
        "quantum_rb_error_per_clifford",
        Instrument.GAUGE,
        "",
        "Randomized-benchmarking estimate of the average error per Clifford.",
        (_P, _B, Attr.QUBITS),
    ),
    Metric(
        "quantum.job.output_fidelity_ratio",
        "quantum_job_output_fidelity_ratio",
        Instrument.HISTOGRAM,
        "1",
        "Hellinger fidelity between a sampled job's measured counts and its ideal (noiseless) "
        "output distribution, per circuit; opt-in (QOBSERVE_OUTPUT_FIDELITY).",
        (_P, _B),
        FIDELITY_BUCKETS,
    ),
    Metric(
        "quantum.job.expectation_error",
        "quantum_job_expectation_error",
        Instrument.HISTOGRAM,
        "",
        "Absolute error of an estimator job's expectation value against the ideal one; opt-in.",
        (_P, _B),
        EXPECTATION_ERROR_BUCKETS,
    ),
    Metric(
        "qobserve.output_fidelity.dropped",
        "qobserve_output_fidelity_dropped_total",
        Instrument.COUNTER,
        "{job}",
        "Sampled jobs whose output fidelity was not computed (queue_full, too_wide, "
        "unsupported, error).",
        (_P, _B, Attr.REASON),
    ),
    Metric(
        "quantum.backend.gate_error_ratio",
        "quantum_backend_gate_error_ratio",
        Instrument.GAUGE,
        "1",
        "Error of one gate (gate=measure: readout) on a qubit set; source=provider as "
        "reported in calibration, source=rb as measured by interleaved RB.",
        (_P, _B, Attr.GATE, Attr.QUBITS, Attr.SOURCE),
    ),
    Metric(
        "quantum.executor.breaker.state",
        "quantum_executor_breaker_state",
        Instrument.GAUGE,
        "",
        "Circuit breaker per backend: 0 closed, 1 half-open, 2 open.",
        (_P, _B),
    ),
    Metric(
        "quantum.training.loss",
        "quantum_training_loss",
        Instrument.GAUGE,
        "",
        "Loss at the last optimizer step.",
        (_EXP,),
    ),
    Metric(
        "quantum.training.steps",
        "quantum_training_steps_total",
        Instrument.COUNTER,
        "{step}",
        "Optimizer steps taken.",
        (_EXP,),
    ),
    Metric(
        "quantum.training.gradient.norm",
        "quantum_training_gradient_norm",
        Instrument.GAUGE,
        "",
        "L2 norm of the last gradient.",
        (_EXP,),
    ),
    Metric(
        "quantum.training.gradient.snr",
        "quantum_training_gradient_snr",
        Instrument.GAUGE,
        "",
        "Median over parameters of |mean| / std of the gradient estimates (shot SNR).",
        (_EXP,),
    ),
    Metric(
        "quantum.training.gradient.variance",
        "quantum_training_gradient_variance",
        Instrument.GAUGE,
        "",
        "Variance of gradient components across parameters (barren-plateau signal).",
        (_EXP,),
    ),
    Metric(
        "quantum.training.shot_variance",
        "quantum_training_shot_variance",
        Instrument.GAUGE,
        "",
        "Mean variance of the step's estimated expectation values.",
        (_EXP,),
    ),
    Metric(
        "quantum.training.validation.score",
        "quantum_training_validation_score",
        Instrument.GAUGE,
        "",
        "Validation metrics reported by the user.",
        (_EXP, Attr.METRIC),
    ),
    Metric(
        "quantum.training.barren_plateau",
        "quantum_training_barren_plateau",
        Instrument.GAUGE,
        "",
        "1 while the barren-plateau detector is firing, else 0.",
        (_EXP,),
    ),
    Metric(
        "quantum.training.diverging",
        "quantum_training_diverging",
        Instrument.GAUGE,
        "",
        "1 while the divergence detector is firing, else 0.",
        (_EXP,),
    ),
    Metric(
        "quantum.training.stalled",
        "quantum_training_stalled",
        Instrument.GAUGE,
        "",
        "1 while the stalled-progress detector is firing, else 0.",
        (_EXP,),
    ),
    Metric(
        "qobserve.probe.success",
        "qobserve_probe_success",
        Instrument.GAUGE,
        "",
        "1 when the last run of the probe succeeded, else 0.",
        (Attr.PROBE, _B),
    ),
    Metric(
        "qobserve.probe.duration",
        "qobserve_probe_duration_seconds",
        Instrument.GAUGE,
        "s",
        "Duration of the last run of the probe.",
        (Attr.PROBE, _B),
    ),
    Metric(
        "qobserve.probe.last_success.timestamp",
        "qobserve_probe_last_success_timestamp_seconds",
        Instrument.GAUGE,
        "s",
        "Unix time of the probe's last success.",
        (Attr.PROBE, _B),
    ),
    Metric(
        "qobserve.probe.last_run.timestamp",
        "qobserve_probe_last_run_timestamp_seconds",
        Instrument.GAUGE,
        "s",
        "Unix time the probe's last run finished (success, failure or timeout; skipped runs "
        "do not count).",
        (Attr.PROBE, _B),
    ),
    Metric(
        "qobserve.probe.stale",
        "qobserve_probe_stale",
        Instrument.GAUGE,
        "",
        "1 when no run of the probe has finished within 2 x interval + timeout, else 0.",
        (Attr.PROBE, _B),
    ),
    Metric(
        "qobserve.probe.in_progress",
        "qobserve_probe_in_progress",
        Instrument.GAUGE,
        "",
        "1 while a run of the probe is executing, else 0.",
        (Attr.PROBE, _B),
    ),
    # MLflow logging of training runs (qobserve.training.mlflow_log): its own health.
    Metric(
        "qobserve.mlflow.log.failures",
        "qobserve_mlflow_log_failures_total",
        Instrument.COUNTER,
        "{request}",
        "Failed MLflow requests (each attempt; retried within a budget).",
        (_EXP, Attr.ERROR_TYPE),
    ),
    Metric(
        "qobserve.mlflow.dropped",
        "qobserve_mlflow_dropped_total",
        Instrument.COUNTER,
        "{value}",
        "Metric values, params and tags given up on: queue full or retry budget spent.",
        (_EXP,),
    ),
    # Alert bridge (Alertmanager -> Slack), exported with prometheus-client on its own /metrics.
    Metric(
        "qobserve.alert_bridge.alerts.received",
        "qobserve_alert_bridge_alerts_received_total",
        Instrument.COUNTER,
        "{alert}",
        "Alerts received from Alertmanager, by status.",
        ("status",),
    ),
    Metric(
        "qobserve.alert_bridge.requests.rejected",
        "qobserve_alert_bridge_requests_rejected_total",
        Instrument.COUNTER,
        "{request}",
        "Webhook requests refused (bad_json, invalid_payload, unauthorized, too_large, "
        "spool_unavailable, overloaded).",
        ("reason",),
    ),
    Metric(
        "qobserve.alert_bridge.messages.delivered",
        "qobserve_alert_bridge_messages_delivered_total",
        Instrument.COUNTER,
        "{message}",
        "Slack messages delivered, by alert status.",
        ("status",),
    ),
    Metric(
        "qobserve.alert_bridge.messages.spooled",
        "qobserve_alert_bridge_messages_spooled_total",
        Instrument.COUNTER,
        "{message}",
        "Messages kept in the on-disk spool because their first delivery attempt failed.",
        (),
    ),
    Metric(
        "qobserve.alert_bridge.delivery.failures",
        "qobserve_alert_bridge_delivery_failures_total",
        Instrument.COUNTER,
        "{attempt}",
        "Failed Slack delivery attempts: transient (rate_limited, api_error, http_error, "
        "connection, timeout) or refused for good (refused).",
        ("reason",),
    ),
    Metric(
        "qobserve.alert_bridge.spool.pending",
        "qobserve_alert_bridge_spool_pending",
        Instrument.GAUGE,
        "{message}",
        "Messages in the spool not yet delivered to Slack.",
        (),
    ),
    Metric(
        "qobserve.alert_bridge.oldest_pending.timestamp",
        "qobserve_alert_bridge_oldest_pending_timestamp_seconds",
        Instrument.GAUGE,
        "s",
        "Unix time the oldest undelivered message was spooled; 0 when nothing is pending.",
        (),
    ),
    Metric(
        "qobserve.alert_bridge.dead_letters",
        "qobserve_alert_bridge_dead_letters",
        Instrument.GAUGE,
        "{message}",
        "Messages Slack refused for good (degraded form and fallback channel too), awaiting "
        "`qobserve alert-bridge dead-letters retry`.",
        (),
    ),
)

#: Prometheus name → metric.
METRICS: dict[str, Metric] = {m.prom_name: m for m in _METRIC_LIST}


def metric(prom_name: str) -> Metric:
    """Look up a metric by its Prometheus name.

    Raises:
        KeyError: naming the unknown metric and where names are declared.
    """
    try:
        return METRICS[prom_name]
    except KeyError:
        raise KeyError(
            f"unknown metric {prom_name!r}: declare it in qobserve/semconv.py first"
        ) from None


#: Meta-monitoring alerts: the alert path watching itself (``alerts/meta.rules.yml``).
ALERT_HEARTBEAT = "QuantumAlertingHeartbeat"
ALERT_BRIDGE_DELIVERY_FAILING = "QuantumAlertBridgeDeliveryFailing"
ALERT_BRIDGE_DEAD_LETTERS = "QuantumAlertBridgeDeadLetters"
#: Alerts about the Slack bridge itself, which Alertmanager must route around the bridge.
BRIDGE_ALERTS: tuple[str, ...] = (ALERT_BRIDGE_DELIVERY_FAILING, ALERT_BRIDGE_DEAD_LETTERS)
#: Label telling the branches of QuantumAlertBridgeDeliveryFailing apart:
#: ``backlog`` (oldest undelivered message too old), ``failing`` (attempts fail, none
#: succeed), ``down`` (no bridge replica scraped up).
BRIDGE_CONDITION_LABEL = "bridge_condition"

#: SLO burn-rate alerts of the shipped ``alerts/slo.yaml`` (the spec may rename them;
#: generators read the names from the spec, these are the contract's defaults).
ALERT_JOB_SUCCESS_BURN = "QuantumJobSuccessBudgetBurn"
ALERT_JOB_LATENCY_BURN = "QuantumJobLatencyBudgetBurn"
ALERT_FIDELITY_BURN = "QuantumFidelityBudgetBurn"
#: Non-SLO alerts (thresholds in ``alerts/slo.yaml`` under ``alerts:``).
ALERT_CALIBRATION_STALE = "QuantumCalibrationStale"
ALERT_COST_BUDGET_BURN = "QuantumCostBudgetBurn"
ALERT_BACKEND_DOWN = "QuantumBackendDown"
ALERT_RETRY_RATE_HIGH = "QuantumRetryRateHigh"
ALERT_TRAINING_BARREN_PLATEAU = "QuantumTrainingBarrenPlateau"
ALERT_TRAINING_DIVERGING = "QuantumTrainingDiverging"
ALERT_PROBE_FAILING = "QuantumProbeFailing"
ALERT_TELEMETRY_ABSENT = "QuantumTelemetryAbsent"
ALERT_GATE_ERROR_DRIFT = "QuantumGateErrorDrift"

# Alert names of the public contract; rules, routing and runbooks key on them.
ALERTS: tuple[str, ...] = (
    ALERT_JOB_SUCCESS_BURN,
    ALERT_JOB_LATENCY_BURN,
    ALERT_FIDELITY_BURN,
    ALERT_CALIBRATION_STALE,
    ALERT_COST_BUDGET_BURN,
    ALERT_BACKEND_DOWN,
    ALERT_RETRY_RATE_HIGH,
    ALERT_TRAINING_BARREN_PLATEAU,
    ALERT_TRAINING_DIVERGING,
    ALERT_PROBE_FAILING,
    ALERT_TELEMETRY_ABSENT,
    ALERT_GATE_ERROR_DRIFT,
    ALERT_HEARTBEAT,
    *BRIDGE_ALERTS,
)

SPAN_EVENTS = ("queued", "running", "completed", "failed", "cancelled")


# --- SLO recording rules and alert labels (qobserve.slo; Sloth naming) --------------
# Every SLO recording rule carries the labels in SLO_LABELS plus the SLI's grouping
# labels (quantum_provider, quantum_backend for job SLIs). Dashboards read these.

SLO_LABEL = "slo"
SLO_SERVICE_LABEL = "service"
SLO_LABELS: tuple[str, ...] = (SLO_LABEL, SLO_SERVICE_LABEL)
#: Alert label naming the burn-rate tier ("page" or "ticket") so Alertmanager inhibits slower tiers.
BURN_TIER_LABEL = "burn_tier"
SEVERITY_LABEL = "severity"
#: Values of the severity label: a page needs a human now, a ticket within working hours.
SEVERITIES: tuple[str, ...] = ("page", "ticket")
SLO_ERROR_RATIO_PREFIX = "slo:sli_error:ratio_rate"
SLO_OBJECTIVE = "slo:objective:ratio"
SLO_ERROR_BUDGET = "slo:error_budget:ratio"
SLO_PERIOD_ERROR_BUDGET_REMAINING = "slo:period_error_budget_remaining:ratio"
SLO_CURRENT_BURN_RATE = "slo:current_burn_rate:ratio"
SLO_PERIOD_BURN_RATE = "slo:period_burn_rate:ratio"
#: 0/1 "SLI violated now" sample of gauge SLIs (fidelity, calibration, probe).
SLO_ERROR_SAMPLE = "slo:sli_error:bool"
#: Windows recorded for an uncompressed SLO (alert tiers), besides its period.
SLO_WINDOWS: tuple[str, ...] = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
#: Window of slo:current_burn_rate:ratio (the shortest alert window).
SLO_CURRENT_WINDOW = "5m"


def slo_error_ratio(window: str) -> str:
    """Recording rule holding an SLO's error ratio over ``window`` (``5m``, ``30d`` …)."""
    return f"{SLO_ERROR_RATIO_PREFIX}{window}"


#: Every SLO recording rule name for a 30-day SLO.
SLO_RECORDING_RULES: tuple[str, ...] = (
    *(slo_error_ratio(w) for w in (*SLO_WINDOWS, "30d")),
    SLO_OBJECTIVE,
    SLO_ERROR_BUDGET,
    SLO_PERIOD_ERROR_BUDGET_REMAINING,
    SLO_CURRENT_BURN_RATE,
    SLO_PERIOD_BURN_RATE,
)

# --- Gate-error drift (measured by RB / reported by the provider) -------------------
#: Windows of the measured ÷ reported recording rules.
GATE_ERROR_DRIFT_WINDOWS: tuple[str, ...] = ("1h", "1d")
GATE_ERROR_DRIFT_PREFIX = "slo:gate_error_drift:ratio_avg"


def gate_error_drift(window: str) -> str:
    """Recording rule: mean measured (``source="rb"``) ÷ mean reported gate error over ``window``."""
    return f"{GATE_ERROR_DRIFT_PREFIX}{window}"


__all__ += [
    "ALERT_BACKEND_DOWN",
    "ALERT_CALIBRATION_STALE",
    "ALERT_COST_BUDGET_BURN",
    "ALERT_FIDELITY_BURN",
    "ALERT_GATE_ERROR_DRIFT",
    "ALERT_JOB_LATENCY_BURN",
    "ALERT_JOB_SUCCESS_BURN",
    "ALERT_PROBE_FAILING",
    "ALERT_RETRY_RATE_HIGH",
    "ALERT_TELEMETRY_ABSENT",
    "ALERT_TRAINING_BARREN_PLATEAU",
    "ALERT_TRAINING_DIVERGING",
    "BURN_TIER_LABEL",
    "GATE_ERROR_DRIFT_PREFIX",
    "GATE_ERROR_DRIFT_WINDOWS",
    "SEVERITIES",
    "SEVERITY_LABEL",
    "SLO_CURRENT_BURN_RATE",
    "SLO_CURRENT_WINDOW",
    "SLO_ERROR_BUDGET",
    "SLO_ERROR_RATIO_PREFIX",
    "SLO_ERROR_SAMPLE",
    "SLO_LABEL",
    "SLO_LABELS",
    "SLO_OBJECTIVE",
    "SLO_PERIOD_BURN_RATE",
    "SLO_PERIOD_ERROR_BUDGET_REMAINING",
    "SLO_RECORDING_RULES",
    "SLO_SERVICE_LABEL",
    "SLO_WINDOWS",
    "gate_error_drift",
    "slo_error_ratio",
]
