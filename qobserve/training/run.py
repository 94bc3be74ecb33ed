"""The run handle: one training run's span, step spans, metrics and detectors.

Cost on the loop's thread. :meth:`TrainingRun.record_step` does the least it
can: it queues the step's raw inputs (a bounded deque) and moves the current
step on. The step's statistics (SNR, norm, variance), detectors, span, gauges
and MLflow values are worked out by one worker thread every
``metrics_interval`` seconds, in a batch (so cold caches after a simulator call
are paid once a batch, not once a step; Aer and the other simulators release
the GIL, so the batch mostly runs while the loop waits on the next job), and at
the run's end. They are worked out at once, on the loop's thread, where the run
must react at the step itself: ``strict=True``, an ``on_detection`` callback,
``metrics_interval=0`` or ``step_spans="explicit"``; reading a returned
:class:`StepRecord`'s ``stats`` or ``firing`` also works out the steps up to it.

Step spans and job linking. A job span started while a step is current becomes
that step's child. By default (``step_spans="auto"``) the current span during a
run is a stand-in (``_StepCursor``) whose span context is the current step's:
every job your loop runs *before* it records step ``n`` lands under step ``n``,
and ``record_step`` moves on by swapping one attribute instead of ending and
starting SDK spans. The real ``training step`` span is made later with that
same span id and the step's own start and end times (the SDK tracer is handed
the id). The step still open when the run ends is closed with
``quantum.training.step.recorded=false`` (it holds e.g. a final evaluation's
jobs, or the step that raised). For full control use ``with run.step(): ...``
(``step_spans="explicit"``): a real span, current for the block.
"""

from __future__ import annotations

import contextlib
import logging
import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import numpy as np
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.trace import NonRecordingSpan, SpanContext, Status, StatusCode

from qobserve.semconv import (
    QUANTUM_TRAINING_GRADIENT_NORM,
    QUANTUM_TRAINING_GRADIENT_SNR,
    QUANTUM_TRAINING_GRADIENT_VARIANCE,
    QUANTUM_TRAINING_LOSS,
    QUANTUM_TRAINING_SHOT_VARIANCE,
    QUANTUM_TRAINING_STEPS_TOTAL,
    QUANTUM_TRAINING_VALIDATION_SCORE,
    Attr,
)
from qobserve.training.detectors import Detection, Detector, StepView
from qobserve.training.gradients import GradientEstimate
from qobserve.training.snr import GradientStats, gradient_stats

if TYPE_CHECKING:
    from qobserve.benchmarking.probe import RBResult
    from qobserve.training.mlflow_log import MlflowLog

__all__ = ["StepRecord", "StopTraining", "TrainingRun"]

log = logging.getLogger("qobserve.training")

STEP_SPAN = "training step"
# Attribute keys as plain strings: Enum's `.value` descriptor costs ~1 µs a lookup per step.
_K = SimpleNamespace(**{a.name: a.value for a in Attr})
#: Per-parameter lists on step spans are cut to this many entries.
SPAN_DETAIL_LIMIT = 256
#: Steps queued for the worker; past it record_step works the queue out itself.
MAX_PENDING_STEPS = 4096
#: Attributes (and events) user code may set on an auto step's stand-in span, per step.
MAX_CURSOR_ITEMS = 128


class StopTraining(Exception):
    """Raise from an ``on_detection`` callback (or your loop) to end the run cleanly."""


@dataclass(slots=True)
class _Step:
    """One recorded step: raw inputs from the loop, results once worked out."""

    index: int
    start_ns: int
    end_ns: int
    loss: Any
    samples: Any
    gradient: Any
    stderr: Any
    shot_variance: Any
    attributes: dict
    span_id: int | None = None  # auto steps: the id jobs were parented to
    cursor_attributes: dict = field(default_factory=dict)  # auto steps: set on the stand-in
    cursor_events: list = field(default_factory=list)
    span: Any = None  # explicit steps: the open `with run.step()` span
    trailing: bool = False  # the step still open when the run ended
    done: bool = False
    loss_value: float | None = None
    stats: GradientStats | None = None
    firing: frozenset[str] = frozenset()
    changes: list[Detection] = field(default_factory=list)


