"""The scripted incident of ``qobserve demo --stack``, phase by phase.

1. healthy: training jobs succeed on ``fake_manila``;
2. outage: every submission to ``fake_manila`` gets HTTP 503; the executor
   retries, then falls back to ``aer_simulator``; the job-success error budget
   burns and ``QuantumJobSuccessBudgetBurn`` pages;
3. stale calibration: the outage is over but the backend reports a calibration
   older than the alert's ``max_age``; the executor's calibration gate keeps
   jobs on the fallback, ``QuantumCalibrationStale`` opens a ticket and the page
   resolves;
4. recovery: fresh calibration, jobs return to ``fake_manila``, every alert resolves.

Each phase after the first ends when what it demonstrates has been observed
end to end (Alertmanager state and messages delivered to the Slack sink), or
at a timeout, which marks the scenario incomplete.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from qobserve import semconv
from qobserve._validation import duration_ms
from qobserve.chaos import Faults
from qobserve.instrumentation._job import job_telemetry
from qobserve.semconv import QUANTUM_JOB_FALLBACKS_TOTAL, QUANTUM_JOBS_TOTAL
from qobserve.stack.stack import Stack
from qobserve.stack.workload import Workload

__all__ = [
    "MLFLOW_EVENT",
    "PAGE_ALERT",
    "STALE_ALERT",
    "PhaseResult",
    "Scenario",
    "ScenarioResult",
    "TimelineEvent",
    "Timings",
]

PAGE_ALERT = "QuantumJobSuccessBudgetBurn"
STALE_ALERT = "QuantumCalibrationStale"
#: Timeline kind of "an MLflow run opened"; the event's text is the run's UI URL.
MLFLOW_EVENT = "mlflow"
_FRESH = 2 * 3600.0  # a healthy backend was calibrated two hours ago
_B = semconv.LABEL[semconv.Attr.BACKEND]
_STATUS = semconv.LABEL[semconv.Attr.JOB_STATUS]
_FROM = semconv.LABEL[semconv.Attr.FROM_BACKEND]
_JOBS = semconv.metric(QUANTUM_JOBS_TOTAL).prom_name
_FALLBACKS = semconv.metric(QUANTUM_JOB_FALLBACKS_TOTAL).prom_name


@dataclass(frozen=True)
class Timings:
    """Seconds: healthy traffic and outage at least, other phases at least ``hold``,
    each phase at most ``phase_timeout``; ``pace`` between training steps."""

    healthy: float = 20.0
    outage: float = 15.0
    hold: float = 3.0
    phase_timeout: float = 150.0
    pace: float = 0.2
    tick: float = 0.5


@dataclass
class TimelineEvent:
    at: float  # Unix time
    kind: str  # phase, alertmanager, slack, mlflow
    text: str


@dataclass
class PhaseResult:
    name: str
    goal: str
    started: float
    ended: float = 0.0
    completed: bool = False


@dataclass
class ScenarioResult:
    phases: list[PhaseResult] = field(default_factory=list)
    timeline: list[TimelineEvent] = field(default_factory=list)

    @property
    def completed(self) -> bool:
        return bool(self.phases) and all(p.completed for p in self.phases)


@dataclass(frozen=True)
class _Phase:
    name: str
    title: str
    goal: str
    faults: Faults
    done: Callable[[Scenario, float], bool]
    min_seconds: float


class Scenario:
    """Drives the workload through the phases and watches the stack react.

    Args:
        stack: a started :class:`~qobserve.stack.stack.Stack`.
        on_tick: called every tick (the live view redraws there).
        on_event: called with each timeline event as it happens.
        on_phase_end: called with the finished :class:`PhaseResult` before the next starts.
    """

    def __init__(
        self,
        stack: Stack,
        timings: Timings = Timings(),
        *,
        seed: int = 7,
        on_tick: Callable[[Scenario], None] | None = None,
        on_event: Callable[[TimelineEvent], None] | None = None,
        on_phase_end: Callable[[PhaseResult], None] | None = None,
    ) -> None:
        self.stack, self.timings = stack, timings
        telemetry = stack.telemetry
        assert telemetry is not None, "start the stack before its scenario"
        max_age = duration_ms(stack.spec.alerts.calibration_stale.max_age) / 1000
        healthy = Faults(calibration_age=_FRESH)
        self.phases = [
            _Phase(
                "healthy",
                "Healthy training",
                "jobs succeed and Prometheus scrapes them, the exporter and the bridge",
                healthy,
                lambda s, t0: s._scraped(),
                timings.healthy,
            ),
            _Phase(
                "outage",
                "Backend outage (HTTP 503 on every submission)",
                f"the executor falls back and {PAGE_ALERT} pages and reaches Slack",
                Faults(transient_error_rate=1.0, calibration_age=_FRESH),
                lambda s, t0: s._fell_back() and s.slack_seen(PAGE_ALERT, "firing", t0),
                timings.outage,
            ),
            _Phase(
                "stale",
                "Outage over, calibration stale",
                f"{STALE_ALERT} reaches Slack and the page resolves",
                Faults(calibration_age=max_age + 4 * 3600),
                lambda s, t0: (
                    s.slack_seen(STALE_ALERT, "firing") and s.slack_seen(PAGE_ALERT, "resolved", t0)
                ),
                timings.hold,
            ),
            _Phase(
                "recovery",
                "Recovery: fresh calibration",
                "jobs complete on the primary again and every alert resolved in Slack",
                healthy,
                lambda s, t0: s._primary_serving() and s._all_resolved(),
                timings.hold,
            ),
        ]
        self.workload = Workload(
            telemetry,
            healthy=healthy,
            calibration_max_age=max_age,
            pace=timings.pace,
            seed=seed,
            mlflow_tracking_uri=getattr(stack.services.get("mlflow"), "url", None),
            on_mlflow_run=lambda url: self._event(MLFLOW_EVENT, url),
        )
        self._jobs = job_telemetry(telemetry.tracer_provider, telemetry.meter_provider)
        self.result = ScenarioResult()
        self.current: _Phase | None = None
        self.phase_started = time.monotonic()
        self.alerts: list[dict] = []
        self._on_tick, self._on_event, self._on_phase_end = on_tick, on_event, on_phase_end
        self._seen_messages = 0
        self._active: set[str] = set()
        self._wall_offset = time.time() - time.monotonic()

    # -- observations --------------------------------------------------------------------

    def _event(self, kind: str, text: str) -> None:
        event = TimelineEvent(time.time(), kind, text)
        self.result.timeline.append(event)
        if self._on_event is not None:
            self._on_event(event)

    def slack_seen(self, alertname: str, status: str, since_monotonic: float = 0.0) -> bool:
        """Whether the sink got a ``status`` message for ``alertname`` since then."""
        since = since_monotonic + self._wall_offset if since_monotonic else 0.0
        return any(
            m.alertname == alertname and m.alert_status == status and m.received >= since
            for m in self.stack.messages()
        )

    def _scraped(self) -> bool:
        up = self.stack.targets_up()
        return (
            set(up) == set(self.stack.scrape_targets)
            and all(up.values())
            and bool(self.stack.query(f'{_JOBS}{{{_B}="{self.workload.primary.name}"}}'))
        )

    def _fell_back(self) -> bool:
        return bool(self.stack.query(f'{_FALLBACKS}{{{_FROM}="{self.workload.primary.name}"}} > 0'))

    def _primary_serving(self) -> bool:
        completed = semconv.JobStatus.COMPLETED.value
        return bool(
            self.stack.query(
                f'increase({_JOBS}{{{_B}="{self.workload.primary.name}",{_STATUS}="{completed}"}}[10s])'
                " > 0"
            )
        )

    def _all_resolved(self) -> bool:
        """No alert that reached Slack is still active, and each one's last message is a resolve."""
        last: dict[str, str] = {}
        for m in self.stack.messages():
            if m.alertname:
                last[m.alertname] = m.alert_status or ""
        active = {a["labels"].get("alertname") for a in self.alerts}
        return not (set(last) & active) and all(v == "resolved" for v in last.values())

    def _observe(self) -> None:
        self.stack.ensure_running()
        if self.workload.error is not None:
            raise RuntimeError(
                f"the workload failed: {self.workload.error!r}"
            ) from self.workload.error
        cal = self.workload.primary.calibration()
        if cal is not None and cal.timestamp is not None:  # the in-process calibration probe
            self._jobs.record_calibration(
                self.workload.primary.provider.value, self.workload.primary.name, cal.timestamp
            )
        self.alerts = self.stack.active_alerts()
        active = {
            f"{a['labels'].get('alertname')} ({a['labels'].get('severity', '?')}"
            f"{', ' + a['labels'][_B] if a['labels'].get(_B) else ''})"
            for a in self.alerts
        }
        for text in sorted(active - self._active):
            self._event("alertmanager", f"active: {text}")
        for text in sorted(self._active - active):
            self._event("alertmanager", f"no longer active: {text}")
        self._active = active
        messages = self.stack.messages()
        for m in messages[self._seen_messages :]:
            self._event("slack", f"{m.channel_name}: {m.text}")
        self._seen_messages = len(messages)

    # -- driving -------------------------------------------------------------------------

    def run(self) -> ScenarioResult:
        """Run every phase; the workload is stopped however this returns."""
        self.workload.start()
        try:
            for phase in self.phases:
                self._run_phase(phase)
        finally:
            self.workload.stop()
        return self.result

    def _run_phase(self, phase: _Phase) -> None:
        self.current, t0 = phase, time.monotonic()
        self.phase_started = t0
        self.workload.set_faults(phase.faults)
        record = PhaseResult(phase.name, phase.goal, time.time())
        self.result.phases.append(record)
        self._event("phase", f"{phase.title}: waiting until {phase.goal}")
        while True:
            self._observe()
            if self._on_tick is not None:
                self._on_tick(self)
            elapsed = time.monotonic() - t0
            if elapsed >= phase.min_seconds and phase.done(self, t0):
                record.completed = True
                break
            if elapsed >= self.timings.phase_timeout:
                self._event("phase", f"timed out after {elapsed:.0f} s: not seen: {phase.goal}")
                break
            time.sleep(self.timings.tick)
        record.ended = time.time()
        if self._on_phase_end is not None:
            self._on_phase_end(record)
