"""SLOs → Prometheus recording rules and multi-window multi-burn-rate alerts; Alertmanager routing.

Spec (:mod:`.spec`, ``alerts/slo.yaml``) → pure generators (:mod:`.rules` for SLOs,
:mod:`.alerts` for the non-SLO alerts, :mod:`.routing` for ``alertmanager.yml``)
→ files written by :mod:`qobserve.generate`. :mod:`.silence` talks to a running
Alertmanager.
"""

from qobserve.slo.alerts import quantum_alert_rules, render_quantum_rules
from qobserve.slo.config import AlertsConfig, Links, SpecError
from qobserve.slo.openslo import from_openslo
from qobserve.slo.routing import RoutingSpec, alertmanager_config, load_routing, render_alertmanager
from qobserve.slo.rules import burn_windows, render_slo_rules, slo_rule_groups
from qobserve.slo.spec import SLO, SLOSpec, load_spec, parse_spec

__all__ = [
    "SLO",
    "AlertsConfig",
    "Links",
    "RoutingSpec",
    "SLOSpec",
    "SpecError",
    "alertmanager_config",
    "burn_windows",
    "from_openslo",
    "load_routing",
    "load_spec",
    "parse_spec",
    "quantum_alert_rules",
    "render_alertmanager",
    "render_quantum_rules",
    "render_slo_rules",
    "slo_rule_groups",
]
