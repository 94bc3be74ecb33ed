"""``qobserve demo --stack``: the whole alerting path on 127.0.0.1, driven by a scripted incident.

Local Prometheus and Alertmanager processes (:mod:`qobserve.testing`) load rules and
routing generated from the demo specs (:mod:`.config`); the alert bridge posts
to a local Slack stand-in (:mod:`qobserve.testing.slack`); the exporter runs as a sidecar
(:mod:`.stack`). A training workload runs through the resilient executor
(:mod:`.workload`) while :mod:`.scenario` injects an outage and stale
calibration; :mod:`.view` draws it live and :mod:`.run` ties it together.
Traces go to an OTLP receiver or to OTLP JSON lines (:mod:`.traces`).
"""

from typing import TYPE_CHECKING

from qobserve._lazy import lazy_attributes

if TYPE_CHECKING:
    from qobserve.stack.run import RunOptions, leftover_processes, run_stack
    from qobserve.stack.scenario import Scenario, ScenarioResult, Timings
    from qobserve.stack.stack import Stack, StackOptions

# Lazy: `qobserve demo` without --stack imports none of it.
__getattr__ = lazy_attributes(
    __name__,
    {
        "RunOptions": "qobserve.stack.run",
        "leftover_processes": "qobserve.stack.run",
        "run_stack": "qobserve.stack.run",
        "Scenario": "qobserve.stack.scenario",
        "ScenarioResult": "qobserve.stack.scenario",
        "Timings": "qobserve.stack.scenario",
        "Stack": "qobserve.stack.stack",
        "StackOptions": "qobserve.stack.stack",
    },
)


__all__ = [
    "RunOptions",
    "Scenario",
    "ScenarioResult",
    "Stack",
    "StackOptions",
    "Timings",
    "leftover_processes",
    "run_stack",
]
