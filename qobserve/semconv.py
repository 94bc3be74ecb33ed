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


# --- Metric attributes and their Prometheus labels, as plain strings ----------------
# One spelling in code: ATTR_X where an attribute key is meant (OpenTelemetry), X_LABEL
# where a Prometheus label is meant (PromQL, rules, dashboards). Attr enumerates them
# with the span-only attributes.
ATTR_PROVIDER = "quantum.provider"
ATTR_BACKEND = "quantum.backend"
ATTR_JOB_STATUS = "quantum.job.status"
ATTR_ERROR_TYPE = "error.type"
ATTR_QUBITS = "quantum.qubits"
ATTR_EXPERIMENT = "quantum.experiment"
PROVIDER_LABEL = "quantum_provider"
BACKEND_LABEL = "quantum_backend"
JOB_STATUS_LABEL = "quantum_job_status"
ERROR_TYPE_LABEL = "error_type"
QUBITS_LABEL = "quantum_qubits"
EXPERIMENT_LABEL = "quantum_experiment"
# Metric-only attributes whose Prometheus label is the same bare word.
FROM_BACKEND_LABEL = ATTR_FROM_BACKEND = "from_backend"
TO_BACKEND_LABEL = ATTR_TO_BACKEND = "to_backend"
BUDGET_LABEL = ATTR_BUDGET = "budget"
METHOD_LABEL = ATTR_METHOD = "method"
METRIC_LABEL = ATTR_METRIC = "metric"
PROBE_LABEL = ATTR_PROBE = "probe"
QUBIT_LABEL = ATTR_QUBIT = "qubit"
STATE_LABEL = ATTR_STATE = "state"
GATE_LABEL = ATTR_GATE = "gate"
SOURCE_LABEL = ATTR_SOURCE = "source"
REASON_LABEL = ATTR_REASON = "reason"
#: Label of the alert bridge's own counters (``firing`` / ``resolved``).
STATUS_LABEL = "status"


class Attr(StrEnum):
    """Span and metric attribute keys."""

    PROVIDER = ATTR_PROVIDER
    BACKEND = ATTR_BACKEND
    JOB_STATUS = ATTR_JOB_STATUS
    ERROR_TYPE = ATTR_ERROR_TYPE
    QUBITS = ATTR_QUBITS
    EXPERIMENT = ATTR_EXPERIMENT
    # Metric-only attributes whose Prometheus label is the bare word.
    FROM_BACKEND = ATTR_FROM_BACKEND
    TO_BACKEND = ATTR_TO_BACKEND
    BUDGET = ATTR_BUDGET
    METHOD = ATTR_METHOD
    METRIC = ATTR_METRIC
    PROBE = ATTR_PROBE
    QUBIT = ATTR_QUBIT
    STATE = ATTR_STATE
    GATE = ATTR_GATE
    SOURCE = ATTR_SOURCE
    REASON = ATTR_REASON
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
    CIRCUIT_BINDING_INDEX = "quantum.circuit.binding_index"  # flat index into a PUB's sweep
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

