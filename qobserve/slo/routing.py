"""Alertmanager configuration generated from a small routing spec (``alerts/routing.yaml``).

The spec says who gets paged and who gets a ticket; this module turns it into
``alerts/alertmanager.yml``: webhook receivers (the Slack bridge
``qobserve alert-bridge`` with bearer auth from a file, a pager placeholder, a
dead-man's switch), routes for the alert path's own alerts first
(:mod:`.meta_routing`: the heartbeat to the switch, the bridge's alerts around
the bridge), one route per severity and receiver (``continue`` fans a page out
to several receivers), inhibition (a page-tier burn alert inhibits the ticket tier of the
same SLO and backend; ``QuantumBackendDown`` inhibits that backend's job
alerts) and provider maintenance windows as muting ``time_intervals``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from qobserve import semconv
from qobserve._validation import read_yaml
from qobserve.slo._yaml import dump_generated
from qobserve.slo.config import Duration, SpecError, StrictModel
from qobserve.slo.meta_routing import MetaMonitoring, check_meta_receivers
from qobserve.slo.time_intervals import TimeInterval

__all__ = [
    "RoutingSpec",
    "Severities",
    "alertmanager_config",
    "load_routing",
    "render_alertmanager",
]

_NAME = r"^[a-z0-9][a-z0-9_-]*$"
_LABEL = r"^[a-zA-Z_][a-zA-Z0-9_]*$"


class Webhook(StrictModel):
    """A webhook receiver; the bearer token is read by Alertmanager from ``credentials_file``."""

    url: str = Field(pattern=r"^https?://")
    credentials_file: str | None = None
    send_resolved: bool = True
    max_alerts: int = Field(0, ge=0)


class Timings(StrictModel):
    group_wait: Duration = "30s"
    group_interval: Duration = "5m"
    repeat_interval: Duration = "4h"


class SeverityRoute(StrictModel):
    """Receivers for one severity, in notification order, and optional timing overrides."""

    receivers: list[str] = Field(min_length=1)
    group_wait: Duration | None = None
    group_interval: Duration | None = None
    repeat_interval: Duration | None = None


class Severities(StrictModel):
    """Receivers per severity of the contract: every alert is a page or a ticket, nothing else."""

    page: SeverityRoute
    ticket: SeverityRoute

    def items(self) -> Iterator[tuple[str, SeverityRoute]]:
        """``(severity, route)`` pairs in contract order."""
        return iter((name, getattr(self, name)) for name in semconv.SEVERITIES)


class Maintenance(StrictModel):
    """A provider maintenance window muting notifications for some backends."""

    name: str = Field(pattern=_NAME)
    backends: list[str] = Field(min_length=1)
    time_intervals: list[TimeInterval] = Field(
        min_length=1,
        description="Alertmanager time_interval entries (times, weekdays, "
        "days_of_month, months, years, location)",
    )


class RoutingSpec(StrictModel):
    """Routing: receivers, who gets which severity, inhibitions, maintenance windows."""

    api_version: Literal["qobserve/v1"] = Field(alias="apiVersion")
    kind: Literal["RoutingSpec"] = "RoutingSpec"
    group_by: list[str] = Field(["alertname", semconv.BACKEND_LABEL], min_length=1)
    timings: Timings = Timings()
    resolve_timeout: Duration = "5m"
    default_receiver: str = "alert-bridge"
    receivers: dict[str, Webhook]
    severities: Severities
    backend_down_inhibits: list[str] = [
        semconv.ALERT_JOB_SUCCESS_BURN,
        semconv.ALERT_JOB_LATENCY_BURN,
        semconv.ALERT_RETRY_RATE_HIGH,
        semconv.ALERT_PROBE_FAILING,
    ]
    maintenance: list[Maintenance] = []
    # Required in every file `load_routing` reads (alerts/routing.yaml); only a spec built
    # in code without the meta rules (the demo stack) may leave it out.
    meta_monitoring: MetaMonitoring | None = Field(
        None,
        description="required in alerts/routing.yaml: where the heartbeat and the alert "
        "bridge's own alerts go (around the bridge)",
    )

    @field_validator("group_by")
    @classmethod
    def _labels(cls, value: list[str]) -> list[str]:
        for label in value:
            if label != "..." and not re.match(_LABEL, label):
                raise ValueError(f"{label!r} is not a label name (or '...' for no grouping)")
        return value

    @model_validator(mode="after")
    def _references(self) -> RoutingSpec:
        names = [m.name for m in self.maintenance]
        if dup := sorted({n for n in names if names.count(n) > 1}):
            raise ValueError(f"maintenance: window names must be unique; {dup} repeat")
        if self.default_receiver not in self.receivers:
            raise ValueError(f"default_receiver: {self.default_receiver!r} is not in receivers")
        for sev, route in self.severities.items():
            for name in route.receivers:
                if name not in self.receivers:
                    raise ValueError(
                        f"severities.{sev}.receivers: unknown receiver {name!r}; "
                        f"declare it under receivers ({', '.join(self.receivers)})"
                    )
        for i, name in enumerate(self.backend_down_inhibits):
            if name not in semconv.ALERTS:
                raise ValueError(
                    f"backend_down_inhibits[{i}]: {name!r} is not an alert of the "
                    "contract (semconv.ALERTS)"
                )
        if self.meta_monitoring is not None:
            check_meta_receivers(
                self.meta_monitoring, {n: h.url for n, h in self.receivers.items()}
            )
        return self


def _receiver(name: str, hook: Webhook) -> dict:
    config: dict = {"url": hook.url, "send_resolved": hook.send_resolved}
    if hook.max_alerts:
        config["max_alerts"] = hook.max_alerts
    if hook.credentials_file:
        config["http_config"] = {
            "authorization": {"type": "Bearer", "credentials_file": hook.credentials_file}
        }
    return {"name": name, "webhook_configs": [config]}


def _timings(route: object) -> dict:
    return {
        k: v
        for k in ("group_wait", "group_interval", "repeat_interval")
        if (v := getattr(route, k))
    }


def _fan_out(receivers: list[str], matcher: str, timings: dict, mute: list[str]) -> list[dict]:
    routes = []
    for i, receiver in enumerate(receivers):
        entry = {"receiver": receiver, "matchers": [matcher], **timings}
        if mute:
            entry["mute_time_intervals"] = mute
        if i < len(receivers) - 1:
            entry["continue"] = True  # fan the alert out to the next receiver too
        routes.append(entry)
    return routes


def _severity_routes(spec: RoutingSpec, mute: list[str]) -> list[dict]:
    return [
        r
        for sev, route in spec.severities.items()
        for r in _fan_out(
            route.receivers, f'{semconv.SEVERITY_LABEL}="{sev}"', _timings(route), mute
        )
    ]


def _meta_routes(spec: RoutingSpec) -> list[dict]:
    # First, and never muted by a maintenance window: the heartbeat must ping without a
    # pause, and the bridge's alerts stop here so they never fall through to the bridge.
    meta = spec.meta_monitoring
    if meta is None:
        return []
    heartbeat = {
        "receiver": meta.heartbeat.receiver,
        "matchers": [f'alertname="{semconv.ALERT_HEARTBEAT}"'],
        **_timings(meta.heartbeat),
    }
    bridge = f'alertname=~"{"|".join(semconv.BRIDGE_ALERTS)}"'
    return [
        heartbeat,
        *_fan_out(meta.bridge_alerts.receivers, bridge, _timings(meta.bridge_alerts), []),
    ]


def _maintenance_routes(spec: RoutingSpec) -> list[dict]:
    # One route per backend, muted by every window naming it: Alertmanager stops at the
    # first matching sibling, so two windows for one backend must share one route.
    windows: dict[str, list[str]] = {}
    for m in spec.maintenance:
        for backend in m.backends:
            windows.setdefault(backend, []).append(m.name)
    return [
        {
            "receiver": spec.default_receiver,
            "matchers": [f'{semconv.BACKEND_LABEL}="{backend}"'],
            "mute_time_intervals": mute,
            "routes": _severity_routes(spec, mute),
        }
        for backend, mute in windows.items()
    ]


def _inhibit_rules(spec: RoutingSpec) -> list[dict]:
    tier = semconv.BURN_TIER_LABEL
    rules = [
        {
            "source_matchers": [f'{tier}="page"'],
            "target_matchers": [f'{tier}="ticket"'],
            "equal": [
                "alertname",
                semconv.SLO_LABEL,
                semconv.SLO_SERVICE_LABEL,
                semconv.PROVIDER_LABEL,
                semconv.BACKEND_LABEL,
            ],
        }
    ]
    if spec.backend_down_inhibits:
        rules.append(
            {
                "source_matchers": [f'alertname="{semconv.ALERT_BACKEND_DOWN}"'],
                "target_matchers": [f'alertname=~"{"|".join(spec.backend_down_inhibits)}"'],
                # Probe alerts carry no provider label, so match on the backend alone.
                "equal": [semconv.BACKEND_LABEL],
            }
        )
    return rules


def alertmanager_config(spec: RoutingSpec) -> dict:
    """The Alertmanager configuration for ``spec`` (pure; no I/O)."""
    config: dict = {
        "global": {"resolve_timeout": spec.resolve_timeout},
        "route": {
            "receiver": spec.default_receiver,
            "group_by": spec.group_by,
            **spec.timings.model_dump(),
            "routes": [
                *_meta_routes(spec),
                *_maintenance_routes(spec),
                *_severity_routes(spec, []),
            ],
        },
        "inhibit_rules": _inhibit_rules(spec),
        "receivers": [_receiver(n, h) for n, h in spec.receivers.items()],
    }
    if spec.maintenance:
        config["time_intervals"] = [
            {"name": m.name, "time_intervals": [t.to_alertmanager() for t in m.time_intervals]}
            for m in spec.maintenance
        ]
    return config


def render_alertmanager(spec: RoutingSpec, *, source: str = "alerts/routing.yaml") -> str:
    """The ``alertmanager.yml`` text for ``spec``, with the generated-file header."""
    return dump_generated(alertmanager_config(spec), source=source)


def load_routing(path: str | Path) -> RoutingSpec:
    """Read and validate a routing spec.

    Raises:
        SpecError: invalid YAML or spec; the message names the field.
    """
    data = read_yaml(
        path, SpecError, expect="a routing spec mapping (apiVersion, receivers, severities, ...)"
    )
    try:
        spec = RoutingSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError.from_validation(exc, str(path)) from None
    if spec.meta_monitoring is None:
        raise SpecError(
            f"{path}: meta_monitoring: required: name the bridge_receiver, the "
            "heartbeat receiver (a dead-man's switch) and the bridge_alerts "
            "receivers that do not go through the bridge"
        )
    return spec
