"""How a training run logs to MLflow: :class:`MlflowSettings` and ``track_training``'s options."""

from __future__ import annotations

from dataclasses import dataclass, replace

__all__ = ["MlflowSettings", "settings_from"]


@dataclass(frozen=True)
class MlflowSettings:
    """How a run logs to MLflow; ``track_training(mlflow=MlflowSettings(...))``.

    Attributes:
        tracking_uri: default ``MLFLOW_TRACKING_URI``, else MLflow's own default.
        experiment: MLflow experiment name; default the training experiment.
        run_id: join this run (default: ``MLFLOW_RUN_ID``, else the active
            ``mlflow.start_run()`` run, else a new run).
        run_name: name of a new run (MLflow makes one up otherwise).
        flush_interval: seconds between batches.
        queue_size: items (steps, tags, jobs) held while MLflow is slow; past it they are dropped.
        retry_budget: seconds a failing batch is retried before it is dropped; after
            that, one attempt per batch until MLflow answers again.
        request_timeout: seconds per HTTP request (``MLFLOW_HTTP_REQUEST_TIMEOUT`` wins).
        close_timeout: seconds the run's end waits for the last batches and artifacts.
        histogram_jobs: jobs whose measurement counts are stored as artifacts.
        job_id_tag_limit: up to this many job ids go in a tag; more go to ``jobs.json`` only.
        plot: log ``loss_snr.png`` at the end (needs matplotlib).
    """

    tracking_uri: str | None = None
    experiment: str | None = None
    run_id: str | None = None
    run_name: str | None = None
    flush_interval: float = 1.0
    queue_size: int = 10_000
    retry_budget: float = 30.0
    request_timeout: float = 10.0
    close_timeout: float = 15.0
    histogram_jobs: int = 10
    job_id_tag_limit: int = 20
    plot: bool = True


def settings_from(
    mlflow, tracking_uri: str | None, experiment: str | None
) -> MlflowSettings | None:
    """``track_training``'s ``mlflow=``/``mlflow_tracking_uri=``/``mlflow_experiment=`` → settings.

    None when MLflow logging is off (``mlflow`` false and no URI or experiment given).
    """
    if isinstance(mlflow, MlflowSettings):
        base = mlflow
    elif mlflow or tracking_uri or experiment:
        base = MlflowSettings()
    else:
        return None
    if tracking_uri or experiment:
        base = replace(
            base,
            tracking_uri=tracking_uri or base.tracking_uri,
            experiment=experiment or base.experiment,
        )
    return base
