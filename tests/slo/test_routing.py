"""The routing spec rejects typos, dangling references and malformed maintenance windows
naming the field; maintenance windows mute only their backends."""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from qobserve._validation import validation_message
from qobserve.slo.config import SpecError
from qobserve.slo.routing import RoutingSpec, alertmanager_config, load_routing, render_alertmanager

SPEC = yaml.safe_load((Path(__file__).parents[2] / "alerts" / "routing.yaml").read_text())


def _with(**changes: object) -> dict:
    data = copy.deepcopy(SPEC)
    data.update(changes)
    return data


def _edit(path: str, value: object) -> dict:
    """The shipped spec with the dotted ``path`` (``a.b.0.c``; ``-key`` renames) set to ``value``."""
    data = copy.deepcopy(SPEC)
    *parents, last = path.split(".")
    node = data
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if last.startswith("-"):  # rename a key: the typo case
        old, new = last[1:].split(">")
        node[new] = node.pop(old)
    else:
        node[int(last) if last.isdigit() else last] = value
    return data


_WINDOW = "maintenance.0.time_intervals.0"
UNKNOWN = "unknown key: remove it or fix its spelling"


@pytest.mark.parametrize(
    ("data", "hint"),
    [
        (_with(default_receiver="email"), "default_receiver: 'email' is not in receivers"),
        (
            _with(severities={"page": {"receivers": ["sms"]}, "ticket": {"receivers": ["pager"]}}),
            "severities.page.receivers: unknown receiver 'sms'",
        ),
        (_with(backend_down_inhibits=["QuantumEverything"]), "backend_down_inhibits[0]"),
        (
            _with(
                receivers={
                    "alert-bridge": {"url": "127.0.0.1:9095/alerts"},
                    "pager": {"url": "http://x"},
                }
            ),
            "url",
        ),
        # Typos in keys, at every level: never silently dropped.
        (_edit("severities.-page>paeg", None), f"severities.paeg: {UNKNOWN}"),
        (_edit("severities.-page>paeg", None), "severities.page: Field required"),
        (_edit("severities.-ticket>warning", None), f"severities.warning: {UNKNOWN}"),
        (_edit("-receivers>recievers", None), f"recievers: {UNKNOWN}"),
        (_edit("receivers.pager.-url>ulr", None), f"receivers.pager.ulr: {UNKNOWN}"),
        (_edit("timings.-group_wait>group_wiat", None), f"timings.group_wiat: {UNKNOWN}"),
        (
            _edit("severities.page.-repeat_interval>repeat_intervl", None),
            f"severities.page.repeat_intervl: {UNKNOWN}",
        ),
        (_edit("maintenance.0.-backends>backend", None), f"maintenance[0].backend: {UNKNOWN}"),
        (
            _edit(f"{_WINDOW}.-weekdays>weekday", None),
            f"maintenance[0].time_intervals[0].weekday: {UNKNOWN}",
        ),
        (
            _edit(f"{_WINDOW}.times.0.-end_time>end", None),
            f"maintenance[0].time_intervals[0].times[0].end: {UNKNOWN}",
        ),
        # Values.
        (
            _edit("timings.group_wait", "30 seconds"),
            "timings.group_wait: '30 seconds' is not a duration",
        ),
        (_edit("apiVersion", "qobserve/v2"), "apiVersion: Input should be 'qobserve/v1'"),
        (_edit("group_by.1", "quantum-backend"), "group_by: 'quantum-backend' is not a label name"),
        (
            _with(maintenance=[SPEC["maintenance"][0], SPEC["maintenance"][0]]),
            "maintenance: window names must be unique",
        ),
        # The alert path's own alerts: explicit, and never through the bridge.
        (
            _edit("meta_monitoring.bridge_alerts.receivers", ["pager", "alert-bridge"]),
            "meta_monitoring.bridge_alerts.receivers: 'alert-bridge' posts through the alert bridge",
        ),
        (
            _edit("receivers.slack-again", {"url": SPEC["receivers"]["alert-bridge"]["url"]})
            | {
                "meta_monitoring": {
                    **SPEC["meta_monitoring"],
                    "bridge_alerts": {"receivers": ["slack-again"]},
                }
            },
            "meta_monitoring.bridge_alerts.receivers: 'slack-again' posts through the alert bridge",
        ),
        (
            _edit("meta_monitoring.heartbeat.receiver", "alert-bridge"),
            "meta_monitoring.heartbeat.receiver: 'alert-bridge' posts through the alert bridge",
        ),
        (
            _edit("meta_monitoring.heartbeat.receiver", "healthchecks"),
            "meta_monitoring.heartbeat.receiver: unknown receiver 'healthchecks'",
        ),
        (
            _edit("meta_monitoring.bridge_receiver", "slack"),
            "meta_monitoring.bridge_receiver: unknown receiver 'slack'",
        ),
        (
            _edit("meta_monitoring.bridge_alerts.receivers", []),
            "meta_monitoring.bridge_alerts.receivers: List should have at least 1 item",
        ),
        # Alertmanager's time_interval grammar.
        (
            _edit(f"{_WINDOW}.times.0.start_time", "25:99"),
            "times[0].start_time: expected a time HH:MM",
        ),
        (
            _edit(f"{_WINDOW}.times.0.start_time", "2:00"),
            "times[0].start_time: expected a time HH:MM",
        ),
        (_edit(f"{_WINDOW}.times.0.start_time", 120), "got 120"),  # unquoted 02:00 in YAML 1.1
        (
            _edit(f"{_WINDOW}.times.0.start_time", "07:00"),
            "start_time 07:00 must be before end_time",
        ),
        (_edit(f"{_WINDOW}.weekdays", ["funday"]), "weekdays: 'funday' is not a weekday"),
        (_edit(f"{_WINDOW}.weekdays", ["saturday:sunday"]), "range 'saturday:sunday' starts after"),
        (_edit(f"{_WINDOW}.weekdays", ["monday:wednesday:friday"]), "is not a weekday or a range"),
        (_edit(f"{_WINDOW}.days_of_month", ["0"]), "days_of_month: '0' is not a day of the month"),
        (_edit(f"{_WINDOW}.days_of_month", [32]), "'32' is not a day of the month"),
        (_edit(f"{_WINDOW}.days_of_month", ["-10:25"]), "range '-10:25' starts after it ends"),
        (_edit(f"{_WINDOW}.months", ["smarch"]), "months: 'smarch' is not a month"),
        (_edit(f"{_WINDOW}.months", [13]), "'13' is not a month"),
        (_edit(f"{_WINDOW}.months", ["december:january"]), "range 'december:january' starts after"),
        (_edit(f"{_WINDOW}.years", ["2027:2026"]), "range '2027:2026' starts after it ends"),
        (_edit(f"{_WINDOW}.years", ["0"]), "years: '0' is not a year"),
        (_edit(f"{_WINDOW}.location", "Mars/Olympus"), "location: 'Mars/Olympus' is not an IANA"),
        (_edit(f"{_WINDOW}.location", "utc"), "location: 'utc' is not an IANA time zone"),
    ],
)
def test_bad_routing_spec_names_field(data: dict, hint: str) -> None:
    """Each invalid routing spec fails with one line naming the field to fix."""
    with pytest.raises(ValidationError) as exc:
        RoutingSpec.model_validate(data)
    assert hint in validation_message(exc.value)