# --- Metric names (Prometheus form), typed once; METRICS below describes each ----------
QUANTUM_JOBS_TOTAL = "quantum_jobs_total"
QUANTUM_JOB_DURATION_SECONDS = "quantum_job_duration_seconds"
QUANTUM_JOB_QUEUE_DURATION_SECONDS = "quantum_job_queue_duration_seconds"
QUANTUM_JOB_EXECUTION_DURATION_SECONDS = "quantum_job_execution_duration_seconds"
QUANTUM_JOB_SHOTS_TOTAL = "quantum_job_shots_total"
QUANTUM_JOB_RETRIES_TOTAL = "quantum_job_retries_total"
QUANTUM_JOB_FALLBACKS_TOTAL = "quantum_job_fallbacks_total"
QUANTUM_JOB_COST_USD_TOTAL = "quantum_job_cost_usd_total"
QUANTUM_BUDGET_LIMIT_USD = "quantum_budget_limit_usd"
QUANTUM_BUDGET_SPENT_USD = "quantum_budget_spent_usd"
QUANTUM_BACKEND_CALIBRATION_TIMESTAMP_SECONDS = "quantum_backend_calibration_timestamp_seconds"
QUANTUM_BACKEND_PENDING_JOBS = "quantum_backend_pending_jobs"
QUANTUM_BACKEND_UP = "quantum_backend_up"
QUANTUM_BACKEND_QUBIT_T1_SECONDS = "quantum_backend_qubit_t1_seconds"
QUANTUM_BACKEND_QUBIT_T2_SECONDS = "quantum_backend_qubit_t2_seconds"
QUANTUM_BACKEND_QUBIT_READOUT_ERROR_RATIO = "quantum_backend_qubit_readout_error_ratio"
QUANTUM_FIDELITY_RATIO = "quantum_fidelity_ratio"
QUANTUM_RB_ERROR_PER_CLIFFORD = "quantum_rb_error_per_clifford"
QUANTUM_JOB_OUTPUT_FIDELITY_RATIO = "quantum_job_output_fidelity_ratio"
QUANTUM_JOB_EXPECTATION_ERROR = "quantum_job_expectation_error"
QOBSERVE_OUTPUT_FIDELITY_DROPPED_TOTAL = "qobserve_output_fidelity_dropped_total"
QUANTUM_BACKEND_GATE_ERROR_RATIO = "quantum_backend_gate_error_ratio"
QUANTUM_EXECUTOR_BREAKER_STATE = "quantum_executor_breaker_state"
QUANTUM_TRAINING_LOSS = "quantum_training_loss"
QUANTUM_TRAINING_STEPS_TOTAL = "quantum_training_steps_total"
QUANTUM_TRAINING_GRADIENT_NORM = "quantum_training_gradient_norm"
QUANTUM_TRAINING_GRADIENT_SNR = "quantum_training_gradient_snr"
QUANTUM_TRAINING_GRADIENT_VARIANCE = "quantum_training_gradient_variance"
QUANTUM_TRAINING_SHOT_VARIANCE = "quantum_training_shot_variance"
QUANTUM_TRAINING_VALIDATION_SCORE = "quantum_training_validation_score"
QUANTUM_TRAINING_BARREN_PLATEAU = "quantum_training_barren_plateau"
QUANTUM_TRAINING_DIVERGING = "quantum_training_diverging"
QUANTUM_TRAINING_STALLED = "quantum_training_stalled"
QOBSERVE_PROBE_SUCCESS = "qobserve_probe_success"
QOBSERVE_PROBE_DURATION_SECONDS = "qobserve_probe_duration_seconds"
QOBSERVE_PROBE_LAST_SUCCESS_TIMESTAMP_SECONDS = "qobserve_probe_last_success_timestamp_seconds"
QOBSERVE_PROBE_LAST_RUN_TIMESTAMP_SECONDS = "qobserve_probe_last_run_timestamp_seconds"
QOBSERVE_PROBE_STALE = "qobserve_probe_stale"
QOBSERVE_PROBE_IN_PROGRESS = "qobserve_probe_in_progress"
QOBSERVE_MLFLOW_LOG_FAILURES_TOTAL = "qobserve_mlflow_log_failures_total"
QOBSERVE_MLFLOW_DROPPED_TOTAL = "qobserve_mlflow_dropped_total"
QOBSERVE_ALERT_BRIDGE_ALERTS_RECEIVED_TOTAL = "qobserve_alert_bridge_alerts_received_total"
QOBSERVE_ALERT_BRIDGE_REQUESTS_REJECTED_TOTAL = "qobserve_alert_bridge_requests_rejected_total"
QOBSERVE_ALERT_BRIDGE_MESSAGES_DELIVERED_TOTAL = "qobserve_alert_bridge_messages_delivered_total"
QOBSERVE_ALERT_BRIDGE_MESSAGES_SPOOLED_TOTAL = "qobserve_alert_bridge_messages_spooled_total"
QOBSERVE_ALERT_BRIDGE_DELIVERY_FAILURES_TOTAL = "qobserve_alert_bridge_delivery_failures_total"
QOBSERVE_ALERT_BRIDGE_SPOOL_PENDING = "qobserve_alert_bridge_spool_pending"
QOBSERVE_ALERT_BRIDGE_OLDEST_PENDING_TIMESTAMP_SECONDS = (
    "qobserve_alert_bridge_oldest_pending_timestamp_seconds"
)
QOBSERVE_ALERT_BRIDGE_DEAD_LETTERS = "qobserve_alert_bridge_dead_letters"

