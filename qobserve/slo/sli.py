"""SLI kinds: quantum-ready templates and a raw events form, each rendering PromQL.

Counter SLIs (job success, job latency, events) are ratios of event rates.
Gauge SLIs (fidelity floor, calibration freshness, probe success) have no
events, so a recording rule turns the gauge into a 0/1 "bad now" sample
(``slo:sli_error:bool``) and the error ratio over a window is the share of bad
samples, ``avg_over_time`` of it: the fraction of time the SLI was violated.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from qobserve import semconv
from qobserve._validation import duration_ms
from qobserve.semconv import JobStatus
from qobserve.slo.config import Duration, StrictModel, check_query_metrics
from qobserve.slo.windows import format_float, format_number

__all__ = [
    "SLI",
    "WINDOW_PLACEHOLDER",
    "CalibrationFreshnessSLI",
    "EventsSLI",
    "FidelitySLI",
    "JobLatencySLI",
    "JobSuccessSLI",
    "ProbeSuccessSLI",
]

#: Placeholder for the window in raw event queries (Sloth's spelling).
WINDOW_PLACEHOLDER = "{{.window}}"
ERROR_SAMPLE_RULE = semconv.SLO_ERROR_SAMPLE


def _matchers(pairs: list[tuple[str, str, str]]) -> str:
    return ",".join(f'{k}{op}"{v}"' for k, op, v in pairs)


def _by(labels: list[str], op: str = "sum") -> str:
    return f"{op} by ({', '.join(labels)})" if labels else op


class _Template(StrictModel):
    """Shared fields: extra label matchers on the source metric and the grouping labels."""

    selector: dict[str, str] = {}
    group_by: list[str] = [semconv.PROVIDER_LABEL, semconv.BACKEND_LABEL]
    # The Prometheus metric whose labels selector/group_by may use.
    _metric: ClassVar[str] = ""
    has_events: ClassVar[bool] = True

    @model_validator(mode="after")
    def _labels_exist(self) -> _Template:
        labels = semconv.metric(self._metric).labels
        for field, names in (("selector", list(self.selector)), ("group_by", self.group_by)):
            for name in names:
                if name not in labels:
                    raise ValueError(
                        f"{field}: label {name!r} is not a label of "
                        f"{self._metric} (labels: {', '.join(labels)})"
                    )
        return self

    def _sel(self, *extra: tuple[str, str, str]) -> str:
        """``{matchers}`` for the source metric, or "" when there are none."""
        text = _matchers([*extra, *((k, "=", v) for k, v in self.selector.items())])
        return f"{{{text}}}" if text else ""

    def sample_expr(self) -> str | None:
        """PromQL of the 0/1 bad-sample rule for gauge SLIs; None for counter SLIs."""
        return None


class JobSuccessSLI(_Template):
    """Share of terminal jobs that did not fail (cancelled jobs count for neither side)."""

    kind: Literal["job_success"]
    _metric: ClassVar[str] = semconv.QUANTUM_JOBS_TOTAL

    def _rate(self, fn: str, window: str, *match: tuple[str, str, str]) -> str:
        return f"{_by(self.group_by)} ({fn}({self._metric}{self._sel(*match)}[{window}]))"

    def error_ratio(self, window: str, slo_sel: str) -> str:
        bad = self._rate("rate", window, (semconv.JOB_STATUS_LABEL, "=", JobStatus.FAILED))
        total = self._rate("rate", window, (semconv.JOB_STATUS_LABEL, "!=", JobStatus.CANCELLED))
        # "or 0 * total" so a backend that never failed shows 0, not an absent series.
        return f"(\n  {bad}\n  or\n  0 * {total}\n)\n/\n{total}"

    def events(self, window: str) -> str:
        return self._rate("increase", window, (semconv.JOB_STATUS_LABEL, "!=", JobStatus.CANCELLED))


class JobLatencySLI(_Template):
    """Share of jobs slower than ``threshold`` seconds (submit → terminal)."""

    kind: Literal["job_latency"]
    threshold: float = Field(gt=0, description="seconds; must be a histogram bucket bound")
    job_status: list[JobStatus] = [JobStatus.COMPLETED]
    _metric: ClassVar[str] = semconv.QUANTUM_JOB_DURATION_SECONDS

    @field_validator("threshold")
    @classmethod
    def _is_bucket(cls, value: float) -> float:
        buckets = semconv.metric(semconv.QUANTUM_JOB_DURATION_SECONDS).buckets or ()
        if value not in buckets:
            raise ValueError(
                f"threshold {value:g}s is not a bucket bound of "
                f"quantum_job_duration_seconds; pick one of "
                f"{', '.join(f'{b:g}' for b in buckets)}"
            )
        return value

    def _le(self) -> str:
        # The OTel Prometheus exporter renders le with f"{bound}" of the configured
        # bound, so render the same Python value from semconv the same way.
        buckets = semconv.metric(self._metric).buckets or ()
        return f"{next(b for b in buckets if b == self.threshold)}"

    def _status(self) -> tuple[str, str, str]:
        return (semconv.JOB_STATUS_LABEL, "=~", "|".join(s.value for s in self.job_status))

    def _series(self, fn: str, suffix: str, window: str, *match: tuple[str, str, str]) -> str:
        sel = self._sel(self._status(), *match)
        return f"{_by(self.group_by)} ({fn}({self._metric}_{suffix}{sel}[{window}]))"

    def error_ratio(self, window: str, slo_sel: str) -> str:
        total = self._series("rate", "count", window)
        fast = self._series("rate", "bucket", window, ("le", "=", self._le()))
        return f"({total} - {fast})\n/\n{total}"

    def events(self, window: str) -> str:
        return self._series("increase", "count", window)


class _GaugeSLI(_Template):
    has_events: ClassVar[bool] = False

    def error_ratio(self, window: str, slo_sel: str) -> str:
        samples = f"{ERROR_SAMPLE_RULE}{{{slo_sel}}}[{window}]"
        return f"{_by(self.group_by, 'avg')} (avg_over_time({samples}))"

    def events(self, window: str) -> None:
        return None


class FidelitySLI(_GaugeSLI):
    """Share of time the measured fidelity (default: RB) stays at or above ``floor``."""

    kind: Literal["fidelity"]
    floor: float = Field(gt=0, lt=1)
    method: str | None = "rb"
    _metric: ClassVar[str] = semconv.QUANTUM_FIDELITY_RATIO

    def sample_expr(self) -> str:
        extra = [(semconv.METHOD_LABEL, "=", self.method)] if self.method else []
        return f"{self._metric}{self._sel(*extra)} < bool {format_float(self.floor)}"


class CalibrationFreshnessSLI(_GaugeSLI):
    """Share of time the backend's last calibration is younger than ``max_age``."""

    kind: Literal["calibration_freshness"]
    max_age: Duration = "26h"
    _metric: ClassVar[str] = semconv.QUANTUM_BACKEND_CALIBRATION_TIMESTAMP_SECONDS

    def sample_expr(self) -> str:
        seconds = duration_ms(self.max_age) // 1000
        return f"time() - {self._metric}{self._sel()} > bool {seconds}"