class StepRecord:
    """What :meth:`TrainingRun.record_step` recorded; ``firing`` names active detectors.

    ``loss``, ``stats`` and ``firing`` are worked out when first read (if the
    worker has not done so yet), so a loop that ignores the record pays nothing.
    """

    __slots__ = ("_run", "_step")

    def __init__(self, run: TrainingRun, step: _Step) -> None:
        self._run, self._step = run, step

    @property
    def index(self) -> int:
        return self._step.index

    def _done(self) -> _Step:
        if not self._step.done:
            self._run._work_out(until=self._step.index)
        return self._step

    @property
    def loss(self) -> float | None:
        return self._done().loss_value

    @property
    def stats(self) -> GradientStats | None:
        return self._done().stats

    @property
    def firing(self) -> frozenset[str]:
        return self._done().firing


def _snapshot(value):
    """A copy of a numpy array (optimizers reuse gradient buffers; the step is worked
    out later), anything else as given."""
    return value.copy() if isinstance(value, np.ndarray) else value


class _ReservedIds(IdGenerator):
    """The step tracer's id generator: the id a thread reserved, once, else a random one.

    The SDK caches one tracer per scope, so every run on a provider shares it;
    reservations are per thread (a run works its steps out on one thread at a time).
    """

    def __init__(self, inner: IdGenerator) -> None:
        self._inner = inner
        self._local = threading.local()

    def reserve(self, span_id: int | None) -> None:
        self._local.span_id = span_id

    def generate_span_id(self) -> int:
        span_id = getattr(self._local, "span_id", None)
        if span_id is None:
            return self._inner.generate_span_id()
        self._local.span_id = None
        return span_id

    def generate_trace_id(self) -> int:
        return self._inner.generate_trace_id()


_install_lock = threading.Lock()


def _reserving(tracer) -> _ReservedIds | None:
    """``tracer``'s id generator, made a :class:`_ReservedIds` once; None if not an SDK tracer."""
    with _install_lock:
        ids = getattr(tracer, "id_generator", None)
        if ids is None or isinstance(ids, _ReservedIds):
            return ids
        tracer.id_generator = _ReservedIds(ids)
        return tracer.id_generator


class _StepCursor(NonRecordingSpan):
    """The current span of an auto-stepping run: its context is the current step's.

    What user code puts on it (``trace.get_current_span().set_attribute(...)``,
    ``add_event``) is kept, up to :data:`MAX_CURSOR_ITEMS` per step, and lands on
    the step's real span when it is made.
    """

    def __init__(self, parent: SpanContext) -> None:
        super().__init__(parent)
        self._parent = parent
        self._step_context: SpanContext | None = None
        self._attributes: dict[str, Any] = {}
        self._events: list[tuple[str, Any, int]] = []

    def get_span_context(self) -> SpanContext:
        ctx = self._step_context
        if ctx is None:  # the step's first job: give the step its id now
            p = self._parent
            ctx = self._step_context = SpanContext(
                p.trace_id, random.getrandbits(64) or 1, False, p.trace_flags, p.trace_state
            )
        return ctx

    def is_recording(self) -> bool:
        return True  # callers that check before setting attributes must still set them

    def set_attribute(self, key: str, value: Any) -> None:
        if key in self._attributes or len(self._attributes) < MAX_CURSOR_ITEMS:
            self._attributes[key] = value

    def set_attributes(self, attributes: Any) -> None:
        for key, value in attributes.items():
            self.set_attribute(key, value)

    def add_event(self, name: str, attributes: Any = None, timestamp: int | None = None) -> None:
        if len(self._events) < MAX_CURSOR_ITEMS:
            self._events.append((name, attributes, timestamp or time.time_ns()))

    def take(self, step: _Step) -> None:
        """End the current step: hand ``step`` the span id its jobs got and what was set."""
        ctx, self._step_context = self._step_context, None
        step.span_id = None if ctx is None else ctx.span_id
        step.cursor_attributes, self._attributes = self._attributes, {}
        step.cursor_events, self._events = self._events, []


