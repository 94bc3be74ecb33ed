"""The SLO spec (``alerts/slo.yaml``, ``apiVersion: qobserve/v1``): a validated model.

Modelled on Sloth's ``prometheus/v1`` spec and OpenSLO: a service, SLOs with
an objective in percent, a period and an SLI, plus alerting options per SLO.
SLIs come as quantum-ready templates or as raw event queries::

    apiVersion: qobserve/v1
    service: qobserve
    links: {runbook_base_url: https://git.example.org/ops/qobserve/-/blob/main}   # a fork
    windows: {time_compression: 1}        # e.g. 60 turns 30d into 12h for a demo
    alerts: {calibration_stale: {max_age: 26h}}   # thresholds of non-SLO alerts
    slos:
      - name: job-success
        objective: 95                     # percent
        period: 30d
        sli: {kind: job_success}          # or job_latency / fidelity /
                                          # calibration_freshness / probe_success / events
        alerting:
          name: QuantumJobSuccessBudgetBurn
          min_events: 10                  # no page on one failed job in a quiet hour
          ticket: {disable: false, severity: ticket}

Non-SLO alert settings live in :mod:`qobserve.slo.config`; SLI kinds in
:mod:`qobserve.slo.sli`.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, model_validator

from qobserve import conventions
from qobserve._validation import duration_ms, read_yaml
from qobserve.slo.config import AlertsConfig, Duration, Links, Severity, SpecError, StrictModel
from qobserve.slo.sli import SLI
from qobserve.slo.windows import (
    DEFAULT_TIERS,
    BurnWindow,
    Tier,
    format_duration,
    format_number,
)

__all__ = [
    "SLO",
    "Alerting",
    "SLOSpec",
    "SpecError",
    "TierAlerting",
    "TierSpec",
    "WindowsSpec",
    "load_spec",
    "parse_spec",
]

_ALERT_NAME = r"^[A-Z][A-Za-z0-9]*$"


class TierSpec(StrictModel):
    """A burn-rate window pair as a share of the budget (Sloth's ``windows`` form)."""

    tier: Literal["page", "ticket"]
    budget_percent: float = Field(gt=0, le=100)
    long: Duration
    short: Duration

    def to_tier(self) -> Tier:
        return Tier(
            self.tier,
            Fraction(str(self.budget_percent)),
            duration_ms(self.long),
            duration_ms(self.short),
        )


class WindowsSpec(StrictModel):
    """Alert windows; ``time_compression: N`` divides every window and period by N (demos)."""

    time_compression: int = Field(1, ge=1)
    tiers: list[TierSpec] | None = None

    def resolved_tiers(self) -> tuple[Tier, ...]:
        return tuple(t.to_tier() for t in self.tiers) if self.tiers else DEFAULT_TIERS


class TierAlerting(StrictModel):
    """Options for one alert tier (page or ticket) of an SLO."""

    disable: bool = False
    severity: Severity | None = None
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}


class Alerting(StrictModel):
    """Per-SLO alerting: the alert name, extra labels/annotations, tiers, minimum traffic."""

    name: str = Field(pattern=_ALERT_NAME)
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    min_events: int = Field(
        0, ge=0, le=1_000_000_000, description="events needed in the long window to alert"
    )
    dashboard_uid: str = conventions.UID_SLO
    page: TierAlerting = TierAlerting()
    ticket: TierAlerting = TierAlerting()


