"""``track_training``: a decorator and context manager around one training run."""

from __future__ import annotations

import contextvars
import copy
import functools
import importlib.metadata
import inspect
import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from opentelemetry import trace
from opentelemetry.metrics import MeterProvider
from opentelemetry.trace import Status, StatusCode, TracerProvider

from qobserve.instrumentation._job import job_telemetry
from qobserve.semconv import Attr
from qobserve.training.detectors import Detection, Detector, default_detectors
from qobserve.training.mlflow_log import open_log
from qobserve.training.mlflow_settings import MlflowSettings, settings_from
from qobserve.training.run import StopTraining, TrainingRun

__all__ = ["TrainingTracker", "code_version", "current_run", "track_training"]

_current: contextvars.ContextVar[TrainingRun | None] = contextvars.ContextVar(
    "qobserve_training_run", default=None
)


def current_run() -> TrainingRun | None:
    """The run of the innermost active ``track_training``, for code deep in a loop."""
    return _current.get()


@lru_cache(maxsize=32)
def _git_describe(directory: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", "describe", "--tags", "--always", "--dirty"],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return (out.stdout.strip() or None) if out.returncode == 0 else None


def code_version(fn: Callable | None = None) -> str:
    """``git describe`` of the code's checkout, else its package version, else ``unknown``.

    The directory is ``fn``'s file's (decorator) or the working directory.
    """
    path = inspect.getsourcefile(fn) if fn is not None else None
    found = _git_describe(os.path.dirname(os.path.abspath(path)) if path else os.getcwd())
    if found:
        return found
    top = (getattr(fn, "__module__", None) or "").split(".")[0]
    if top and top != "__main__":
        try:
            return f"{top} {importlib.metadata.version(top)}"
        except importlib.metadata.PackageNotFoundError:
            pass
    return "unknown"


@dataclass
class TrainingTracker:
    """Returned by :func:`track_training` (which validates its options); use with
    ``with`` or as ``@decorator``."""

    experiment: str
    meta: dict[Attr, Any]
    code_version: str | None
    attributes: dict[str, Any]
    detectors: Sequence[Detector] | None
    on_detection: Callable[[TrainingRun, Detection], None] | None
    strict: bool
    step_spans: str
    metrics_interval: float
    params: dict[str, Any]
    mlflow: MlflowSettings | None
    providers: tuple[TracerProvider | None, MeterProvider | None]
    _active: list[tuple] = field(default_factory=list, init=False, repr=False)

    def _attrs(self, fn: Callable | None) -> dict:
        attrs: dict[str, Any] = {
            Attr.EXPERIMENT.value: self.experiment,
            Attr.TRAINING_CODE_VERSION.value: self.code_version or code_version(fn),
        }
        attrs.update(
            {
                k.value: v if isinstance(v, (bool, int, float, str)) else str(v)
                for k, v in self.meta.items()
                if v is not None
            }
        )
        attrs.update(self.attributes)
        return attrs

    def _start(self, fn: Callable | None = None) -> TrainingRun:
        # Detectors keep state: each run gets its own copy, so decorated calls start afresh.
        detectors = (
            [copy.deepcopy(d) for d in self.detectors]
            if self.detectors is not None
            else default_detectors(self.meta[Attr.TRAINING_SHOTS])
        )
        telemetry = job_telemetry(*self.providers)
        attrs = self._attrs(fn)
        span = telemetry.tracer.start_span(f"training {self.experiment}", attributes=attrs)
        token = trace.use_span(span, end_on_exit=False)
        token.__enter__()
        run = TrainingRun(
            self.experiment,
            telemetry,
            span,
            detectors=detectors,
            on_detection=self.on_detection,
            strict=self.strict,
            step_spans=self.step_spans,
            metrics_interval=self.metrics_interval,
            tracer_provider=self.providers[0],
        )
        if self.mlflow is not None:
            run.mlflow = open_log(
                self.experiment,
                self.mlflow,
                telemetry,
                span,
                meta=self.meta,
                span_attributes=attrs,
                params=self.params,
            )
        run._begin()
        self._active.append((run, token, _current.set(run)))
        return run

    def _finish(self, exc: BaseException | None) -> bool:
        run, token, cur = self._active.pop()
        _current.reset(cur)
        stopped = isinstance(exc, StopTraining)
        run._end(None if stopped else exc)
        firing_at_end = dict(run.firing)  # the verdict MLflow keeps; the flags go to 0 below
        run._end_detections()
        run.span.set_attribute(Attr.TRAINING_STEPS.value, run.steps)
        if run.mlflow is not None:
            run_id = run.mlflow.close(
                "FAILED" if exc is not None and not stopped else "FINISHED", firing=firing_at_end
            )
            if run_id:
                run.span.set_attribute("mlflow.run_id", run_id)
        if exc is not None and not stopped:
            run.span.record_exception(exc)
            run.span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
        token.__exit__(None, None, None)
        run.span.end()
        return stopped

    def __enter__(self) -> TrainingRun:
        return self._start()

    def __exit__(self, exc_type, exc, tb) -> bool:
        return self._finish(exc)

    def __call__(self, fn: Callable) -> Callable:
        """Decorate ``fn``: each call is one run; a parameter named ``run`` receives it."""
        wants_run = "run" in inspect.signature(fn).parameters

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            run = self._start(fn)
            try:
                if wants_run and "run" not in kwargs:
                    kwargs["run"] = run
                result = fn(*args, **kwargs)
            except BaseException as exc:
                if self._finish(exc):
                    return None
                raise
            self._finish(None)
            return result

        return wrapper


def track_training(
    experiment: str,
    *,
    seed: int | None = None,
    ansatz: str | None = None,
    depth: int | None = None,
    qubits: int | None = None,
    backend: object = None,
    shots: int | None = None,
    code_version: str | None = None,
    attributes: Mapping[str, Any] | None = None,
    detectors: Sequence[Detector] | None = None,
    on_detection: Callable[[TrainingRun, Detection], None] | None = None,
    strict: bool = False,
    step_spans: Literal["auto", "explicit"] = "auto",
    metrics_interval: float = 1.0,
    params: Mapping[str, Any] | None = None,
    mlflow: bool | MlflowSettings = False,
    mlflow_tracking_uri: str | None = None,
    mlflow_experiment: str | None = None,
    tracer_provider: TracerProvider | None = None,
    meter_provider: MeterProvider | None = None,
) -> TrainingTracker:
    """Trace and measure a training run, as a decorator or a context manager.

    Args:
        experiment: the ``quantum_experiment`` label (low cardinality: a name, not a run id).
        seed: the run's random seed (run-span attribute, MLflow param).
        ansatz: name of the circuit family, e.g. ``"ry-cz"``.
        depth: ansatz depth (layers).
        qubits: qubits the model uses.
        backend: backend name, or a backend object (its ``.name`` is used).
        shots: shots per circuit (0 for exact simulation); also sets the default
            barren-plateau threshold.
        code_version: defaults to ``git describe`` of the code, else its package version.
        attributes: extra run-span attributes (non-``quantum.*`` ones are MLflow params too).
        detectors: replaces the defaults (barren plateau, divergence, stall); copied per run.
        on_detection: ``callback(run, detection)`` when a detector starts or stops
            firing; call ``run.stop()`` or raise :class:`StopTraining` to end the run.
        strict: raise ValueError on bad inputs instead of recording an anomaly.
        step_spans: ``"auto"`` (record_step rolls the current step span) or
            ``"explicit"`` (only ``with run.step():`` makes one current).
        metrics_interval: export step metrics at most this often, in seconds
            (0: every step); detector flags and the run's end always export at once.
        params: run parameters for MLflow (optimizer and its settings, noise model, ...).
        mlflow: log the run to MLflow (True, or a
            :class:`~qobserve.training.mlflow_settings.MlflowSettings`); see
            :mod:`qobserve.training.mlflow_log` for what is logged.
        mlflow_tracking_uri: MLflow server or store (default ``MLFLOW_TRACKING_URI``);
            implies ``mlflow=True``.
        mlflow_experiment: MLflow experiment name (default ``experiment``); implies ``mlflow=True``.
        tracer_provider: default the global tracer provider.
        meter_provider: default the global meter provider.

    Returns:
        A :class:`TrainingTracker`. ``with`` yields a :class:`TrainingRun`;
        as a decorator each call of the function is a run, passed as ``run=`` if
        the function has such a parameter (else use :func:`current_run`).
        :class:`StopTraining` ends the run cleanly (a decorated function then returns None).

    Raises:
        ValueError: naming the bad option (empty experiment, negative shots, ...).
    """
    if not isinstance(experiment, str) or not experiment.strip():
        raise ValueError(f"experiment: must be a non-empty name, got {experiment!r}")
    if step_spans not in ("auto", "explicit"):
        raise ValueError(f"step_spans: must be 'auto' or 'explicit', got {step_spans!r}")
    if shots is not None and not (isinstance(shots, int) and shots >= 0):
        raise ValueError(f"shots: must be an int >= 0 (0 for exact simulation), got {shots!r}")
    if detectors is not None and not all(isinstance(d, Detector) for d in detectors):
        raise ValueError("detectors: each needs name, metric and observe(step)")
    if not metrics_interval >= 0:
        raise ValueError(f"metrics_interval: must be >= 0 seconds, got {metrics_interval!r}")
    meta = {
        Attr.TRAINING_SEED: seed,
        Attr.TRAINING_ANSATZ: ansatz,
        Attr.TRAINING_ANSATZ_DEPTH: depth,
        Attr.CIRCUIT_QUBITS: qubits,
        Attr.BACKEND: getattr(backend, "name", backend),
        Attr.TRAINING_SHOTS: shots,
    }
    return TrainingTracker(
        experiment,
        meta=meta,
        code_version=code_version,
        attributes=dict(attributes or {}),
        detectors=detectors,
        on_detection=on_detection,
        strict=strict,
        step_spans=step_spans,
        metrics_interval=float(metrics_interval),
        params=dict(params or {}),
        mlflow=settings_from(mlflow, mlflow_tracking_uri, mlflow_experiment),
        providers=(tracer_provider, meter_provider),
    )
