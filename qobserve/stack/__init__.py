"""``qobserve demo --stack``: the whole alerting path on 127.0.0.1, driven by a scripted incident.

Local Prometheus and Alertmanager processes (:mod:`qobserve.testing`) load rules and
routing generated from the demo specs (:mod:`.config`); the alert bridge posts
to a local Slack stand-in (:mod:`qobserve.testing.slack`); the exporter runs as a sidecar
(:mod:`.stack`). A training workload runs through the resilient executor
(:mod:`.workload`) while :mod:`.scenario` injects an outage and stale
calibration; :mod:`.view` draws it live and :mod:`.run` ties it together.
Traces go to an OTLP receiver or to OTLP JSON lines (:mod:`.traces`).
"""

from importlib import import_module

_HOME = {
    "RunOptions": "run",
    "leftover_processes": "run",
    "run_stack": "run",
    "Scenario": "scenario",
    "ScenarioResult": "scenario",
    "Timings": "scenario",
    "Stack": "stack",
    "StackOptions": "stack",
}


def __getattr__(name: str):
    # Lazy: `qobserve demo` without --stack imports none of it.
    if name in _HOME:
        return getattr(import_module(f"qobserve.stack.{_HOME[name]}"), name)
    raise AttributeError(f"module 'qobserve.stack' has no attribute {name!r}")


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
