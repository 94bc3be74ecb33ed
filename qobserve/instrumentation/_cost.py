"""Price a finished job through :mod:`qobserve.cost`, when that module is present.

Instrumentation must never fail a user's job because pricing is unavailable
or a backend is unpriced: every problem here yields ``None`` (no cost recorded)
and a debug log line. Prices themselves live only in ``qobserve.cost``.
"""

from __future__ import annotations

import logging

__all__ = ["job_cost_usd"]

log = logging.getLogger("qobserve.jobs")


def job_cost_usd(
    provider: str,
    backend: str,
    *,
    shots: int,
    tasks: int = 1,
    status: str = "completed",
    billed_seconds: float | None = None,
) -> float | None:
    """Cost of one job in USD as ``qobserve.cost.job_cost`` prices it, or None."""
    try:
        from qobserve.cost import job_cost
    except ImportError:
        return None
    try:
        cost = job_cost(
            provider,
            backend,
            shots=shots,
            tasks=tasks,
            status=status,
            billed_seconds=billed_seconds,
        )
    except Exception as exc:  # unpriced backend, bad price file: observe, don't fail
        log.debug("qobserve: no price for %s %s (%s)", provider, backend, type(exc).__name__)
        return None
    return None if cost is None else float(cost)