class TrainingRun:
    """Handle yielded by :func:`~qobserve.training.track_training`; record from one thread."""

    def __init__(
        self,
        experiment: str,
        telemetry,
        span,
        *,
        detectors: list[Detector],
        on_detection: Callable[[TrainingRun, Detection], None] | None,
        strict: bool,
        step_spans: str,
        metrics_interval: float = 1.0,
        tracer_provider=None,
    ) -> None:
        self.experiment = experiment
        self.span = span
        self.strict = strict
        self.steps = 0
        self.anomalies: list[str] = []
        self.firing: dict[str, str] = {}
        self.should_stop = False
        self._t = telemetry
        self._labels = {_K.EXPERIMENT: experiment}
        self._detectors = detectors
        self._on_detection = on_detection
        self._auto = step_spans == "auto"
        # Where the run must react at the step itself, steps are worked out at once.
        self._at_once = (
            strict or on_detection is not None or not self._auto or metrics_interval == 0
        )
        self._metrics_interval = metrics_interval
        self._step_span: Any = None  # explicit mode: the open `with run.step()` span
        self._step_token: Any = None
        self._queue: deque[_Step] = deque()
        self._lock = threading.RLock()  # working out steps: worker, loop, StepRecord readers
        self._target: Any = None  # the span anomalies go to while a step is worked out
        self._last_end_ns = self._step_start_ns = time.time_ns()
        self._pending: dict[str, float] = {}
        self._unflushed_steps = 0
        self._next_flush = 0.0  # worked out at once: export at most every metrics_interval
        self._working_on = 0
        self._parent = trace.set_span_in_context(span)
        self._step_tracer = trace.get_tracer("qobserve.training", tracer_provider=tracer_provider)
        self._ids = _reserving(self._step_tracer)  # SDK tracer: step spans keep their ids
        self._cursor: _StepCursor | None = None
        self._cursor_token: Any = None
        self._closing = threading.Event()
        self._worker: threading.Thread | None = None
        #: The run's :class:`~qobserve.training.mlflow_log.MlflowLog` when MLflow logging is on.
        self.mlflow: MlflowLog | None = None
        for d in detectors:
            if d.metric:
                telemetry[d.metric].set(0, self._labels)

    # -- lifecycle (called by track_training) -----------------------------
    def _begin(self) -> None:
        if self._auto:
            self._cursor = _StepCursor(self.span.get_span_context())
            self._cursor_token = otel_context.attach(trace.set_span_in_context(self._cursor))
        if not self._at_once:
            self._worker = threading.Thread(
                target=self._work, name=f"qobserve-training-{self.experiment}", daemon=True
            )
            self._worker.start()

    def _end(self, error: BaseException | None) -> None:
        """Work out every queued step, close the open step (``recorded=false``), flush."""
        if self._worker is not None:
            self._closing.set()
            self._worker.join()
        if self._cursor is not None:
            end = _Step(self.steps + 1, self._step_start_ns, time.time_ns(), *(None,) * 5, {})
            self._cursor.take(end)
            end.trailing = True
            self._queue.append(end)
            if trace.get_current_span() is self._cursor:
                otel_context.detach(self._cursor_token)
        self._work_out(closing=error)
        if self._step_span is not None:
            self._close_step(recorded=False, error=error)
        self.flush_metrics()

    def _work(self) -> None:
        while not self._closing.wait(self._metrics_interval):
            try:
                self.flush_metrics()
            except Exception:  # the worker must outlive a bad step; the loop never sees it
                log.exception("training %s: working out steps failed", self.experiment)

    # -- explicit step spans ------------------------------------------------
    def _close_step(self, *, recorded: bool, error: BaseException | None = None) -> None:
        span, token = self._step_span, self._step_token
        self._step_span = self._step_token = None
        if trace.get_current_span() is span:
            otel_context.detach(token)
        if not recorded:
            span.set_attribute(_K.TRAINING_STEP_RECORDED, False)
        if error is not None:
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
        span.end()

    @contextlib.contextmanager
    def step(self) -> Iterator[TrainingRun]:
        """Make a new step span current for the block; call ``record_step`` inside it.

        Only with ``step_spans="explicit"``.
        """
        if self._auto:
            raise RuntimeError('run.step(): needs track_training(..., step_spans="explicit")')
        if self._step_span is not None:
            raise RuntimeError("run.step(): steps do not nest; close the open step first")
        self._step_span = self._t.tracer.start_span(
            STEP_SPAN,
            context=self._parent,
            attributes={_K.EXPERIMENT: self.experiment, _K.TRAINING_STEP: self.steps + 1},
        )
        self._step_token = otel_context.attach(trace.set_span_in_context(self._step_span))
        try:
            yield self
        except BaseException as exc:
            self._close_step(recorded=False, error=exc)
            raise
        else:
            self._close_step(recorded=True)

    def stop(self) -> None:
        """Ask the loop to stop: sets :attr:`should_stop` (for callbacks)."""
        self.should_stop = True

    # -- recording -------------------------------------------------------
    def record_step(
        self,
        loss=None,
        *,
        gradient_samples=None,
        gradient=None,
        gradient_stderr=None,
        estimate: GradientEstimate | None = None,
        shot_variance=None,
        **attributes,
    ) -> StepRecord:
        """Record one optimizer step.

        Args:
            loss: the step's loss (NaN/inf are recorded and trip the divergence detector).
            gradient_samples: ``(k, P)`` array, k ≥ 2 independent gradient estimates.
            gradient / gradient_stderr: ``(P,)`` gradient and its standard error
                (stderr optional: without it there is no SNR).
            estimate: a :class:`GradientEstimate`; fills the three above and shot_variance.
            shot_variance: variance(s) of the expectation values behind the step.
            **attributes: extra step-span attributes (learning rate, ...).

        Returns:
            :class:`StepRecord`. Bad inputs are recorded as anomalies (``run.anomalies``,
            an ``anomaly`` span event, a warning) unless ``strict=True``, which raises
            ValueError naming the field.
        """
        now = time.time_ns()
        if estimate is not None:
            if estimate.samples is not None:
                gradient_samples = estimate.samples
            else:
                gradient, gradient_stderr = estimate.gradient, estimate.stderr
            if shot_variance is None:
                shot_variance = estimate.shot_variance
        self.steps += 1
        step = _Step(
            self.steps,
            self._step_start_ns,
            now,
            loss,
            _snapshot(gradient_samples),
            _snapshot(gradient),
            _snapshot(gradient_stderr),
            shot_variance,
            attributes,
        )
        self._step_start_ns = now
        if self._cursor is not None:
            if trace.get_current_span() is self._cursor:
                self._cursor.take(step)
            else:  # someone else changed the current context; stop linking rather than clobber it
                self._cursor.take(step)
                self._cursor = None
                self._anomaly(
                    "step span is no longer the current span (context changed inside "
                    "the loop); use `with run.step():` to link jobs to steps",
                    fatal=False,
                )
        step.span = self._step_span
        self._queue.append(step)
        if self._at_once or len(self._queue) >= MAX_PENDING_STEPS:
            self._work_out()
            if time.monotonic() >= self._next_flush:
                self._next_flush = time.monotonic() + self._metrics_interval
                self.flush_metrics()
            for change in step.changes:
                self._notify(change)
        return StepRecord(self, step)

    def _work_out(self, until: int | None = None, closing: BaseException | None = None) -> None:
        """Work out queued steps in order (all, or up to step ``until``)."""
        with self._lock:
            queue = self._queue
            while queue and (until is None or queue[0].index <= until):
                step = queue.popleft()
                if step.trailing:
                    self._trailing(step, closing)
                else:
                    self._process(step)

    def _start_span(self, step: _Step):
        if self._ids is not None:
            self._ids.reserve(step.span_id)
        span = self._step_tracer.start_span(
            STEP_SPAN,
            context=self._parent,
            start_time=step.start_ns,
            attributes={
                **step.cursor_attributes,
                _K.EXPERIMENT: self.experiment,
                _K.TRAINING_STEP: step.index,
            },
        )
        for name, attributes, timestamp in step.cursor_events:
            span.add_event(name, attributes, timestamp)
        return span

    def _trailing(self, step: _Step, error: BaseException | None) -> None:
        span = self._start_span(step)
        span.set_attribute(_K.TRAINING_STEP_RECORDED, False)
        if error is not None:
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
        span.end(end_time=step.end_ns)

    def _process(self, step: _Step) -> None:
        span = step.span if step.span is not None else self._start_span(step)
        self._target, self._working_on = span, step.index
        try:
            span.set_attribute(_K.TRAINING_STEP, step.index)
            loss = self._loss(step.loss)
            stats = self._gradient(step.samples, step.gradient, step.stderr)
            shot_var = self._shot_variance(step.shot_variance)
            span.set_attributes(self._export(loss, stats, shot_var, step.attributes))
            step.changes = self._detect(span, StepView(step.index, loss, stats))
            if self.mlflow is not None:
                elapsed = (step.end_ns - self._last_end_ns) / 1e9
                self.mlflow.step(step.index, loss, stats, shot_var, elapsed, step.end_ns // 10**6)
            self._last_end_ns = step.end_ns
            step.loss_value, step.stats, step.firing = loss, stats, frozenset(self.firing)
            step.samples = step.gradient = step.stderr = None  # the arrays are not ours to keep
        finally:
            step.done = True
            self._target = None
            if step.span is None:
                span.end(end_time=step.end_ns)

    def _anomaly(self, message: str, *, fatal: bool = True) -> None:
        if self.strict and fatal:
            raise ValueError(message)
        self.anomalies.append(message)
        index = self._working_on if self._target is not None else self.steps
        log.warning("training %s step %d: %s", self.experiment, index, message)
        target = self._target or self._step_span or self.span
        target.add_event("anomaly", {"message": message, _K.TRAINING_STEP: index})

    def _gradient(self, samples, gradient, stderr) -> GradientStats | None:
        if samples is None and gradient is None and stderr is None:
            return None
        try:
            return gradient_stats(samples, gradient=gradient, stderr=stderr)
        except ValueError as exc:
            self._anomaly(str(exc))
            return None

    def _shot_variance(self, value) -> float | None:
        if value is None:
            return None
        if isinstance(value, float | int) and math.isfinite(value) and value >= 0:
            return float(value)  # the common case, without numpy's per-call cost
        arr = np.asarray(value, dtype=float)
        if arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr < 0):
            self._anomaly(f"shot_variance: must be finite and >= 0, got {value!r}")
            return None
        return float(arr.mean())

    def _loss(self, loss) -> float | None:
        if loss is None:
            return None
        try:
            return float(loss)
        except (TypeError, ValueError):
            self._anomaly(f"loss: expected a number, got {type(loss).__name__}")
            return None

    def _export(self, loss, stats, shot_var, attributes) -> dict:
        """Queue the step's gauges (exported by flush_metrics); its span attributes."""
        gauges = self._pending
        attrs: dict = {}
        if loss is not None:
            gauges[QUANTUM_TRAINING_LOSS] = attrs[_K.TRAINING_LOSS] = loss
        if stats is not None:
            gauges[QUANTUM_TRAINING_GRADIENT_NORM] = stats.norm
            gauges[QUANTUM_TRAINING_GRADIENT_VARIANCE] = stats.variance
            attrs[_K.TRAINING_GRADIENT_NORM] = stats.norm
            attrs[_K.TRAINING_GRADIENT_VARIANCE] = stats.variance
            attrs[_K.TRAINING_GRADIENT_SAMPLES] = stats.samples
            attrs[_K.TRAINING_GRADIENT] = stats.gradient[:SPAN_DETAIL_LIMIT].tolist()
            if stats.snr_median is not None:
                gauges[QUANTUM_TRAINING_GRADIENT_SNR] = stats.snr_median
                attrs[_K.TRAINING_GRADIENT_SNR] = stats.snr_median
                attrs[_K.TRAINING_GRADIENT_SNR_PER_PARAMETER] = stats.snr[
                    :SPAN_DETAIL_LIMIT
                ].tolist()
        if shot_var is not None:
            gauges[QUANTUM_TRAINING_SHOT_VARIANCE] = attrs[_K.TRAINING_SHOT_VARIANCE] = shot_var
        attrs.update(attributes)
        self._unflushed_steps += 1
        return attrs

    def flush_metrics(self) -> None:
        """Work out the queued steps and export the step counter and last gauge values now.

        Done by the worker every ``metrics_interval`` seconds and at the run's end:
        a gauge is scraped every 15 s or so, and setting six of them per 10 ms
        step would cost more than the step's span.
        """
        with self._lock:
            self._work_out()
            if self._unflushed_steps:
                self._t[QUANTUM_TRAINING_STEPS_TOTAL].add(self._unflushed_steps, self._labels)
                self._unflushed_steps = 0
            for name, value in self._pending.items():
                self._t[name].set(value, self._labels)
            self._pending.clear()

    def _detect(self, span, view: StepView) -> list[Detection]:
        changes = []
        for d in self._detectors:
            try:
                reason = d.observe(view)
            except Exception as exc:  # a broken detector must not break the loop
                self._anomaly(f"detector {d.name!r} failed: {exc!r}", fatal=False)
                continue
            was = d.name in self.firing
            if d.metric and bool(reason) != was:  # gauges keep their value: set on change only
                self._t[d.metric].set(1 if reason else 0, self._labels)
            if reason and not was:
                self.firing[d.name] = reason
                changes.append(Detection(d.name, view.index, True, reason))
            elif not reason and was:
                del self.firing[d.name]
                changes.append(Detection(d.name, view.index, False, "cleared"))
        for c in changes:
            event = {"reason": c.reason, _K.TRAINING_STEP: c.step}
            name = c.detector if c.firing else f"{c.detector}.cleared"
            span.add_event(name, event)
            self.span.add_event(name, event)
            if self.mlflow is not None:
                self.mlflow.tag(
                    f"qobserve.detector.{c.detector}",
                    f"{'firing' if c.firing else 'cleared'} at step {c.step}: {c.reason}",
                )
        return changes

    def _end_detections(self) -> None:
        """The run ended: every detector flag goes to 0 (a stopped run is on no plateau,
        so its alert resolves), with a ``<name>.cleared`` event for each that was firing."""
        for d in self._detectors:
            if d.metric:
                self._t[d.metric].set(0, self._labels)
        for name in list(self.firing):
            self.span.add_event(
                f"{name}.cleared", {"reason": "run ended", _K.TRAINING_STEP: self.steps}
            )
        self.firing.clear()

    def _notify(self, change: Detection) -> None:
        if self._on_detection is None:
            return
        try:
            self._on_detection(self, change)
        except StopTraining:
            self.span.set_attribute(_K.TRAINING_STOPPED_BY, change.detector)
            raise
        except Exception as exc:
            if self.strict:
                raise
            log.exception("on_detection callback failed for %s", change.detector)
            self.anomalies.append(f"on_detection callback failed: {exc!r}")

    def record_rb(self, result: RBResult) -> None:
        """Note an RB probe that ran during the run (``run_rb`` calls this itself).

        The run span gets an ``rb`` event with the backend, qubits and EPC; with
        MLflow on, the last result is logged as ``rb/result.json`` and ``rb/decay.png``.
        """
        event = {
            _K.BACKEND: result.backend_name,
            _K.QUBITS: result.experiment.label,
            _K.TRAINING_STEP: self.steps,
        }
        if result.fit.ok and result.fit.epc is not None:
            event["epc"] = float(result.fit.epc)
        self.span.add_event("rb", event)
        if self.mlflow is not None:
            self.mlflow.rb(result)

    def record_validation(self, **scores: float) -> None:
        """Export validation scores as ``quantum_training_validation_score{metric=...}``."""
        clean = {}
        for name, value in scores.items():
            try:
                number = float(value)
            except (TypeError, ValueError):
                self._anomaly(
                    f"record_validation: {name} must be a number, got {type(value).__name__}"
                )
                continue
            if not math.isfinite(number):
                self._anomaly(f"record_validation: {name} is {number}; pass a finite score")
                continue
            clean[name] = number
            self._t[QUANTUM_TRAINING_VALIDATION_SCORE].set(
                number, {**self._labels, _K.METRIC: name}
            )
        if clean:
            self.span.add_event("validation", {**clean, _K.TRAINING_STEP: self.steps})
            if self.mlflow is not None:
                self.mlflow.validation(self.steps, clean)