class ProbeSuccessSLI(_GaugeSLI):
    """Share of time the synthetic probe's last run succeeded."""

    kind: Literal["probe_success"]
    group_by: list[str] = [semconv.PROBE_LABEL, semconv.BACKEND_LABEL]
    _metric: ClassVar[str] = semconv.QOBSERVE_PROBE_SUCCESS

    def sample_expr(self) -> str:
        return f"{self._metric}{self._sel()} == bool 0"


class EventsSLI(StrictModel):
    """Raw events for anything else: error and total rate queries using ``{{.window}}``."""

    kind: Literal["events"]
    error_query: str
    total_query: str
    group_by: list[str] = []
    has_events: ClassVar[bool] = True

    @field_validator("error_query", "total_query")
    @classmethod
    def _valid(cls, value: str) -> str:
        if WINDOW_PLACEHOLDER not in value:
            raise ValueError(
                f"must contain {WINDOW_PLACEHOLDER} where the range goes, "
                f"e.g. rate(x_total[{WINDOW_PLACEHOLDER}])"
            )
        check_query_metrics(value.replace(WINDOW_PLACEHOLDER, "5m"))
        return value

    def error_ratio(self, window: str, slo_sel: str) -> str:
        err = self.error_query.strip().replace(WINDOW_PLACEHOLDER, window)
        total = self.total_query.strip().replace(WINDOW_PLACEHOLDER, window)
        return f"({err})\n/\n({total})"

    def events(self, window: str) -> str:
        total = self.total_query.strip().replace(WINDOW_PLACEHOLDER, window)
        return f"({total}) * {format_number(Fraction(duration_ms(window), 1000))}"

    def sample_expr(self) -> None:
        return None


SLI = Annotated[
    JobSuccessSLI
    | JobLatencySLI
    | FidelitySLI
    | CalibrationFreshnessSLI
    | ProbeSuccessSLI
    | EventsSLI,
    Field(discriminator="kind"),
]
