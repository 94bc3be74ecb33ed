"""QuantumGateErrorDrift and its measured ÷ reported recording rules follow the alerts config."""

from __future__ import annotations

import pytest

from qobserve import semconv
from qobserve.slo.alerts import gate_error_drift_rules
from qobserve.slo.config import AlertsConfig, Links

LINKS = Links(runbook_base_url="https://example.org/qobserve", grafana_base_url="http://grafana")


def test_defaults_record_both_windows_and_alert_on_the_hour():
    """Both windows are recorded; the default alert is ratio_avg1h > 2 for 3h, a ticket."""
    rules = gate_error_drift_rules(AlertsConfig(), LINKS)
    assert [r["record"] for r in rules if "record" in r] == [
        semconv.gate_error_drift(w) for w in semconv.GATE_ERROR_DRIFT_WINDOWS
    ]
    [alert] = [r for r in rules if "alert" in r]
    assert alert["expr"] == "slo:gate_error_drift:ratio_avg1h > 2"
    assert alert["for"] == "3h" and alert["labels"] == {"severity": "ticket"}
    assert alert["annotations"]["runbook_url"].endswith("/runbooks/QuantumGateErrorDrift.md")


def test_factor_window_and_duration_are_configurable():
    """alerts.gate_error_drift: factor 3 over 1d for 12h changes the alert expression."""
    config = AlertsConfig.model_validate(
        {"gate_error_drift": {"factor": 3, "window": "1d", "for": "12h"}}
    )
    [alert] = [r for r in gate_error_drift_rules(config, LINKS) if "alert" in r]
    assert (alert["expr"], alert["for"]) == ("slo:gate_error_drift:ratio_avg1d > 3", "12h")


@pytest.mark.parametrize("options", [{"factor": 1}, {"window": "6h"}])
def test_bad_options_are_refused(options):
    """A factor not above 1 or a window without a recording rule is a config error."""
    with pytest.raises(ValueError):
        AlertsConfig.model_validate({"gate_error_drift": options})