_METRIC_LIST: tuple[Metric, ...] = (
    Metric(
        "quantum.jobs",
        QUANTUM_JOBS_TOTAL,
        Instrument.COUNTER,
        "{job}",
        "Jobs that reached a terminal state.",
        (ATTR_PROVIDER, ATTR_BACKEND, ATTR_JOB_STATUS, ATTR_ERROR_TYPE),
    ),
    Metric(
        "quantum.job.duration",
        QUANTUM_JOB_DURATION_SECONDS,
        Instrument.HISTOGRAM,
        "s",
        "Job latency from submission to terminal state.",
        (ATTR_PROVIDER, ATTR_BACKEND, ATTR_JOB_STATUS),
        LATENCY_BUCKETS,
    ),
    Metric(
        "quantum.job.queue.duration",
        QUANTUM_JOB_QUEUE_DURATION_SECONDS,
        Instrument.HISTOGRAM,
        "s",
        "Time from submission until the job started running, where the provider reports it.",
        (ATTR_PROVIDER, ATTR_BACKEND),
        LATENCY_BUCKETS,
    ),
    Metric(
        "quantum.job.execution.duration",
        QUANTUM_JOB_EXECUTION_DURATION_SECONDS,
        Instrument.HISTOGRAM,
        "s",
        "Time from running to terminal state.",
        (ATTR_PROVIDER, ATTR_BACKEND),
        LATENCY_BUCKETS,
    ),
    Metric(
        "quantum.job.shots",
        QUANTUM_JOB_SHOTS_TOTAL,
        Instrument.COUNTER,
        "{shot}",
        "Shots requested by submitted jobs.",
        (ATTR_PROVIDER, ATTR_BACKEND),
    ),
    Metric(
        "quantum.job.retries",
        QUANTUM_JOB_RETRIES_TOTAL,
        Instrument.COUNTER,
        "{retry}",
        "Resubmissions made by the resilient executor.",
        (ATTR_PROVIDER, ATTR_BACKEND, ATTR_ERROR_TYPE),
    ),
    Metric(
        "quantum.job.fallbacks",
        QUANTUM_JOB_FALLBACKS_TOTAL,
        Instrument.COUNTER,
        "{fallback}",
        "Jobs the executor moved to another backend.",
        (ATTR_FROM_BACKEND, ATTR_TO_BACKEND),
    ),
    Metric(
        "quantum.job.cost_usd",
        QUANTUM_JOB_COST_USD_TOTAL,
        Instrument.COUNTER,
        "",
        "Estimated spend in US dollars.",
        (ATTR_PROVIDER, ATTR_BACKEND),
    ),
    Metric(
        "quantum.budget.limit_usd",
        QUANTUM_BUDGET_LIMIT_USD,
        Instrument.GAUGE,
        "",
        "Budget limit in US dollars for its current period.",
        (ATTR_BUDGET,),
    ),
    Metric(
        "quantum.budget.spent_usd",
        QUANTUM_BUDGET_SPENT_USD,
        Instrument.GAUGE,
        "",
        "US dollars spent (settled plus reserved) in the budget's current period.",
        (ATTR_BUDGET,),
    ),
    Metric(
        "quantum.backend.calibration.timestamp",
        QUANTUM_BACKEND_CALIBRATION_TIMESTAMP_SECONDS,
        Instrument.GAUGE,
        "s",
        "Unix time of the backend's last calibration.",
        (ATTR_PROVIDER, ATTR_BACKEND),
    ),
    Metric(
        "quantum.backend.pending_jobs",
        QUANTUM_BACKEND_PENDING_JOBS,
        Instrument.GAUGE,
        "{job}",
        "Jobs waiting in the provider's queue for this backend.",
        (ATTR_PROVIDER, ATTR_BACKEND),
    ),
    Metric(
        "quantum.backend.up",
        QUANTUM_BACKEND_UP,
        Instrument.GAUGE,
        "",
        "1 when the backend reports itself operational, 0 when not.",
        (ATTR_PROVIDER, ATTR_BACKEND),
    ),
    Metric(
        "quantum.backend.qubit.t1",
        QUANTUM_BACKEND_QUBIT_T1_SECONDS,
        Instrument.GAUGE,
        "s",
        "T1 relaxation time per qubit, as reported by the provider.",
        (ATTR_PROVIDER, ATTR_BACKEND, ATTR_QUBIT),
    ),
    Metric(
        "quantum.backend.qubit.t2",
        QUANTUM_BACKEND_QUBIT_T2_SECONDS,
        Instrument.GAUGE,
        "s",
        "T2 dephasing time per qubit, as reported by the provider.",
        (ATTR_PROVIDER, ATTR_BACKEND, ATTR_QUBIT),
    ),
    Metric(
        "quantum.backend.qubit.readout_error_ratio",
        QUANTUM_BACKEND_QUBIT_READOUT_ERROR_RATIO,
        Instrument.GAUGE,
        "1",
        "Readout assignment error per qubit, as reported by the provider.",
        (ATTR_PROVIDER, ATTR_BACKEND, ATTR_QUBIT),
    ),
    Metric(
        "quantum.fidelity_ratio",
        QUANTUM_FIDELITY_RATIO,
        Instrument.GAUGE,
        "1",
        "Measured fidelity; method=rb is 1 - error per Clifford.",
        (ATTR_PROVIDER, ATTR_BACKEND, ATTR_QUBITS, ATTR_METHOD),
    ),
    Metric(
        "quantum.rb.error_per_clifford",
        QUANTUM_RB_ERROR_PER_CLIFFORD,
        Instrument.GAUGE,
        "",
        "Randomized-benchmarking estimate of the average error per Clifford.",
        (ATTR_PROVIDER, ATTR_BACKEND, ATTR_QUBITS),
    ),
    Metric(
        "quantum.job.output_fidelity_ratio",
        QUANTUM_JOB_OUTPUT_FIDELITY_RATIO,
        Instrument.HISTOGRAM,
        "1",
        "Hellinger fidelity between a sampled job's measured counts and its ideal (noiseless) "
        "output distribution, per circuit; opt-in (QOBSERVE_OUTPUT_FIDELITY).",
        (ATTR_PROVIDER, ATTR_BACKEND),
        FIDELITY_BUCKETS,
    ),
    Metric(
        "quantum.job.expectation_error",
        QUANTUM_JOB_EXPECTATION_ERROR,
        Instrument.HISTOGRAM,
        "",
        "Absolute error of an estimator job's expectation value against the ideal one; opt-in.",
        (ATTR_PROVIDER, ATTR_BACKEND),
        EXPECTATION_ERROR_BUCKETS,
    ),
    Metric(
        "qobserve.output_fidelity.dropped",
        QOBSERVE_OUTPUT_FIDELITY_DROPPED_TOTAL,
        Instrument.COUNTER,
        "{job}",
        "Sampled jobs whose output fidelity was not computed (queue_full, too_wide, "
        "unsupported, error).",
        (ATTR_PROVIDER, ATTR_BACKEND, ATTR_REASON),
    ),
    Metric(
        "quantum.backend.gate_error_ratio",
        QUANTUM_BACKEND_GATE_ERROR_RATIO,
        Instrument.GAUGE,
        "1",
        "Error of one gate (gate=measure: readout) on a qubit set; source=provider as "
        "reported in calibration, source=rb as measured by interleaved RB.",
        (ATTR_PROVIDER, ATTR_BACKEND, ATTR_GATE, ATTR_QUBITS, ATTR_SOURCE),
    ),
    Metric(
        "quantum.executor.breaker.state",
        QUANTUM_EXECUTOR_BREAKER_STATE,
        Instrument.GAUGE,
        "",
        "Circuit breaker per backend: 0 closed, 1 half-open, 2 open.",
        (ATTR_PROVIDER, ATTR_BACKEND),
    ),
    Metric(
        "quantum.training.loss",
        QUANTUM_TRAINING_LOSS,
        Instrument.GAUGE,
        "",
        "Loss at the last optimizer step.",
        (ATTR_EXPERIMENT,),
    ),
    Metric(
        "quantum.training.steps",
        QUANTUM_TRAINING_STEPS_TOTAL,
        Instrument.COUNTER,
        "{step}",
        "Optimizer steps taken.",
        (ATTR_EXPERIMENT,),
    ),
    Metric(
        "quantum.training.gradient.norm",
        QUANTUM_TRAINING_GRADIENT_NORM,
        Instrument.GAUGE,
        "",
        "L2 norm of the last gradient.",
        (ATTR_EXPERIMENT,),
    ),
    Metric(
        "quantum.training.gradient.snr",
        QUANTUM_TRAINING_GRADIENT_SNR,
        Instrument.GAUGE,
        "",
        "Median over parameters of |mean| / std of the gradient estimates (shot SNR).",
        (ATTR_EXPERIMENT,),
    ),
    Metric(
        "quantum.training.gradient.variance",
        QUANTUM_TRAINING_GRADIENT_VARIANCE,
        Instrument.GAUGE,
        "",
        "Variance of gradient components across parameters (barren-plateau signal).",
        (ATTR_EXPERIMENT,),
    ),
    Metric(
        "quantum.training.shot_variance",
        QUANTUM_TRAINING_SHOT_VARIANCE,
        Instrument.GAUGE,
        "",
        "Mean variance of the step's estimated expectation values.",
        (ATTR_EXPERIMENT,),
    ),
    Metric(
        "quantum.training.validation.score",
        QUANTUM_TRAINING_VALIDATION_SCORE,
        Instrument.GAUGE,
        "",
        "Validation metrics reported by the user.",
        (ATTR_EXPERIMENT, ATTR_METRIC),
    ),
    Metric(
        "quantum.training.barren_plateau",
        QUANTUM_TRAINING_BARREN_PLATEAU,
        Instrument.GAUGE,
        "",
        "1 while the barren-plateau detector is firing, else 0.",
        (ATTR_EXPERIMENT,),
    ),
    Metric(
        "quantum.training.diverging",
        QUANTUM_TRAINING_DIVERGING,
        Instrument.GAUGE,
        "",
        "1 while the divergence detector is firing, else 0.",
        (ATTR_EXPERIMENT,),
    ),
    Metric(
        "quantum.training.stalled",
        QUANTUM_TRAINING_STALLED,
        Instrument.GAUGE,
        "",
        "1 while the stalled-progress detector is firing, else 0.",
        (ATTR_EXPERIMENT,),
    ),
    Metric(
        "qobserve.probe.success",
        QOBSERVE_PROBE_SUCCESS,
        Instrument.GAUGE,
        "",
        "1 when the last run of the probe succeeded, else 0.",
        (ATTR_PROBE, ATTR_BACKEND),
    ),
    Metric(
        "qobserve.probe.duration",
        QOBSERVE_PROBE_DURATION_SECONDS,
        Instrument.GAUGE,
        "s",
        "Duration of the last run of the probe.",
        (ATTR_PROBE, ATTR_BACKEND),
    ),
    Metric(
        "qobserve.probe.last_success.timestamp",
        QOBSERVE_PROBE_LAST_SUCCESS_TIMESTAMP_SECONDS,
        Instrument.GAUGE,
        "s",
        "Unix time of the probe's last success.",
        (ATTR_PROBE, ATTR_BACKEND),
    ),
    Metric(
        "qobserve.probe.last_run.timestamp",
        QOBSERVE_PROBE_LAST_RUN_TIMESTAMP_SECONDS,
        Instrument.GAUGE,
        "s",
        "Unix time the probe's last run finished (success, failure or timeout; skipped runs "
        "do not count).",
        (ATTR_PROBE, ATTR_BACKEND),
    ),
    Metric(
        "qobserve.probe.stale",
        QOBSERVE_PROBE_STALE,
        Instrument.GAUGE,
        "",
        "1 when no run of the probe has finished within 2 x interval + timeout, else 0.",
        (ATTR_PROBE, ATTR_BACKEND),
    ),
    Metric(
        "qobserve.probe.in_progress",
        QOBSERVE_PROBE_IN_PROGRESS,
        Instrument.GAUGE,
        "",
        "1 while a run of the probe is executing, else 0.",
        (ATTR_PROBE, ATTR_BACKEND),
    ),
    # MLflow logging of training runs (qobserve.training.mlflow_log): its own health.
    Metric(
        "qobserve.mlflow.log.failures",
        QOBSERVE_MLFLOW_LOG_FAILURES_TOTAL,
        Instrument.COUNTER,
        "{request}",
        "Failed MLflow requests (each attempt; retried within a budget).",
        (ATTR_EXPERIMENT, ATTR_ERROR_TYPE),
    ),
    Metric(
        "qobserve.mlflow.dropped",
        QOBSERVE_MLFLOW_DROPPED_TOTAL,
        Instrument.COUNTER,
        "{value}",
        "Metric values, params and tags given up on: queue full or retry budget spent.",
        (ATTR_EXPERIMENT,),
    ),
    # Alert bridge (Alertmanager -> Slack), exported with prometheus-client on its own /metrics.
    Metric(
        "qobserve.alert_bridge.alerts.received",
        QOBSERVE_ALERT_BRIDGE_ALERTS_RECEIVED_TOTAL,
        Instrument.COUNTER,
        "{alert}",
        "Alerts received from Alertmanager, by status.",
        (STATUS_LABEL,),
    ),
    Metric(
        "qobserve.alert_bridge.requests.rejected",
        QOBSERVE_ALERT_BRIDGE_REQUESTS_REJECTED_TOTAL,
        Instrument.COUNTER,
        "{request}",
        "Webhook requests refused (bad_json, invalid_payload, unauthorized, too_large, "
        "spool_unavailable, overloaded).",
        (REASON_LABEL,),
    ),
    Metric(
        "qobserve.alert_bridge.messages.delivered",
        QOBSERVE_ALERT_BRIDGE_MESSAGES_DELIVERED_TOTAL,
        Instrument.COUNTER,
        "{message}",
        "Slack messages delivered, by alert status.",
        (STATUS_LABEL,),
    ),
    Metric(
        "qobserve.alert_bridge.messages.spooled",
        QOBSERVE_ALERT_BRIDGE_MESSAGES_SPOOLED_TOTAL,
        Instrument.COUNTER,
        "{message}",
        "Messages kept in the on-disk spool because their first delivery attempt failed.",
        (),
    ),
    Metric(
        "qobserve.alert_bridge.delivery.failures",
        QOBSERVE_ALERT_BRIDGE_DELIVERY_FAILURES_TOTAL,
        Instrument.COUNTER,
        "{attempt}",
        "Failed Slack delivery attempts: transient (rate_limited, api_error, http_error, "
        "connection, timeout) or refused for good (refused).",
        (REASON_LABEL,),
    ),
    Metric(
        "qobserve.alert_bridge.spool.pending",
        QOBSERVE_ALERT_BRIDGE_SPOOL_PENDING,
        Instrument.GAUGE,
        "{message}",
        "Messages in the spool not yet delivered to Slack.",
        (),
    ),
    Metric(
        "qobserve.alert_bridge.oldest_pending.timestamp",
        QOBSERVE_ALERT_BRIDGE_OLDEST_PENDING_TIMESTAMP_SECONDS,
        Instrument.GAUGE,
        "s",
        "Unix time the oldest undelivered message was spooled; 0 when nothing is pending.",
        (),
    ),
    Metric(
        "qobserve.alert_bridge.dead_letters",
        QOBSERVE_ALERT_BRIDGE_DEAD_LETTERS,
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
    "ATTR_BACKEND",
    "ATTR_BUDGET",
    "ATTR_ERROR_TYPE",
    "ATTR_EXPERIMENT",
    "ATTR_FROM_BACKEND",
    "ATTR_GATE",
    "ATTR_JOB_STATUS",
    "ATTR_METHOD",
    "ATTR_METRIC",
    "ATTR_PROBE",
    "ATTR_PROVIDER",
    "ATTR_QUBIT",
    "ATTR_QUBITS",
    "ATTR_REASON",
    "ATTR_SOURCE",
    "ATTR_STATE",
    "ATTR_TO_BACKEND",
    "BACKEND_LABEL",
    "BUDGET_LABEL",
    "BURN_TIER_LABEL",
    "ERROR_TYPE_LABEL",
    "EXPERIMENT_LABEL",
    "FROM_BACKEND_LABEL",
    "GATE_ERROR_DRIFT_PREFIX",
    "GATE_ERROR_DRIFT_WINDOWS",
    "GATE_LABEL",
    "JOB_STATUS_LABEL",
    "METHOD_LABEL",
    "METRIC_LABEL",
    "PROBE_LABEL",
    "PROVIDER_LABEL",
    "QOBSERVE_ALERT_BRIDGE_ALERTS_RECEIVED_TOTAL",
    "QOBSERVE_ALERT_BRIDGE_DEAD_LETTERS",
    "QOBSERVE_ALERT_BRIDGE_DELIVERY_FAILURES_TOTAL",
    "QOBSERVE_ALERT_BRIDGE_MESSAGES_DELIVERED_TOTAL",
    "QOBSERVE_ALERT_BRIDGE_MESSAGES_SPOOLED_TOTAL",
    "QOBSERVE_ALERT_BRIDGE_OLDEST_PENDING_TIMESTAMP_SECONDS",
    "QOBSERVE_ALERT_BRIDGE_REQUESTS_REJECTED_TOTAL",
    "QOBSERVE_ALERT_BRIDGE_SPOOL_PENDING",
    "QOBSERVE_MLFLOW_DROPPED_TOTAL",
    "QOBSERVE_MLFLOW_LOG_FAILURES_TOTAL",
    "QOBSERVE_OUTPUT_FIDELITY_DROPPED_TOTAL",
    "QOBSERVE_PROBE_DURATION_SECONDS",
    "QOBSERVE_PROBE_IN_PROGRESS",
    "QOBSERVE_PROBE_LAST_RUN_TIMESTAMP_SECONDS",
    "QOBSERVE_PROBE_LAST_SUCCESS_TIMESTAMP_SECONDS",
    "QOBSERVE_PROBE_STALE",
    "QOBSERVE_PROBE_SUCCESS",
    "QUANTUM_BACKEND_CALIBRATION_TIMESTAMP_SECONDS",
    "QUANTUM_BACKEND_GATE_ERROR_RATIO",
    "QUANTUM_BACKEND_PENDING_JOBS",
    "QUANTUM_BACKEND_QUBIT_READOUT_ERROR_RATIO",
    "QUANTUM_BACKEND_QUBIT_T1_SECONDS",
    "QUANTUM_BACKEND_QUBIT_T2_SECONDS",
    "QUANTUM_BACKEND_UP",
    "QUANTUM_BUDGET_LIMIT_USD",
    "QUANTUM_BUDGET_SPENT_USD",
    "QUANTUM_EXECUTOR_BREAKER_STATE",
    "QUANTUM_FIDELITY_RATIO",
    "QUANTUM_JOBS_TOTAL",
    "QUANTUM_JOB_COST_USD_TOTAL",
    "QUANTUM_JOB_DURATION_SECONDS",
    "QUANTUM_JOB_EXECUTION_DURATION_SECONDS",
    "QUANTUM_JOB_EXPECTATION_ERROR",
    "QUANTUM_JOB_FALLBACKS_TOTAL",
    "QUANTUM_JOB_OUTPUT_FIDELITY_RATIO",
    "QUANTUM_JOB_QUEUE_DURATION_SECONDS",
    "QUANTUM_JOB_RETRIES_TOTAL",
    "QUANTUM_JOB_SHOTS_TOTAL",
    "QUANTUM_RB_ERROR_PER_CLIFFORD",
    "QUANTUM_TRAINING_BARREN_PLATEAU",
    "QUANTUM_TRAINING_DIVERGING",
    "QUANTUM_TRAINING_GRADIENT_NORM",
    "QUANTUM_TRAINING_GRADIENT_SNR",
    "QUANTUM_TRAINING_GRADIENT_VARIANCE",
    "QUANTUM_TRAINING_LOSS",
    "QUANTUM_TRAINING_SHOT_VARIANCE",
    "QUANTUM_TRAINING_STALLED",
    "QUANTUM_TRAINING_STEPS_TOTAL",
    "QUANTUM_TRAINING_VALIDATION_SCORE",
    "QUBITS_LABEL",
    "QUBIT_LABEL",
    "REASON_LABEL",
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
    "SOURCE_LABEL",
    "STATE_LABEL",
    "STATUS_LABEL",
    "TO_BACKEND_LABEL",
    "gate_error_drift",
    "slo_error_ratio",
]
