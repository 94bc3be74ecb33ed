"""MLflow logging of a training run: asynchronous, batched, bounded, never in the loop's way.

``track_training(experiment, mlflow=True)`` (or ``mlflow_tracking_uri=``) gives
the run an :class:`MlflowLog`. The loop's thread only appends a tuple to a
bounded deque (a few microseconds a step); one daemon thread imports MLflow,
opens or joins the run and sends what piled up every ``flush_interval`` seconds
with ``MlflowClient.log_batch`` (at most 1000 metrics, 100 params, 100 tags a
request, MLflow's limits). What is logged:

* params: seed, ansatz, depth, qubits, backend, shots, code version, qobserve and
  SDK versions, ``params=`` (optimizer, learning rate, noise model …) and ``attributes=``;
* metrics per step (``step`` = the step index): ``loss``, ``gradient_norm``,
  ``gradient_snr``, ``gradient_variance``, ``shot_variance``, ``step_time``;
  ``validation_<name>`` for ``record_validation``;
* tags: ``otel.trace_id`` (the run span's trace id, 32 hex digits; the run span
  gets ``mlflow.run_id`` back), ``quantum.experiment``, ``quantum.backend``, the
  latest backend calibration timestamp seen on a job, ``qobserve.job_ids`` (or
  ``qobserve.job_count`` and a ``jobs.json`` artifact for long runs) and
  ``qobserve.detector.<name>`` verdicts;
* artifacts: ``histograms/job-<n>.json`` (counts of the first ``histogram_jobs``
  jobs with results), ``jobs.json``, and ``loss_snr.png`` at the end; when an RB
  probe ran during the run (:meth:`~qobserve.training.run.TrainingRun.record_rb`,
  called by :func:`~qobserve.benchmarking.probe.run_rb` itself), the last one's
  ``rb/result.json`` and ``rb/decay.png``.

Failure model. Every request has MLflow's own timeout and no MLflow-side
retries (``MLFLOW_HTTP_REQUEST_TIMEOUT``/``MLFLOW_HTTP_REQUEST_MAX_RETRIES``,
set only if you have not set them); this module retries a batch with backoff
for at most ``retry_budget`` seconds and then drops it (and tries later
batches once each until one goes through). Each failed attempt
counts in ``qobserve_mlflow_log_failures_total{error_type}``, each value given up
on in ``qobserve_mlflow_dropped_total``; the first failure of a run is logged
once as a warning (later ones at debug, a recovery at info). Prometheus metrics
do not go through here, so they are complete whatever MLflow does. At the end of
the run the worker gets ``close_timeout`` seconds to drain, then is abandoned.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from typing import Any

from qobserve.instrumentation import _job
from qobserve.semconv import QOBSERVE_MLFLOW_DROPPED_TOTAL, QOBSERVE_MLFLOW_LOG_FAILURES_TOTAL, Attr
from qobserve.training import _mlflow_util as util
from qobserve.training.mlflow_settings import MlflowSettings

__all__ = ["MlflowLog", "MlflowSettings", "open_log"]

log = logging.getLogger("qobserve.training.mlflow")

#: MLflow's log_batch limits per request.
MAX_METRICS, MAX_PARAMS, MAX_TAGS = 1000, 100, 100
_FAILURES, _DROPPED = QOBSERVE_MLFLOW_LOG_FAILURES_TOTAL, QOBSERVE_MLFLOW_DROPPED_TOTAL
_STEP_KEYS = (
    "loss",
    "gradient_norm",
    "gradient_snr",
    "gradient_variance",
    "shot_variance",
    "step_time",
)


class MlflowLog:
    """One run's MLflow sink: hot-path methods enqueue, a worker thread sends."""

    def __init__(
        self,
        experiment: str,
        settings: MlflowSettings,
        telemetry,
        *,
        trace_id: int = 0,
        params: dict | None = None,
        tags: dict | None = None,
    ) -> None:
        self.settings = settings
        self.experiment = settings.experiment or experiment
        self.run_id: str | None = settings.run_id
        self.experiment_id: str | None = None
        self.trace_id = f"{trace_id:032x}" if trace_id else None
        self._labels = {Attr.EXPERIMENT.value: experiment}
        self._t = telemetry
        self._q: deque = deque()
        self._dropped_items = 0  # counted on the worker, not in the loop
        self._closing = threading.Event()
        self._ready = threading.Event()
        self._params = {k: v for k, v in (params or {}).items() if v is not None}
        self._tags = {k: v for k, v in (tags or {}).items() if v is not None}
        if self.trace_id:
            self._tags["otel.trace_id"] = self.trace_id
        self._failing = False
        self._degraded = False
        self._warned = False
        self._joined = False
        self._jobs: list[dict] = []
        self._histograms = 0
        self._history: dict[str, list] = {"loss": [], "gradient_snr": []}
        self._rb = None  # the last RB probe's result, logged at the end
        self._client: Any = None  # an MlflowClient, made on the worker (importing MLflow is slow)
        os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", str(int(settings.request_timeout)))
        os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
        _job.add_job_listener(self._on_job)
        self._thread = threading.Thread(target=self._work, name="qobserve-mlflow", daemon=True)
        self._thread.start()

    # -- hot path (the loop's thread) -------------------------------------------
    def _put(self, item) -> None:
        if len(self._q) >= self.settings.queue_size:
            self._dropped_items += 1
            return
        self._q.append(item)

    def step(
        self, index: int, loss, stats, shot_variance, elapsed: float, timestamp_ms: int
    ) -> None:
        """Queue step ``index``'s metrics; ``elapsed`` (``step_time``): seconds since the last step."""
        if stats is None:
            norm = snr = var = None
        else:
            norm, snr, var = stats.norm, stats.snr_median, stats.variance
        self._put(("step", index, timestamp_ms, (loss, norm, snr, var, shot_variance, elapsed)))

    def validation(self, index: int, scores: dict[str, float]) -> None:
        """Queue ``validation_<name>`` metrics at step ``index``."""
        self._put(
            (
                "metrics",
                index,
                int(time.time() * 1000),
                {f"validation_{k}": v for k, v in scores.items()},
            )
        )

    def rb(self, result) -> None:
        """Keep an RB probe's result; the last one is logged when the run ends."""
        self._rb = result

    def tag(self, key: str, value) -> None:
        """Queue a run tag."""
        self._put(("tag", key, str(value)))

    def _on_job(self, record, status, result) -> None:
        # Job listener: any thread; keep only this run's jobs (same trace).
        ctx = record.span.get_span_context()
        if self.trace_id is None or f"{ctx.trace_id:032x}" != self.trace_id:
            return
        attrs = getattr(record.span, "attributes", None) or {}
        job = {
            "job_id": record.job_id,
            "status": getattr(status, "value", str(status)),
            "backend": record.labels.get(Attr.BACKEND.value),
            "shots": attrs.get(Attr.JOB_SHOTS.value),
            "calibration_timestamp": attrs.get(Attr.CALIBRATION_TIMESTAMP.value),
        }
        # Results are held until the worker reads their counts (it counts the histograms
        # logged), so only while the sample is not yet full.
        keep = result if self._histograms < self.settings.histogram_jobs else None
        self._put(("job", job, keep))

    # -- end of run -----------------------------------------------------------
    def close(self, status: str = "FINISHED", *, firing: dict | None = None) -> str | None:
        """Send what is left, artifacts and the run's end; wait at most ``close_timeout``.

        Returns:
            The MLflow run id, or None if the run could not be opened in time.
        """
        _job.remove_job_listener(self._on_job)
        self._put(("tag", "qobserve.detectors.firing", ",".join(sorted(firing or ())) or "none"))
        self._end_status = status
        self._closing.set()
        self._thread.join(self.settings.close_timeout)
        if self._thread.is_alive():
            # Logged once: after a failure warning this is its consequence, not news.
            (log.info if self._warned else log.warning)(
                "mlflow: run %s not fully logged within %.0f s; giving up on the rest",
                self.run_id,
                self.settings.close_timeout,
            )
        return self.run_id

    @property
    def run_url(self) -> str | None:
        """The run's page in the MLflow UI (``<server>/#/experiments/<id>/runs/<run id>``),
        once the run is open and when the tracking URI is an HTTP server."""
        uri = self.settings.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI", "")
        if not (self._ready.is_set() and self.experiment_id and uri.startswith("http")):
            return None
        return f"{uri.rstrip('/')}/#/experiments/{self.experiment_id}/runs/{self.run_id}"

    def wait_run_id(self, timeout: float | None = None) -> str | None:
        """The MLflow run id once the worker opened or joined the run (None on timeout)."""
        self._ready.wait(timeout)
        return self.run_id

    # -- worker ---------------------------------------------------------------
    def _work(self) -> None:
        self._deadline = float("inf")
        try:
            from mlflow import MlflowClient

            self._client = MlflowClient(tracking_uri=self.settings.tracking_uri)
        except Exception as exc:  # mlflow not installed, bad URI
            self._fail(exc, "client")
            self._drop_all()
            return
        while True:
            closing = self._closing.wait(self.settings.flush_interval)
            if closing:
                self._deadline = time.monotonic() + self.settings.close_timeout - 0.5
            if self.run_id is None or not self._ready.is_set():
                self._open_run()
            if self._ready.is_set():
                self._drain()
            if closing:
                break
        if self._ready.is_set():
            self._finish()
        self._drop_all()

    def _open_run(self) -> None:
        if self.run_id is None:
            self.run_id = self._attempt("open run", self._create_run)
            if self.run_id is None:
                return
        else:
            self._joined = True
        if self.experiment_id is None:  # a joined run: its experiment may be any
            found = self._attempt("get run", lambda: self._client.get_run(self.run_id), quiet=True)
            self.experiment_id = found.info.experiment_id if found is not None else None
        tags = [util.run_tag(k, v) for k, v in self._tags.items()]
        params = [util.param(k, v) for k, v in self._params.items()]
        for i in range(0, max(len(params), len(tags)), MAX_PARAMS):
            self._send([], params[i : i + MAX_PARAMS], tags[i : i + MAX_TAGS])
        self._ready.set()

    def _create_run(self) -> str:
        joined = util.active_run_id()
        if joined is not None:
            self._joined = True
            return joined
        self.experiment_id = util.experiment_id(self._client, self.experiment)
        return self._client.create_run(
            self.experiment_id, run_name=self.settings.run_name
        ).info.run_id

    def _drain(self) -> None:
        dropped, self._dropped_items = self._dropped_items, 0  # may miss one racing increment
        self._drop(dropped)
        metrics, tags = [], []
        while self._q:
            kind, *rest = self._q.popleft()
            if kind == "step":
                metrics.extend(self._step_metrics(*rest))
            elif kind == "metrics":
                index, ts, values = rest
                metrics.extend(util.metric(k, v, ts, index) for k, v in values.items())
            elif kind == "tag":
                tags.append(util.run_tag(*rest))
            elif kind == "job":
                tags.extend(self._job(*rest))
            if len(metrics) >= MAX_METRICS or len(tags) >= MAX_TAGS:
                self._send(metrics, [], tags)
                metrics, tags = [], []
        if metrics or tags:
            self._send(metrics, [], tags)

    def _step_metrics(self, index: int, ts: int, values: tuple) -> list:
        out = []
        for key, value in zip(_STEP_KEYS, values, strict=False):
            if value is not None:
                out.append(util.metric(key, value, ts, index))
                if key in self._history and len(self._history[key]) < 100_000:
                    self._history[key].append((index, value))
        return out

    def _job(self, job: dict, result) -> list:
        tags = []
        if len(self._jobs) < 100_000:
            self._jobs.append(job)
        calibrated = job.get("calibration_timestamp")
        if calibrated is not None:
            tags.append(util.run_tag(Attr.CALIBRATION_TIMESTAMP.value, calibrated))
        if result is not None and self._histograms < self.settings.histogram_jobs:
            counts = util.counts_of(result)
            if counts is not None:
                self._histograms += 1
                n = len(self._jobs)
                self._attempt(
                    "histogram",
                    self._client.log_dict,
                    self.run_id,
                    {**job, "counts": counts},
                    f"histograms/job-{n}.json",
                )
        return tags

    def _finish(self) -> None:
        tags = [util.run_tag("qobserve.job_count", len(self._jobs))]
        ids = [j["job_id"] for j in self._jobs if j.get("job_id")]
        if ids and len(ids) <= self.settings.job_id_tag_limit:
            tags.append(util.run_tag("qobserve.job_ids", ",".join(ids)))
        self._send([], [], tags)
        if self._jobs:
            self._attempt(
                "jobs.json", self._client.log_dict, self.run_id, {"jobs": self._jobs}, "jobs.json"
            )
        if self._rb is not None:
            self._attempt(
                "rb", util.log_rb, self._client, self.run_id, self._rb, plot=self.settings.plot
            )
        if self.settings.plot and self._history["loss"]:
            self._attempt("plot", util.log_plot, self._client, self.run_id, self._history)
        if (
            self.trace_id
            and self._attempt(
                "link trace",
                self._client.link_traces_to_run,
                [f"tr-{self.trace_id}"],
                self.run_id,
                quiet=True,
            )
            is None
        ):
            # The trace reaches MLflow's /v1/traces only when the span processor exports
            # its first spans (5 s batches by default); try again a while from a daemon thread.
            threading.Thread(
                target=self._link_later, name="qobserve-mlflow-link", daemon=True
            ).start()
        if not self._joined:
            self._attempt("end run", self._client.set_terminated, self.run_id, self._end_status)

    def _link_later(self, attempts: int = 15, every: float = 2.0) -> None:
        for _ in range(attempts):
            time.sleep(every)
            if (
                self._attempt(
                    "link trace",
                    self._client.link_traces_to_run,
                    [f"tr-{self.trace_id}"],
                    self.run_id,
                    quiet=True,
                )
                is not None
            ):
                return

    def _send(self, metrics: list, params: list, tags: list) -> None:
        if (
            self._attempt(
                "log_batch",
                self._client.log_batch,
                self.run_id,
                metrics,
                params,
                tags,
                synchronous=True,
            )
            is None
        ):
            self._drop(len(metrics) + len(params) + len(tags))

    def _attempt(self, what: str, fn, *args, quiet: bool = False, **kwargs):
        """Call ``fn`` with retries within the budget; its result, or None when given up."""
        start, delay = time.monotonic(), 0.25
        while True:
            try:
                out = fn(*args, **kwargs)
            except Exception as exc:
                if quiet:
                    log.debug("mlflow: %s failed: %r", what, exc)
                    return None
                self._fail(exc, what)
                now = time.monotonic()
                if util.permanent(exc):
                    return None
                if (
                    self._degraded
                    or now - start + delay > self.settings.retry_budget
                    or now + delay > self._deadline
                ):
                    # A batch that spent its budget puts the sink in degraded mode: one
                    # attempt per batch until one succeeds, so a dead server cannot make
                    # every batch wait out a budget (or the run's end wait for all of them).
                    self._degraded = True
                    return None
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            self._degraded = False
            if self._failing:
                self._failing = False
                log.info("mlflow: logging to %s works again", self.experiment)
            return True if out is None else out

    def _fail(self, exc: BaseException, what: str) -> None:
        self._failing = True
        self._t[_FAILURES].add(1, {**self._labels, Attr.ERROR_TYPE.value: type(exc).__name__})
        if not self._warned:
            self._warned = True
            log.warning(
                "mlflow: %s failed for experiment %s (%s); retrying for up to %.0f s a "
                "batch, counted in %s; Prometheus metrics are unaffected",
                what,
                self.experiment,
                util.short(exc),
                self.settings.retry_budget,
                _FAILURES,
            )
        else:
            log.debug("mlflow: %s failed: %s", what, util.short(exc))

    def _drop(self, n: int) -> None:
        if n:
            self._t[_DROPPED].add(n, self._labels)

    def _drop_all(self) -> None:
        n, self._dropped_items = self._dropped_items, 0
        n += len(self._q)
        self._q.clear()
        self._drop(n)


