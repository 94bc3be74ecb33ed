"""Debug dashboard: training signals and device physics behind a quality problem."""

from __future__ import annotations

from qobserve import semconv as sc
from qobserve.dashboards.panels import Board, Target, slo_alert
from qobserve.dashboards.queries import by, job_filter, quantile, sel
from qobserve.slo.spec import SLOSpec

__all__ = ["build"]

_EXP = "{{quantum_experiment}}"


#: (title, metric, what the on-call engineer should read from it, runbook)
_TRAINING: tuple[tuple[str, str, str, str | None], ...] = (
    (
        "Loss",
        sc.QUANTUM_TRAINING_LOSS,
        "Loss at the last optimizer step per experiment. Rising "
        "or NaN: see the divergence runbook.",
        sc.ALERT_TRAINING_DIVERGING,
    ),
    (
        "Gradient SNR",
        sc.QUANTUM_TRAINING_GRADIENT_SNR,
        "Median |mean|/std of the gradient "
        "estimates. Below 1, shot noise swamps the gradient: add shots or lower the learning "
        "rate.",
        sc.ALERT_TRAINING_BARREN_PLATEAU,
    ),
    (
        "Gradient norm",
        sc.QUANTUM_TRAINING_GRADIENT_NORM,
        "L2 norm of the last gradient. "
        "Collapsing towards 0 with low SNR is the barren-plateau signature; exploding means "
        "divergence.",
        sc.ALERT_TRAINING_BARREN_PLATEAU,
    ),
    (
        "Gradient variance",
        sc.QUANTUM_TRAINING_GRADIENT_VARIANCE,
        "Variance of gradient "
        "components across parameters; exponentially small variance in the qubit count is a "
        "barren plateau.",
        sc.ALERT_TRAINING_BARREN_PLATEAU,
    ),
    (
        "Shot variance",
        sc.QUANTUM_TRAINING_SHOT_VARIANCE,
        "Mean variance of the step's estimated expectation values (sampling noise).",
        None,
    ),
)


def _gate_error(source: str, **matchers: str) -> str:
    """``quantum_backend_gate_error_ratio`` of one ``source`` (``~regex`` allowed)."""
    return sel(
        sc.QUANTUM_BACKEND_GATE_ERROR_RATIO,
        *job_filter(),
        **{sc.SOURCE_LABEL: source},
        **matchers,
    )


def _training(metric: str) -> str:
    return sel(metric, sc.EXPERIMENT_LABEL)


