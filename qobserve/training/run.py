"""The run handle: one training run's span, step spans, metrics and detectors.

Step spans and job linking. A job span started while a step span is the
current span becomes that step's child. By default (``step_spans="auto"``)
:meth:`TrainingRun.record_step` closes the current step span and opens the
next one, made current, so every job your loop runs *before* it records step
``n`` lands under step ``n``: nothing to change in a plain loop. The span still
open when the run ends is closed with ``quantum.training.step.recorded=false``
(it holds e.g. a final evaluation's jobs, or the step that raised). For full
control use ``with run.step(): ...`` (``step_spans="explicit"``). Steps are
spans rather than events because a span per step costs tens of microseconds,
well under 1% of any step that runs a circuit, and buys the job linking.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode

from qobserve.semconv import Attr
from qobserve.training.detectors import Detection, Detector, StepView
from qobserve.training.gradients import GradientEstimate
from qobserve.training.snr import GradientStats, gradient_stats

if TYPE_CHECKING:
    from qobserve.benchmarking.probe import RBResult

__all__ = ["StepRecord", "StopTraining", "TrainingRun"]

log = logging.getLogger("qobserve.training")

STEP_SPAN = "training step"
# Attribute keys as plain strings: Enum's `.value` descriptor costs ~1 µs a lookup per step.
_K = SimpleNamespace(**{a.name: a.value for a in Attr})
#: Per-parameter lists on step spans are cut to this many entries.
SPAN_DETAIL_LIMIT = 256


class StopTraining(Exception):
    """Raise from an ``on_detection`` callback (or your loop) to end the run cleanly."""


@dataclass(frozen=True)
class StepRecord:
    """What :meth:`TrainingRun.record_step` recorded; ``firing`` names active detectors."""

    index: int
    loss: float | None
    stats: GradientStats | None
    firing: frozenset[str]


class TrainingRun:
    """Handle yielded by :func:`~qobserve.training.track_training`; not thread-safe."""

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
        self._step_span = None
        self._step_token = None
        self._pending: dict[str, float] = {}
        self._unflushed_steps = 0
        self._metrics_interval = metrics_interval
        self._next_flush = 0.0
        #: The run's :class:`~qobserve.training.mlflow_log.MlflowLog` when MLflow logging is on.
        self.mlflow = None
        for d in detectors:
            if d.metric:
                telemetry[d.metric].set(0, self._labels)

    # -- step spans ------------------------------------------------------
    def _open_step(self, *, current: bool = True) -> None:
        ctx = trace.set_span_in_context(self.span)
        self._step_span = self._t.tracer.start_span(
            STEP_SPAN,
            context=ctx,
            attributes={_K.EXPERIMENT: self.experiment, _K.TRAINING_STEP: self.steps + 1},
        )
        if current:
            self._step_token = otel_context.attach(trace.set_span_in_context(self._step_span))

    def _close_step(self, *, recorded: bool, error: BaseException | None = None) -> None:
        span, token = self._step_span, self._step_token
        self._step_span = self._step_token = None
        if span is None:
            return
        if token is not None:
            if trace.get_current_span() is span:
                otel_context.detach(token)
            else:  # someone else changed the current context; stop linking rather than clobber it
                self._auto = False
                self._anomaly(
                    "step span is no longer the current span (context changed inside "
                    "the loop); use `with run.step():` to link jobs to steps",
                    fatal=False,
                )
        if not recorded:
            span.set_attribute(_K.TRAINING_STEP_RECORDED, False)
        if error is not None:
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
        span.end()

    @contextlib.contextmanager
    def step(self) -> Iterator[TrainingRun]:
        """Make a new step span current for the block; call ``record_step`` inside it."""
        if self._auto:
            self._close_step(recorded=False)
            self._auto = False
        if self._step_span is not None:
            raise RuntimeError("run.step(): steps do not nest; close the open step first")
        self._open_step()
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
    def _anomaly(self, message: str, *, fatal: bool = True) -> None:
        if self.strict and fatal:
            raise ValueError(message)
        self.anomalies.append(message)
        log.warning("training %s step %d: %s", self.experiment, self.steps, message)
        target = self._step_span or self.span
        target.add_event("anomaly", {"message": message, _K.TRAINING_STEP: self.steps})

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
        if estimate is not None:
            if estimate.samples is not None:
                gradient_samples = estimate.samples
            else:
                gradient, gradient_stderr = estimate.gradient, estimate.stderr
            shot_variance = estimate.shot_variance if shot_variance is None else shot_variance
        self.steps += 1
        opened_here = self._step_span is None  # explicit mode outside `with run.step()`
        if opened_here:
            self._open_step(current=False)
        span = self._step_span
        span.set_attribute(_K.TRAINING_STEP, self.steps)
        loss_value = self._loss(loss)
        stats = self._gradient(gradient_samples, gradient, gradient_stderr)
        shot_var = self._shot_variance(shot_variance)
        self._export(span, loss_value, stats, shot_var, attributes)
        changes = self._detect(span, StepView(self.steps, loss_value, stats))
        if self.mlflow is not None:
            self.mlflow.step(self.steps, loss_value, stats, shot_var)
        if self._auto or opened_here:
            self._close_step(recorded=True)
            if self._auto:
                self._open_step()
        record = StepRecord(self.steps, loss_value, stats, frozenset(self.firing))
        for change in changes:
            self._notify(change)
        return record

    def _loss(self, loss) -> float | None:
        if loss is None:
            return None
        try:
            return float(loss)
        except (TypeError, ValueError):
            self._anomaly(f"loss: expected a number, got {type(loss).__name__}")
            return None

    def _export(self, span, loss, stats, shot_var, attributes) -> None:
        gauges = self._pending
        attrs: dict = {}
        if loss is not None:
            gauges["quantum_training_loss"] = attrs[_K.TRAINING_LOSS] = loss
        if stats is not None:
            gauges["quantum_training_gradient_norm"] = stats.norm
            gauges["quantum_training_gradient_variance"] = stats.variance
            attrs[_K.TRAINING_GRADIENT_NORM] = stats.norm
            attrs[_K.TRAINING_GRADIENT_VARIANCE] = stats.variance
            attrs[_K.TRAINING_GRADIENT_SAMPLES] = stats.samples
            attrs[_K.TRAINING_GRADIENT] = stats.gradient[:SPAN_DETAIL_LIMIT].tolist()
            if stats.snr_median is not None:
                gauges["quantum_training_gradient_snr"] = stats.snr_median
                attrs[_K.TRAINING_GRADIENT_SNR] = stats.snr_median
                attrs[_K.TRAINING_GRADIENT_SNR_PER_PARAMETER] = stats.snr[
                    :SPAN_DETAIL_LIMIT
                ].tolist()
        if shot_var is not None:
            gauges["quantum_training_shot_variance"] = attrs[_K.TRAINING_SHOT_VARIANCE] = shot_var
        attrs.update(attributes)
        span.set_attributes(attrs)
        self._unflushed_steps += 1
        now = time.monotonic()
        if now >= self._next_flush:
            self._next_flush = now + self._metrics_interval
            self.flush_metrics()

    def flush_metrics(self) -> None:
        """Export the step counter and last gauge values now (also done at run end).

        Metrics are exported at most every ``metrics_interval`` seconds: a gauge
        is scraped every 15 s or so, and setting six of them per 10 ms step would
        cost more than the step's span.
        """
        if self._unflushed_steps:
            self._t["quantum_training_steps_total"].add(self._unflushed_steps, self._labels)
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
        if result.fit.ok:
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
            self._t["quantum_training_validation_score"].set(
                number, {**self._labels, _K.METRIC: name}
            )
        if clean:
            self.span.add_event("validation", {**clean, _K.TRAINING_STEP: self.steps})
            if self.mlflow is not None:
                self.mlflow.validation(self.steps, clean)
