"""The routing spec rejects dangling references; maintenance windows mute only their backends."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from qobserve.slo.routing import RoutingSpec, alertmanager_config

SPEC = yaml.safe_load((Path(__file__).parents[2] / "alerts" / "routing.yaml").read_text())


def _with(**changes: object) -> dict:
    data = copy.deepcopy(SPEC)
    data.update(changes)
    return data


@pytest.mark.parametrize(("data", "hint"), [
    (_with(default_receiver="email"), "default_receiver: 'email' is not in receivers"),
    (_with(severities={"page": {"receivers": ["sms"]}}),
     "severities.page.receivers: unknown receiver 'sms'"),
    (_with(backend_down_inhibits=["QuantumEverything"]), "backend_down_inhibits[0]"),
    (_with(maintenance=[{"name": "m", "backends": ["SV1"],
                         "time_intervals": [{"hours": ["01:00"]}]}]),
     "time_intervals[0]: unknown keys ['hours']"),
    (_with(receivers={"alert-bridge": {"url": "127.0.0.1:9095/alerts"},
                      "pager": {"url": "http://x"}}), "url"),
])
def test_bad_routing_spec_names_field(data: dict, hint: str) -> None:
    """Each invalid routing spec fails naming the field to fix."""
    with pytest.raises(ValidationError, match=hint.replace("[", r"\[").replace("]", r"\]")):
        RoutingSpec.model_validate(data)


def test_maintenance_routes_share_one_route_per_backend() -> None:
    """Two windows naming one backend mute a single route, listed before the severity routes."""
    data = _with(maintenance=[
        {"name": "weekly", "backends": ["SV1"], "time_intervals": [{"weekdays": ["sunday"]}]},
        {"name": "monthly", "backends": ["SV1", "Aria-1"],
         "time_intervals": [{"days_of_month": ["1"]}]},
    ])
    routes = alertmanager_config(RoutingSpec.model_validate(data))["route"]["routes"]
    muted = {r["matchers"][0]: r["mute_time_intervals"] for r in routes if "routes" in r}
    assert muted == {'quantum_backend="SV1"': ["weekly", "monthly"],
                     'quantum_backend="Aria-1"': ["monthly"]}
    assert all("mute_time_intervals" not in r for r in routes if "routes" not in r)
