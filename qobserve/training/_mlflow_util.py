"""Helpers of :mod:`qobserve.training.mlflow_log`: entities, run params, counts, the plots.

Everything importing MLflow does so lazily: ``import mlflow`` takes seconds and
runs on the logging thread, never in the training loop.
"""

from __future__ import annotations

import importlib.metadata
import math
import os
import sys
import tempfile

__all__ = ["mlflow_trace_env"]

#: MLflow's limits on one param value and one tag value (characters).
PARAM_LIMIT, TAG_LIMIT = 6000, 8000
#: Distribution of each SDK family whose version is logged when it is imported.
SDK_DISTRIBUTIONS = {
    "qiskit": ("qiskit", "qiskit-aer", "qiskit-ibm-runtime"),
    "cirq": ("cirq-core", "cirq-google"),
    "braket": ("amazon-braket-sdk",),
    "stim": ("stim",),
}


def metric(key: str, value, timestamp_ms: int, step: int):
    from mlflow.entities import Metric

    return Metric(key, float(value), timestamp_ms, int(step))


def param(key: str, value):
    from mlflow.entities import Param

    return Param(key, str(value)[:PARAM_LIMIT])


def run_tag(key: str, value):
    from mlflow.entities import RunTag

    return RunTag(key, str(value)[:TAG_LIMIT])


def active_run_id() -> str | None:
    """``MLFLOW_RUN_ID``, else the fluent API's active run (only if MLflow is already imported)."""
    if os.environ.get("MLFLOW_RUN_ID"):
        return os.environ["MLFLOW_RUN_ID"]
    fluent = sys.modules.get("mlflow")
    run = fluent.active_run() if fluent is not None else None
    return run.info.run_id if run is not None else None


def experiment_id(client, name: str) -> str:
    """Id of the experiment ``name``, created if missing (another process may race us)."""
    from mlflow.exceptions import MlflowException

    found = client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    try:
        return client.create_experiment(name)
    except MlflowException:
        found = client.get_experiment_by_name(name)
        if found is None:
            raise
        return found.experiment_id


def permanent(exc: BaseException) -> bool:
    """True for errors a retry cannot fix (MLflow's 4xx: bad params, conflicts, not found)."""
    code = getattr(exc, "get_http_status_code", None)
    try:
        status = code() if code else None
    except Exception:
        status = None
    return status is not None and 400 <= status < 500 and status not in (408, 429)


def short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text[:200]}"


def versions() -> dict[str, str]:
    """``version.qobserve`` and ``version.<dist>`` of every imported SDK family's distributions."""
    from qobserve import __version__

    out = {"version.qobserve": __version__}
    for module, dists in SDK_DISTRIBUTIONS.items():
        if module not in sys.modules:
            continue
        for dist in dists:
            try:
                out[f"version.{dist}"] = importlib.metadata.version(dist)
            except importlib.metadata.PackageNotFoundError:
                pass
    return out


def counts_of(result) -> list[dict] | None:
    """Measurement counts of an SDK result, one dict per circuit, or None.

    Qiskit ``Result`` (``backend.run``) and ``PrimitiveResult`` of SamplerV2 (every
    classical register of every pub); Braket ``measurement_counts``; Cirq
    ``Result.multi_measurement_histogram`` over all keys; a list (Braket's tasks of
    a batch, Cirq's sweep or batch) gives its items' counts in order.
    """
    if isinstance(result, list | tuple):
        out = [c for item in result for c in counts_of(item) or ()]
        return out or None
    try:
        if hasattr(result, "get_counts") and hasattr(result, "results"):  # qiskit Result
            counts = result.get_counts()
            return [dict(c) for c in (counts if isinstance(counts, list) else [counts])]
        if hasattr(result, "measurement_counts"):  # braket
            return [dict(result.measurement_counts)]
        if hasattr(result, "multi_measurement_histogram") and hasattr(result, "measurements"):
            keys = sorted(result.measurements)
            hist = result.multi_measurement_histogram(keys=keys)
            return [{"".join(map(str, k)): int(v) for k, v in hist.items()}]
        out = []
        for pub in result:  # qiskit PrimitiveResult: SamplerV2 pubs
            data = getattr(pub, "data", None)
            for name in getattr(data, "keys", lambda: [])():
                field = getattr(data, name)
                if hasattr(field, "get_counts"):
                    out.append({"register": name, **field.get_counts()})
        return out or None
    except Exception:  # counts are a bonus; an unknown result shape is not an error
        return None


def log_rb(client, run_id: str, result, *, plot: bool) -> None:
    """An RB probe's result as ``rb/result.json`` (the ``qobserve rb --json`` document)
    and, with ``plot`` and matplotlib installed, its decay curve as ``rb/decay.png``."""
    client.log_dict(run_id, result.to_json(), "rb/result.json")
    if not plot:
        return
    from qobserve.benchmarking.plot import render_png

    try:
        png = render_png(result)
    except ImportError:  # matplotlib is optional: the JSON says it all
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "decay.png")
        with open(path, "wb") as f:
            f.write(png)
        client.log_artifact(run_id, path, "rb")


def log_plot(client, run_id: str, history: dict[str, list]) -> None:
    """Loss and gradient SNR against step, as ``loss_snr.png``."""
    from matplotlib.figure import Figure  # not pyplot: no global state, safe off the main thread

    fig = Figure(figsize=(8, 5), layout="constrained")
    ax_loss, ax_snr = fig.subplots(2, 1, sharex=True)
    for ax, key, label in ((ax_loss, "loss", "loss"), (ax_snr, "gradient_snr", "gradient SNR")):
        points = [(s, v) for s, v in history.get(key, ()) if math.isfinite(v)]
        if points:
            ax.plot(*zip(*points, strict=False), lw=1.2)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    if any(v > 0 for _, v in history.get("gradient_snr", ())):
        ax_snr.set_yscale("log")
    ax_snr.set_xlabel("step")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "loss_snr.png")
        fig.savefig(path, dpi=100)
        client.log_artifact(run_id, path)


def mlflow_trace_env(experiment: str, tracking_uri: str | None = None) -> dict[str, str]:
    """The ``OTEL_*`` variables that send ``configure()``'s traces to an MLflow experiment.

    Looks the experiment up (creating it if missing) on the tracking server and
    returns ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=<server>/v1/traces`` and
    ``OTEL_EXPORTER_OTLP_TRACES_HEADERS=x-mlflow-experiment-id=<id>``; put them in
    ``os.environ`` (or the process's environment) before ``qobserve.configure()``.

    Args:
        experiment: MLflow experiment name (use the ``track_training`` experiment,
            so its runs and their traces share it).
        tracking_uri: an ``http(s)://`` MLflow server; default ``MLFLOW_TRACKING_URI``.

    Raises:
        ValueError: the tracking URI is not an HTTP server (a file or database
            store has no OTLP endpoint).
    """
    from mlflow import MlflowClient

    uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI", "")
    if not uri.startswith(("http://", "https://")):
        raise ValueError(
            f"tracking_uri: traces need an MLflow server (http://HOST:PORT), got {uri!r}"
        )
    exp_id = experiment_id(MlflowClient(tracking_uri=uri), experiment)
    return {
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"{uri.rstrip('/')}/v1/traces",
        "OTEL_EXPORTER_OTLP_TRACES_HEADERS": f"x-mlflow-experiment-id={exp_id}",
    }
