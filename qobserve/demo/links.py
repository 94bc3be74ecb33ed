"""Where the local demo's links lead: the runbooks this checkout ships, the MLflow run.

Generated alerts link ``links.runbook_base_url`` + ``/runbooks/<Alert>.md``; the
committed spec points at the project's web repository, which a team replaces
with its own. A demo on a laptop links the files next to it instead, so every
runbook button and summary link opens a page that exists right here.
"""

from __future__ import annotations

from qobserve import conventions as conv
from qobserve.runbook_index import RUNBOOK_DIR

__all__ = ["local_runbook_base", "mlflow_run_url", "runbook_index_url"]


def local_runbook_base() -> str | None:
    """``file://`` URL of the checkout holding ``runbooks/``, for ``links.runbook_base_url``.

    Returns:
        None when qobserve runs from an install without the repository's runbooks.
    """
    return RUNBOOK_DIR.parent.as_uri() if (RUNBOOK_DIR / conv.RUNBOOK_INDEX).is_file() else None


def runbook_index_url() -> str | None:
    """``file://`` URL of the runbook index (one page per alert), or None without a checkout."""
    base = local_runbook_base()
    return conv.runbook_url(base) if base else None


def mlflow_run_url(tracking_uri: str, experiment: str) -> str | None:
    """The MLflow UI page of ``experiment``'s latest run, or None when there is none to show.

    A pointer is a convenience: a server that cannot answer gives None, not an error.

    Args:
        tracking_uri: the ``http://`` MLflow server the runs were logged to.
        experiment: the experiment name (``track_training``'s).
    """
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient(tracking_uri=tracking_uri)
    try:
        found = client.get_experiment_by_name(experiment)
        if found is None:
            return None
        runs = client.search_runs(
            [found.experiment_id], order_by=["attributes.start_time DESC"], max_results=1
        )
    except MlflowException:
        return None
    if not runs:
        return None
    base = tracking_uri.rstrip("/")
    return f"{base}/#/experiments/{found.experiment_id}/runs/{runs[0].info.run_id}"