def test_valid_windows_pass_amtool(tmp_path: Path) -> None:
    """Every form of the time_interval grammar the spec accepts, Alertmanager accepts too."""
    window = {
        "times": [{"start_time": "00:00", "end_time": "24:00"}],
        "weekdays": ["Monday:FRIDAY", "sunday"],
        "days_of_month": [1, "3:5", "-3:-1", "25:-1"],
        "months": ["january:march", 12, "7"],
        "years": [2026, "2027:2028"],
        "location": "Europe/Berlin",
    }
    data = _with(
        maintenance=[
            {
                "name": "every-form",
                "backends": ["SV1"],
                "time_intervals": [window, {"location": "Local"}, {"weekdays": []}],
            }
        ]
    )
    config = tmp_path / "alertmanager.yml"
    config.write_text(render_alertmanager(RoutingSpec.model_validate(data)))
    assert yaml.safe_load(config.read_text())["time_intervals"][0]["time_intervals"][0] == window
    result = subprocess.run(["amtool", "check-config", str(config)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_maintenance_routes_share_one_route_per_backend() -> None:
    """Two windows naming one backend mute a single route, listed before the severity routes."""
    data = _with(
        maintenance=[
            {"name": "weekly", "backends": ["SV1"], "time_intervals": [{"weekdays": ["sunday"]}]},
            {
                "name": "monthly",
                "backends": ["SV1", "Aria-1"],
                "time_intervals": [{"days_of_month": ["1"]}],
            },
        ]
    )
    routes = alertmanager_config(RoutingSpec.model_validate(data))["route"]["routes"]
    muted = {r["matchers"][0]: r["mute_time_intervals"] for r in routes if "routes" in r}
    assert muted == {
        'quantum_backend="SV1"': ["weekly", "monthly"],
        'quantum_backend="Aria-1"': ["monthly"],
    }
    assert all("mute_time_intervals" not in r for r in routes if "routes" not in r)


def test_routing_file_must_state_meta_monitoring(tmp_path: Path) -> None:
    """A routing spec file without meta_monitoring is refused: the bridge's alerts would
    otherwise fall through to the severity routes, i.e. through the bridge."""
    path = tmp_path / "routing.yaml"
    path.write_text(yaml.safe_dump({k: v for k, v in SPEC.items() if k != "meta_monitoring"}))
    with pytest.raises(SpecError, match=r"routing.yaml: meta_monitoring: required"):
        load_routing(path)
    path.write_text(yaml.safe_dump(SPEC))
    assert load_routing(path).meta_monitoring.bridge_receiver == "alert-bridge"
