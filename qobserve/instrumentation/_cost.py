"""Price a finished job for the job recorder: the one place instrumentation calls pricing.

Instrumentation must never fail a user's job because a backend is unpriced or
a price file is bad: every problem here yields ``None`` (no cost recorded) and
a debug log line. Prices themselves live only in :mod:`qobserve.cost`.

Pricing is a pure function of its arguments and the current price table, and
runs at the end of every job: results are memoised per table (a call to
``qobserve.cost.use_prices`` starts a fresh memo), at most ``_MAX_MEMO`` of them.
"""

from __future__ import annotations

import logging

from qobserve.cost import job_cost
from qobserve.cost import table as _table
from qobserve.semconv import JobStatus

__all__ = ["job_cost_usd"]

log = logging.getLogger("qobserve.jobs")

_MAX_MEMO = 512
_memo: dict[tuple, float | None] = {}
_memo_table: object = None


def job_cost_usd(
    provider: str,
    backend: str,
    shots: int,
    tasks: int = 1,
    status: JobStatus = JobStatus.COMPLETED,
    billed: float | None = None,
) -> float | None:
    """USD of one job as :func:`qobserve.cost.job_cost` prices it, or None when unpriceable.

    Args:
        shots: shots per task; tasks: provider tasks in the job.
        billed: seconds the provider bills for the job, where it reports them.
    """
    global _memo_table
    # The table in use, read without current_table()'s lock (a plain attribute
    # read is atomic); None until the first pricing loads it.
    table = _table._current or _table.current_table()
    if table is not _memo_table:
        _memo.clear()
        _memo_table = table
    key = (provider, backend, shots, tasks, status, billed)
    try:
        return _memo[key]
    except KeyError:
        pass
    try:
        usd: float | None = float(
            job_cost(
                provider,
                backend,
                shots=shots,
                tasks=tasks,
                status=status.value,
                billed_seconds=billed,
                table=table,
            )
        )
    except Exception as exc:  # unpriced backend, bad arguments: observe, don't fail
        log.debug("qobserve: no price for %s %s (%s)", provider, backend, type(exc).__name__)
        usd = None
    if len(_memo) >= _MAX_MEMO:
        _memo.clear()
    _memo[key] = usd
    return usd
