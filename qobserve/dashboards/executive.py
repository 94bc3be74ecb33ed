"""Executive dashboard: spend against budget, reliability against SLO, fidelity, activity."""

from __future__ import annotations

from qobserve import semconv as sc
from qobserve.dashboards.panels import Board, Target, slo_alert, slo_periods
from qobserve.dashboards.queries import by, failed, job_filter, rate, sel
from qobserve.slo.spec import SLOSpec

__all__ = ["build"]


def _success_rate(b: Board, spec: SLOSpec, jobs: str) -> None:
    """Job success rate, against the objective of the spec's job-success SLO if it has one."""
    slo = spec.slo_of_kind("job_success")
    targets = [Target(f"1 - ({rate(failed())} / {rate(jobs)})", "success rate")]
    against = ""
    if slo is not None:
        targets.append(
            Target(f"max({sel(sc.SLO_OBJECTIVE, **{sc.SLO_LABEL: slo.name})})", "objective")
        )
        against = (
            f", against the {slo.name} SLO objective (dashed). Below the objective the "
            "error budget burns"
        )
    b.series(
        "Job success rate vs SLO" if slo else "Job success rate",
        f"Share of terminal jobs that did not fail{against}.",
        "percentunit",
        *targets,
        min_value=0,
        max_value=1,
        runbook=slo.alerting.name if slo else None,
    )


def build(spec: SLOSpec) -> dict:
    """The ``qobserve-executive`` dashboard for the SLOs and links of ``spec``."""
    jobs = sel(sc.QUANTUM_JOBS_TOTAL, *job_filter())
    cost = sel(sc.QUANTUM_JOB_COST_USD_TOTAL, *job_filter())
    b = Board(
        "executive",
        "qobserve / Executive",
        "Spend, reliability and quality of quantum workloads at a glance.",
        spec.links,
    )
    b.row("Spend")
    b.stat(
        "Spent this period",
        "US dollars spent (settled plus reserved) in each budget's current period.",
        "currencyUSD",
        Target(f"sum {by(sc.BUDGET_LABEL)} ({sel(sc.QUANTUM_BUDGET_SPENT_USD)})", "{{budget}}"),
        runbook=sc.ALERT_COST_BUDGET_BURN,
    )
    b.stat(
        "Budget limit",
        "Each budget's limit for its current period.",
        "currencyUSD",
        Target(f"sum {by(sc.BUDGET_LABEL)} ({sel(sc.QUANTUM_BUDGET_LIMIT_USD)})", "{{budget}}"),
    )
    b.stat(
        "Projected 30-day spend",
        "Spend over the last day extrapolated to 30 days; compare "
        "with the budget limit. A jump usually means a new experiment or a retry storm.",
        "currencyUSD",
        Target(f"sum(increase({cost}[1d])) * 30", "projected"),
        runbook=sc.ALERT_COST_BUDGET_BURN,
    )
    b.stat(
        "Budget used",
        "Share of each budget spent this period; above 100 % jobs are refused by the budget guard.",
        "percentunit",
        Target(
            f"sum {by(sc.BUDGET_LABEL)} ({sel(sc.QUANTUM_BUDGET_SPENT_USD)}) / "
            f"sum {by(sc.BUDGET_LABEL)} ({sel(sc.QUANTUM_BUDGET_LIMIT_USD)})",
            "{{budget}}",
        ),
    )
    b.series(
        "Spend vs budget",
        "Spent so far (solid) against the limit (flat line) per budget.",
        "currencyUSD",
        Target(
            f"sum {by(sc.BUDGET_LABEL)} ({sel(sc.QUANTUM_BUDGET_SPENT_USD)})", "spent {{budget}}"
        ),
        Target(
            f"sum {by(sc.BUDGET_LABEL)} ({sel(sc.QUANTUM_BUDGET_LIMIT_USD)})", "limit {{budget}}"
        ),
    )
    b.series(
        "Spend rate by backend",
        "Estimated US dollars per hour by backend; hardware "
        "backends dominate, simulators cost nothing.",
        "currencyUSD",
        Target(
            f"{rate(cost, sc.PROVIDER_LABEL, sc.BACKEND_LABEL)} * 3600",
            "{{quantum_provider}} {{quantum_backend}}",
        ),
    )
    b.row("Reliability and quality")
    _success_rate(b, spec, jobs)
    b.series(
        "Average fidelity per backend",
        "Mean measured fidelity (RB: 1 - error per "
        "Clifford) per backend, over all benchmarked qubit sets.",
        "percentunit",
        Target(
            f"avg {by(sc.PROVIDER_LABEL, sc.BACKEND_LABEL)} ({sel(sc.QUANTUM_FIDELITY_RATIO, *job_filter())})",
            "{{quantum_provider}} {{quantum_backend}}",
        ),
        max_value=1,
        runbook=slo_alert(spec, "fidelity"),
    )
    b.stat(
        "Active experiments",
        "Training experiments that took at least one optimizer step in the last hour.",
        "short",
        Target(
            f"count(sum {by(sc.EXPERIMENT_LABEL)} (increase("
            f"{sel(sc.QUANTUM_TRAINING_STEPS_TOTAL, sc.EXPERIMENT_LABEL)}[1h])) > 0) or vector(0)",
            "experiments",
        ),
    )
    b.stat(
        "Jobs per hour",
        "Terminal jobs per hour under the current filters.",
        "short",
        Target(f"{rate(jobs)} * 3600", "jobs/h"),
    )
    b.series(
        "Error budget remaining",
        f"Share of each SLO's {slo_periods(spec)} error budget still "
        "unspent; at 0 the SLO is breached for the period.",
        "percentunit",
        # Rules record per backend: show each SLO's worst backend, one line per SLO.
        Target(f"min {by(sc.SLO_LABEL)} ({sel(sc.SLO_PERIOD_ERROR_BUDGET_REMAINING)})", "{{slo}}"),
        width=12,
        max_value=1,
        runbook=slo_alert(spec, "job_success"),
    )
    return b.build()
