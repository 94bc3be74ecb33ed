"""Debug dashboard: training signals and device physics behind a quality problem."""

from __future__ import annotations

from qobserve import semconv as sc
from qobserve.dashboards.panels import Board, Target, slo_alert
from qobserve.dashboards.queries import (
    BACKEND,
    EXPERIMENT,
    PROVIDER,
    QUBIT,
    by,
    job_filter,
    quantile,
    sel,
)
from qobserve.slo.spec import SLOSpec

__all__ = ["build"]

_EXP = "{{quantum_experiment}}"


#: (title, metric, what the on-call engineer should read from it, runbook)
_TRAINING: tuple[tuple[str, str, str, str | None], ...] = (
    (
        "Loss",
        "quantum_training_loss",
        "Loss at the last optimizer step per experiment. Rising "
        "or NaN: see the divergence runbook.",
        sc.ALERT_TRAINING_DIVERGING,
    ),
    (
        "Gradient SNR",
        "quantum_training_gradient_snr",
        "Median |mean|/std of the gradient "
        "estimates. Below 1, shot noise swamps the gradient: add shots or lower the learning "
        "rate.",
        sc.ALERT_TRAINING_BARREN_PLATEAU,
    ),
    (
        "Gradient norm",
        "quantum_training_gradient_norm",
        "L2 norm of the last gradient. "
        "Collapsing towards 0 with low SNR is the barren-plateau signature; exploding means "
        "divergence.",
        sc.ALERT_TRAINING_BARREN_PLATEAU,
    ),
    (
        "Gradient variance",
        "quantum_training_gradient_variance",
        "Variance of gradient "
        "components across parameters; exponentially small variance in the qubit count is a "
        "barren plateau.",
        sc.ALERT_TRAINING_BARREN_PLATEAU,
    ),
    (
        "Shot variance",
        "quantum_training_shot_variance",
        "Mean variance of the step's estimated expectation values (sampling noise).",
        None,
    ),
)


def _gate_error(source: str, **matchers: str) -> str:
    """``quantum_backend_gate_error_ratio`` of one ``source`` (``~regex`` allowed)."""
    return sel(
        "quantum_backend_gate_error_ratio",
        *job_filter(),
        **{sc.LABEL[sc.Attr.SOURCE]: source},
        **matchers,
    )


def _training(metric: str) -> str:
    return sel(metric, EXPERIMENT)


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
            sel("quantum_training_validation_score", EXPERIMENT),
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
            sel("quantum_rb_error_per_clifford", *job_filter()),
            "RB EPC {{quantum_backend}} q{{quantum_qubits}}",
        ),
        Target(
            f"avg {by(PROVIDER, BACKEND)} "
            f"({sel('quantum_backend_qubit_readout_error_ratio', *job_filter())})",
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
            sel("quantum_backend_qubit_t1_seconds", *job_filter()), "{{quantum_backend}} q{{qubit}}"
        ),
        width=8,
    )
    b.series(
        "T2 per qubit",
        "Provider-reported T2 dephasing time per qubit.",
        "s",
        Target(
            sel("quantum_backend_qubit_t2_seconds", *job_filter()), "{{quantum_backend}} q{{qubit}}"
        ),
        width=8,
    )
    b.table(
        "Calibration by qubit",
        "Latest provider calibration per qubit: readout error "
        "(ratio); sort to find the worst qubit before choosing a layout.",
        "percentunit",
        Target(
            f"max {by(PROVIDER, BACKEND, QUBIT)} "
            f"({sel('quantum_backend_qubit_readout_error_ratio', *job_filter())})"
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
            sel("quantum_fidelity_ratio", *job_filter()),
            "{{quantum_backend}} q{{quantum_qubits}} {{method}}",
        ),
        Target(
            quantile(0.5, "quantum_job_output_fidelity_ratio", PROVIDER, BACKEND),
            "{{quantum_backend}} output fidelity (median)",
        ),
        Target(
            f"1 - avg {by(PROVIDER, BACKEND)} ("
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
                f'{sc.gate_error_drift(w)}{{{PROVIDER}=~"$quantum_provider",'
                f'{BACKEND}=~"$quantum_backend"}}',
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
        Target(_training("quantum_training_barren_plateau"), "plateau " + _EXP),
        Target(_training("quantum_training_diverging"), "diverging " + _EXP),
        width=24,
        min_value=0,
        max_value=1,
    )
    return b.build()