def build(spec: SLOSpec) -> dict:
    """The ``qobserve-debug`` dashboard for the SLOs and links of ``spec``."""
    b = Board(
        "debug",
        "qobserve / Debug",
        "Training health (gradients, loss) and device quality (RB, calibration).",
        spec.links,
    )
    b.row("Training")
    for title, metric, description, runbook in _TRAINING:
        b.series(title, description, "none", Target(_training(metric), _EXP), runbook=runbook)
    b.series(
        "Validation scores",
        "Validation metrics reported by the training code.",
        "none",
        Target(
            sel(sc.QUANTUM_TRAINING_VALIDATION_SCORE, sc.EXPERIMENT_LABEL),
            "{{quantum_experiment}} {{metric}}",
        ),
    )
    b.row("Device quality")
    b.series(
        "RB error per Clifford vs provider readout error",
        "Our randomized-benchmarking "
        "error per Clifford (measured) against the provider-reported mean readout error. "
        "Ours far above the provider's: the device drifted since calibration.",
        "percentunit",
        Target(
            sel(sc.QUANTUM_RB_ERROR_PER_CLIFFORD, *job_filter()),
            "RB EPC {{quantum_backend}} q{{quantum_qubits}}",
        ),
        Target(
            f"avg {by(sc.PROVIDER_LABEL, sc.BACKEND_LABEL)} "
            f"({sel(sc.QUANTUM_BACKEND_QUBIT_READOUT_ERROR_RATIO, *job_filter())})",
            "provider readout {{quantum_backend}}",
        ),
        width=24,
        runbook=slo_alert(spec, "fidelity"),
    )
    b.series(
        "T1 per qubit",
        "Provider-reported T1 relaxation time per qubit.",
        "s",
        Target(
            sel(sc.QUANTUM_BACKEND_QUBIT_T1_SECONDS, *job_filter()),
            "{{quantum_backend}} q{{qubit}}",
        ),
        width=8,
    )
    b.series(
        "T2 per qubit",
        "Provider-reported T2 dephasing time per qubit.",
        "s",
        Target(
            sel(sc.QUANTUM_BACKEND_QUBIT_T2_SECONDS, *job_filter()),
            "{{quantum_backend}} q{{qubit}}",
        ),
        width=8,
    )
    b.table(
        "Calibration by qubit",
        "Latest provider calibration per qubit: readout error "
        "(ratio); sort to find the worst qubit before choosing a layout.",
        "percentunit",
        Target(
            f"max {by(sc.PROVIDER_LABEL, sc.BACKEND_LABEL, sc.QUBIT_LABEL)} "
            f"({sel(sc.QUANTUM_BACKEND_QUBIT_READOUT_ERROR_RATIO, *job_filter())})"
        ),
        width=8,
    )
    b.series(
        "Simulator vs hardware fidelity",
        "Measured fidelity per backend: RB (method=rb, "
        "per qubit set), the median per-job output fidelity of sampled user jobs (Hellinger "
        "against the ideal distribution), and 1 − the provider's mean reported gate error. "
        "Simulators with injected noise give the expected value; hardware should sit close "
        "to it.",
        "percentunit",
        Target(
            sel(sc.QUANTUM_FIDELITY_RATIO, *job_filter()),
            "{{quantum_backend}} q{{quantum_qubits}} {{method}}",
        ),
        Target(
            quantile(
                0.5, sc.QUANTUM_JOB_OUTPUT_FIDELITY_RATIO, sc.PROVIDER_LABEL, sc.BACKEND_LABEL
            ),
            "{{quantum_backend}} output fidelity (median)",
        ),
        Target(
            f"1 - avg {by(sc.PROVIDER_LABEL, sc.BACKEND_LABEL)} ("
            f"{_gate_error(sc.GATE_ERROR_PROVIDER, gate=f'!{sc.READOUT_GATE}')})",
            "{{quantum_backend}} provider 1 − gate error",
        ),
        width=24,
        max_value=1,
        runbook=slo_alert(spec, "fidelity"),
    )
    b.series(
        "Gate error: measured vs provider",
        "Gate error per gate and qubit set as "
        "measured by interleaved RB (source=rb) and as the provider reports it "
        "(source=provider; gate=measure is readout).",
        "percentunit",
        Target(_gate_error("~.*"), "{{quantum_backend}} {{gate}} q{{quantum_qubits}} {{source}}"),
        width=12,
        runbook=sc.ALERT_GATE_ERROR_DRIFT,
    )
    b.series(
        "Gate error drift (measured ÷ reported)",
        "Mean RB gate error over the mean "
        "provider-reported one, 1 h and 1 d; above the alert factor (2 by default) for "
        "hours the gate has drifted since calibration.",
        "none",
        *(
            Target(
                f'{sc.gate_error_drift(w)}{{{sc.PROVIDER_LABEL}=~"$quantum_provider",'
                f'{sc.BACKEND_LABEL}=~"$quantum_backend"}}',
                f"{{{{quantum_backend}}}} {{{{gate}}}} q{{{{quantum_qubits}}}} {w}",
            )
            for w in sc.GATE_ERROR_DRIFT_WINDOWS
        ),
        width=12,
        min_value=0,
        runbook=sc.ALERT_GATE_ERROR_DRIFT,
    )
    b.series(
        "Barren plateau / divergence detectors",
        "1 while a detector fires for the experiment.",
        "bool_yes_no",
        Target(_training(sc.QUANTUM_TRAINING_BARREN_PLATEAU), "plateau " + _EXP),
        Target(_training(sc.QUANTUM_TRAINING_DIVERGING), "diverging " + _EXP),
        width=24,
        min_value=0,
        max_value=1,
    )
    return b.build()