_PARAM_NAMES = {
    Attr.TRAINING_SEED: "seed",
    Attr.TRAINING_ANSATZ: "ansatz",
    Attr.TRAINING_ANSATZ_DEPTH: "depth",
    Attr.CIRCUIT_QUBITS: "qubits",
    Attr.BACKEND: "backend",
    Attr.TRAINING_SHOTS: "shots",
}


def open_log(
    experiment: str,
    settings: MlflowSettings,
    telemetry,
    span,
    *,
    meta: dict,
    span_attributes: dict,
    params: dict | None,
) -> MlflowLog:
    """The :class:`MlflowLog` of a run starting now, with the run's params and tags."""
    all_params = {name: meta.get(key) for key, name in _PARAM_NAMES.items()}
    all_params["code_version"] = span_attributes.get(Attr.TRAINING_CODE_VERSION.value)
    all_params.update(util.versions())
    all_params.update({k: v for k, v in span_attributes.items() if not k.startswith("quantum.")})
    all_params.update(params or {})
    tags = {Attr.EXPERIMENT.value: experiment, Attr.BACKEND.value: all_params.get("backend")}
    return MlflowLog(
        experiment,
        settings,
        telemetry,
        trace_id=span.get_span_context().trace_id,
        params=all_params,
        tags=tags,
    )
