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
    "ATTR",
    "Attr",
    "Instrument",
    "LABEL",
    "METRICS",
    "Metric",
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
    # Span-only attributes: unbounded values never go on metric labels.
    JOB_ID = "quantum.job.id"
    JOB_SHOTS = "quantum.job.shots"
    JOB_COST_USD = "quantum.job.cost_usd"
    JOB_OPERATION = "quantum.job.operation"
    CIRCUIT_COUNT = "quantum.circuit.count"
    CIRCUIT_QUBITS = "quantum.circuit.qubits"
    CIRCUIT_DEPTH = "quantum.circuit.depth"
    CALIBRATION_TIMESTAMP = "quantum.backend.calibration_timestamp"
    CLIENT_JOB_ID = "qobserve.client_job_id"
    ATTEMPT = "qobserve.attempt"


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
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600,
    1800, 3600, 7200, 14400, 28800, 86400, 172800, 259200,
)

_METRIC_LIST: tuple[Metric, ...] = (
    Metric("quantum.jobs", "quantum_jobs_total", Instrument.COUNTER, "{job}",
           "Jobs that reached a terminal state.",
           (_P, _B, Attr.JOB_STATUS, Attr.ERROR_TYPE)),
    Metric("quantum.job.duration", "quantum_job_duration_seconds", Instrument.HISTOGRAM, "s",
           "Job latency from submission to terminal state.",
           (_P, _B, Attr.JOB_STATUS), LATENCY_BUCKETS),
    Metric("quantum.job.queue.duration", "quantum_job_queue_duration_seconds",
           Instrument.HISTOGRAM, "s",
           "Time from submission until the job started running, where the provider reports it.",
           (_P, _B), LATENCY_BUCKETS),
    Metric("quantum.job.execution.duration", "quantum_job_execution_duration_seconds",
           Instrument.HISTOGRAM, "s", "Time from running to terminal state.",
           (_P, _B), LATENCY_BUCKETS),
    Metric("quantum.job.shots", "quantum_job_shots_total", Instrument.COUNTER, "{shot}",
           "Shots requested by submitted jobs.", (_P, _B)),
    Metric("quantum.job.retries", "quantum_job_retries_total", Instrument.COUNTER, "{retry}",
           "Resubmissions made by the resilient executor.", (_P, _B, Attr.ERROR_TYPE)),
    Metric("quantum.job.fallbacks", "quantum_job_fallbacks_total", Instrument.COUNTER,
           "{fallback}", "Jobs the executor moved to another backend.",
           (Attr.FROM_BACKEND, Attr.TO_BACKEND)),
    Metric("quantum.job.cost_usd", "quantum_job_cost_usd_total", Instrument.COUNTER, "",
           "Estimated spend in US dollars.", (_P, _B)),
    Metric("quantum.budget.limit_usd", "quantum_budget_limit_usd", Instrument.GAUGE, "",
           "Budget limit in US dollars for its current period.", (Attr.BUDGET,)),
    Metric("quantum.budget.spent_usd", "quantum_budget_spent_usd", Instrument.GAUGE, "",
           "US dollars spent (settled plus reserved) in the budget's current period.",
           (Attr.BUDGET,)),
    Metric("quantum.backend.calibration.timestamp",
           "quantum_backend_calibration_timestamp_seconds", Instrument.GAUGE, "s",
           "Unix time of the backend's last calibration.", (_P, _B)),
    Metric("quantum.backend.pending_jobs", "quantum_backend_pending_jobs", Instrument.GAUGE,
           "{job}", "Jobs waiting in the provider's queue for this backend.", (_P, _B)),
    Metric("quantum.backend.up", "quantum_backend_up", Instrument.GAUGE, "",
           "1 when the backend reports itself operational, 0 when not.", (_P, _B)),
    Metric("quantum.backend.qubit.t1", "quantum_backend_qubit_t1_seconds", Instrument.GAUGE,
           "s", "T1 relaxation time per qubit, as reported by the provider.",
           (_P, _B, Attr.QUBIT)),
    Metric("quantum.backend.qubit.t2", "quantum_backend_qubit_t2_seconds", Instrument.GAUGE,
           "s", "T2 dephasing time per qubit, as reported by the provider.",
           (_P, _B, Attr.QUBIT)),
    Metric("quantum.backend.qubit.readout_error_ratio", "quantum_backend_qubit_readout_error_ratio",
           Instrument.GAUGE, "1", "Readout assignment error per qubit, as reported by the provider.",
           (_P, _B, Attr.QUBIT)),
    Metric("quantum.fidelity_ratio", "quantum_fidelity_ratio", Instrument.GAUGE, "1",
           "Measured fidelity; method=rb is 1 - error per Clifford.",
           (_P, _B, Attr.QUBITS, Attr.METHOD)),
    Metric("quantum.rb.error_per_clifford", "quantum_rb_error_per_clifford", Instrument.GAUGE,
           "", "Randomized-benchmarking estimate of the average error per Clifford.",
           (_P, _B, Attr.QUBITS)),
    Metric("quantum.executor.breaker.state", "quantum_executor_breaker_state", Instrument.GAUGE,
           "", "Circuit breaker per backend: 0 closed, 1 half-open, 2 open.", (_P, _B)),
    Metric("quantum.training.loss", "quantum_training_loss", Instrument.GAUGE, "",
           "Loss at the last optimizer step.", (_EXP,)),
    Metric("quantum.training.steps", "quantum_training_steps_total", Instrument.COUNTER,
           "{step}", "Optimizer steps taken.", (_EXP,)),
    Metric("quantum.training.gradient.norm", "quantum_training_gradient_norm", Instrument.GAUGE,
           "", "L2 norm of the last gradient.", (_EXP,)),
    Metric("quantum.training.gradient.snr", "quantum_training_gradient_snr", Instrument.GAUGE,
           "", "Median over parameters of |mean| / std of the gradient estimates (shot SNR).",
           (_EXP,)),
    Metric("quantum.training.gradient.variance", "quantum_training_gradient_variance",
           Instrument.GAUGE, "",
           "Variance of gradient components across parameters (barren-plateau signal).", (_EXP,)),
    Metric("quantum.training.shot_variance", "quantum_training_shot_variance", Instrument.GAUGE,
           "", "Mean variance of the step's estimated expectation values.", (_EXP,)),
    Metric("quantum.training.validation.score", "quantum_training_validation_score",
           Instrument.GAUGE, "", "Validation metrics reported by the user.",
           (_EXP, Attr.METRIC)),
    Metric("quantum.training.barren_plateau", "quantum_training_barren_plateau",
           Instrument.GAUGE, "", "1 while the barren-plateau detector is firing, else 0.",
           (_EXP,)),
    Metric("quantum.training.diverging", "quantum_training_diverging", Instrument.GAUGE, "",
           "1 while the divergence detector is firing, else 0.", (_EXP,)),
    Metric("qobserve.probe.success", "qobserve_probe_success", Instrument.GAUGE, "",
           "1 when the last run of the probe succeeded, else 0.", (Attr.PROBE, _B)),
    Metric("qobserve.probe.duration", "qobserve_probe_duration_seconds", Instrument.GAUGE, "s",
           "Duration of the last run of the probe.", (Attr.PROBE, _B)),
    Metric("qobserve.probe.last_success.timestamp",
           "qobserve_probe_last_success_timestamp_seconds", Instrument.GAUGE, "s",
           "Unix time of the probe's last success.", (Attr.PROBE, _B)),
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


# Alert names of the public contract; rules, routing and runbooks key on them.
ALERTS: tuple[str, ...] = (
    "QuantumJobSuccessBudgetBurn",
    "QuantumJobLatencyBudgetBurn",
    "QuantumFidelityBudgetBurn",
    "QuantumCalibrationStale",
    "QuantumCostBudgetBurn",
    "QuantumBackendDown",
    "QuantumRetryRateHigh",
    "QuantumTrainingBarrenPlateau",
    "QuantumTrainingDiverging",
    "QuantumProbeFailing",
    "QuantumTelemetryAbsent",
)

SPAN_EVENTS = ("queued", "running", "completed", "failed", "cancelled")
