"""Demo stage: the resilient executor rides out an injected outage.

The built-in game day sends jobs to a flaky Qiskit primary that goes down for
a stretch, falls back to Braket (the circuit crosses SDKs as OpenQASM) and
skips a Cirq target with stale calibration, all within a budget. The ground
truth from the fault injector is checked: nothing lost, nothing duplicated.
"""

from __future__ import annotations


def run(ctx) -> None:
    from qobserve.gameday import demo_scenario, run_gameday

    scenario = demo_scenario(jobs=max(12, ctx.options.jobs), seed=ctx.options.seed)
    # The executor labels jobs with the scenario's backend names (primary, fallback…):
    # the summary marks those rows and says which simulator each one ran on.
    ctx.gameday_backends.update(
        {f"{b.backend.split(':', 1)[0]}:{b.name}": b.backend for b in scenario.backends}
    )
    report = run_gameday(scenario)
    verdict = "ok" if report.ok else "INVARIANT BROKEN"
    ctx.notes.append(
        f"executor under faults: {report.succeeded}/{report.jobs} jobs succeeded, "
        f"{report.failed} failed with a reason, {report.lost} lost, "
        f"{report.duplicate_executions} duplicated, {report.retries} retries, "
        f"{report.fallbacks} fallbacks, ${report.spent_usd:.2f} of ${report.budget_usd:.2f} spent ({verdict})"
    )
