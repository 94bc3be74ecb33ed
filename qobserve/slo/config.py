"""One config object for the non-SLO alerts (kubernetes-mixin style) and shared spec helpers.

Every threshold, ``for`` duration and severity of the contract's non-SLO alerts
lives in :class:`AlertsConfig`, so a deployment tunes them in ``alerts/slo.yaml``
under ``alerts:`` and nowhere else. Links (runbook and Grafana base URLs) are
here too, because every alert gets its ``runbook_url`` and ``dashboard_url``
from them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationError, field_validator

from qobserve import conventions, semconv
from qobserve._validation import PromDuration, StrictModel, validation_message
from qobserve.promql import selected_metrics

__all__ = [
    "AlertOptions",
    "AlertsConfig",
    "Duration",
    "Links",
    "Severity",
    "SpecError",
    "StrictModel",
    "check_query_metrics",
]


class SpecError(ValueError):
    """An invalid spec; the message names each bad field and how to fix it."""

    @classmethod
    def from_validation(cls, exc: ValidationError, source: str) -> SpecError:
        return cls(f"{source}: {validation_message(exc)}")


#: Spec durations stay text (``for: 5m``) because rules and routing write them verbatim;
#: the grammar is the shared one of :mod:`qobserve._validation`.
Duration = PromDuration
#: The contract's severities: anything else would match no route and skip the pager.
Severity = Literal["page", "ticket"]
_HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")


def _known(name: str) -> bool:
    if name in semconv.METRICS or ":" in name:  # recording rules carry a colon
        return True
    for suffix in _HISTOGRAM_SUFFIXES:
        base = semconv.METRICS.get(name.removesuffix(suffix))
        if name.endswith(suffix) and base and base.kind == semconv.Instrument.HISTOGRAM:
            return True
    return False


def check_query_metrics(query: str) -> str:
    """Parse PromQL and check every metric it selects is declared in ``semconv.METRICS``.

    Raises:
        ValueError: the query does not parse or selects an undeclared metric.
    """
    try:
        names = selected_metrics(query)
    except ValueError as exc:
        raise ValueError(f"not valid PromQL ({exc}): {query!r}") from None
    for name in sorted(names):
        if not _known(name):
            raise ValueError(
                f"unknown metric {name!r}: declare it in qobserve/semconv.py "
                "(METRICS) or select a recording rule (a name with a colon)"
            )
    return query


class Links(StrictModel):
    """Where alert annotations point: runbooks in the repo, dashboards in Grafana."""

    runbook_base_url: str = conventions.DEFAULT_RUNBOOK_BASE_URL
    grafana_base_url: str = conventions.DEFAULT_GRAFANA_BASE_URL

    def runbook(self, alertname: str | None = None) -> str:
        """Link to an alert's runbook, or to the runbook index without ``alertname``."""
        return conventions.runbook_url(self.runbook_base_url, alertname)

    def dashboard(self, uid: str, **variables: str) -> str:
        query = "&".join(f"var-{k}={v}" for k, v in variables.items())
        return f"{self.grafana_base_url.rstrip('/')}/d/{uid}" + (f"?{query}" if query else "")


class AlertOptions(StrictModel):
    """Options every non-SLO alert has: on/off, severity, `for`, dashboard."""

    enabled: bool = True
    severity: Severity = "ticket"
    for_: Duration = Field("15m", alias="for")
    dashboard_uid: str = conventions.UID_ONCALL


class CalibrationStale(AlertOptions):
    # IBM backends recalibrate about daily; 26h leaves two hours of slack.
    max_age: Duration = "26h"


class CostBudget(AlertOptions):
    for_: Duration = Field("5m", alias="for")
    ticket_at: list[float] = [0.5, 0.75]
    page_at: float = Field(0.9, gt=0)
    dashboard_uid: str = conventions.UID_EXECUTIVE
    projection_window: Duration = "6h"
    projection_horizon: Duration = "7d"
    projection_for: Duration = "1h"

    @field_validator("ticket_at")
    @classmethod
    def _ascending(cls, value: list[float]) -> list[float]:
        if value != sorted(value) or any(not 0 < v <= 1 for v in value):
            raise ValueError("ticket_at must be ascending fractions of the budget in (0, 1]")
        return value


