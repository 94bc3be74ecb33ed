"""``qobserve cost estimate``: print an offline estimate with its price source and date."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import typer

from qobserve.cost.estimate import estimate
from qobserve.cost.table import PricingError, current_table, load_table

__all__ = ["run_estimate"]


def run_estimate(
    backend: str,
    shots: int,
    circuits: int = 1,
    *,
    prices: Path | None = None,
    as_json: bool = False,
    echo: Callable[..., None] = typer.echo,
) -> int:
    """Print the estimate; returns the exit code (2 for a bad spec or pricing file).

    An unpriced backend (Google by default, unknown devices) prints $0 with a
    warning on stderr and ``"priced": false`` in JSON, and exits 0.
    """
    try:
        table = load_table(prices) if prices is not None else current_table()
    except PricingError as exc:
        option = "--prices" if prices is not None else "QOBSERVE_PRICES"
        echo(f"error: qobserve cost estimate: {option}: {_one_line(exc)}", err=True)
        return 2
    try:
        est = estimate(backend, shots, circuits, table=table)
    except (PricingError, ValueError) as exc:
        message = _one_line(exc).removeprefix("backend: ")
        echo(f"error: qobserve cost estimate: --backend: {message}", err=True)
        return 2
    if as_json:
        echo(
            json.dumps(
                {
                    "backend": backend,
                    "shots": shots,
                    "circuits": circuits,
                    "usd": f"{est.usd.normalize():f}",
                    "priced": est.priced,
                    "source": est.source,
                    "price_date": est.price_date.isoformat(),
                    "breakdown": est.breakdown,
                }
            )
        )
    else:
        echo(f"{backend}: ${est.usd.normalize():f} for {circuits} circuit(s) x {shots} shots")
        echo(f"  {est.breakdown}")
        echo(f"  prices: {est.source}, dated {est.price_date.isoformat()}")
    if not est.priced:
        echo(f"warning: {est.breakdown}", err=True)
    return 0


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())