class SLO(StrictModel):
    """One service level objective."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    description: str = ""
    objective: float
    period: Duration = "30d"
    sli: SLI
    labels: dict[str, str] = {}
    alerting: Alerting

    @model_validator(mode="after")
    def _objective_in_range(self) -> SLO:
        if not 0 < self.objective < 100:
            raise ValueError(f"objective must be in (0, 100) percent, got {self.objective}")
        if self.alerting.min_events and not self.sli.has_events:
            raise ValueError(
                f"alerting.min_events: a {self.sli.kind} SLI has no events to "
                "count; remove min_events"
            )
        return self

    @property
    def objective_ratio(self) -> Fraction:
        """The objective as an exact ratio (99.9 → 999/1000)."""
        return Fraction(str(self.objective)) / 100


class SLOSpec(StrictModel):
    """The whole spec: service, links, windows, non-SLO alert thresholds and SLOs."""

    api_version: Literal["qobserve/v1"] = Field(alias="apiVersion")
    kind: Literal["SLOSpec"] = "SLOSpec"
    service: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    labels: dict[str, str] = {}
    links: Links = Links()
    windows: WindowsSpec = WindowsSpec()
    alerts: AlertsConfig = AlertsConfig()
    slos: list[SLO] = []

    @model_validator(mode="after")
    def _cross_checks(self) -> SLOSpec:
        seen: dict[str, int] = {}
        compression = self.windows.time_compression
        tiers = self.windows.resolved_tiers()
        longest = max(t.long_ms for t in tiers)
        for i, slo in enumerate(self.slos):
            if slo.name in seen:
                raise ValueError(
                    f"slos[{i}].name: duplicate SLO name {slo.name!r} "
                    f"(also slos[{seen[slo.name]}]); SLO names must be unique"
                )
            seen[slo.name] = i
            period = duration_ms(slo.period)
            if period < longest:
                raise ValueError(
                    f"slos[{i}].period: {slo.period} is shorter than the longest alert window "
                    f"{format_duration(longest)}; use a longer period or shorter windows.tiers"
                )
            windows = {w for t in tiers for w in (t.long_ms, t.short_ms)} | {period}
            for ms in sorted(windows):
                if ms % compression:
                    raise ValueError(
                        f"windows.time_compression: {compression} does not divide slos[{i}]'s "
                        f"window {format_duration(ms)} into whole milliseconds; pick a divisor"
                    )
            _check_reachable(i, slo, tiers, period)
        return self

    def slo_of_kind(self, kind: str) -> SLO | None:
        """The first SLO whose SLI is of ``kind`` (``job_success`` …), or None.

        Dashboards use it to link a panel to the SLO (name, alert, period) the spec
        actually defines, instead of assuming the shipped ``job-success``.
        """
        return next((slo for slo in self.slos if slo.sli.kind == kind), None)

    def period_ms(self, slo: SLO) -> int:
        """The SLO's period after time compression, in milliseconds."""
        return duration_ms(slo.period) // self.windows.time_compression


def _check_reachable(i: int, slo: SLO, tiers: tuple[Tier, ...], period_ms: int) -> None:
    """A tier whose error-ratio threshold is ≥ 1 can never fire: reject it rather than ship it."""
    for tier in tiers:
        if getattr(slo.alerting, tier.severity_tier).disable:
            continue
        window = BurnWindow.resolve(
            tier, period_ms=period_ms, objective_percent=slo.objective_ratio * 100
        )
        if window.threshold >= 1:
            raise ValueError(
                f"slos[{i}].objective: {slo.objective}% leaves a budget so large that the "
                f"{tier.severity_tier} tier ({format_number(window.factor)}x over {window.long}) "
                f"needs an error ratio of {format_number(window.threshold)}, which can never "
                f"happen; raise the objective, set alerting.{tier.severity_tier}.disable, "
                "or use windows.tiers with a smaller budget_percent"
            )


def parse_spec(data: object, *, source: str = "SLO spec") -> SLOSpec:
    """Validate a parsed YAML document.

    Raises:
        SpecError: one line per problem, each starting with the field path.
    """
    try:
        return SLOSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError.from_validation(exc, source) from None


def load_spec(path: str | Path) -> SLOSpec:
    """Read and validate an SLO spec file.

    Raises:
        SpecError: the file is not valid YAML or not a valid spec (names the field).
    """
    return parse_spec(read_yaml(path, SpecError, expect="an SLO spec mapping"), source=str(path))