class BackendDown(AlertOptions):
    severity: Severity = "page"
    for_: Duration = Field("5m", alias="for")


class RetryRateHigh(AlertOptions):
    ratio: float = Field(0.05, gt=0, le=1)
    window: Duration = "15m"


class BarrenPlateau(AlertOptions):
    dashboard_uid: str = conventions.UID_DEBUG
    # Gradient variance this small over a whole step means the optimizer cannot move;
    # None disables the variance branch and keeps only the SDK's detector flag.
    gradient_variance_below: float | None = Field(1e-6, gt=0)


class Diverging(AlertOptions):
    for_: Duration = Field("5m", alias="for")
    dashboard_uid: str = conventions.UID_DEBUG


class ProbeFailing(AlertOptions):
    pass


class TelemetryAbsent(AlertOptions):
    severity: Severity = "page"  # without telemetry every SLO alert is blind
    metrics: list[str] = [semconv.QUANTUM_BACKEND_UP, semconv.QOBSERVE_PROBE_SUCCESS]

    @field_validator("metrics")
    @classmethod
    def _declared(cls, value: list[str]) -> list[str]:
        for name in value:
            if name not in semconv.METRICS:
                raise ValueError(f"unknown metric {name!r}: declare it in qobserve/semconv.py")
        return value


class AlertingHeartbeat(AlertOptions):
    """Always firing, so a dead-man's switch outside the stack notices when it stops."""

    # Only the heartbeat may fire at once; every other alert keeps a required duration.
    for_: Duration | None = Field(None, alias="for")  # type: ignore[assignment]


class AlertBridgeDeliveryFailing(AlertOptions):
    """Pages when Slack messages are stuck, every attempt fails, or no bridge replica is up."""

    severity: Severity = "page"
    for_: Duration = Field("2m", alias="for")
    # The oldest undelivered message older than this: Slack's 1 message/s per channel drains
    # a burst of a hundred alerts in under two minutes, so three means the bridge is stuck.
    max_pending_age: Duration = "3m"
    failure_window: Duration = "5m"
    job: str = Field(
        "qobserve-alert-bridge",
        min_length=1,
        description="Prometheus job label of the bridge's scrape target",
    )


class AlertBridgeDeadLetters(AlertOptions):
    """Tickets when Slack refused messages for good (they wait in the dead-letter table)."""

    for_: Duration = Field("5m", alias="for")


class GateErrorDrift(AlertOptions):
    """Tickets when a gate's measured (RB) error exceeds the provider's reported one."""

    # RB's interleaved gate-error estimate carries a systematic bound of tens of per cent
    # (Magesan et al. 2012); a factor of 2 is drift, not estimator noise.
    factor: float = Field(2.0, gt=1)
    window: Literal["1h", "1d"] = "1h"
    # Long enough to span a provider recalibration (about daily) catching up.
    for_: Duration = Field("3h", alias="for")
    dashboard_uid: str = conventions.UID_DEBUG


class AlertsConfig(StrictModel):
    """Thresholds of the contract's non-SLO alerts; defaults are the shipped values."""

    calibration_stale: CalibrationStale = CalibrationStale()
    cost_budget: CostBudget = CostBudget()
    backend_down: BackendDown = BackendDown()
    retry_rate_high: RetryRateHigh = RetryRateHigh()
    training_barren_plateau: BarrenPlateau = BarrenPlateau()
    training_diverging: Diverging = Diverging()
    probe_failing: ProbeFailing = ProbeFailing()
    telemetry_absent: TelemetryAbsent = TelemetryAbsent()
    alerting_heartbeat: AlertingHeartbeat = AlertingHeartbeat()
    alert_bridge_delivery_failing: AlertBridgeDeliveryFailing = AlertBridgeDeliveryFailing()
    alert_bridge_dead_letters: AlertBridgeDeadLetters = AlertBridgeDeadLetters()
    gate_error_drift: GateErrorDrift = GateErrorDrift()
