"""Durations and multi-window multi-burn-rate tiers, computed exactly.

Burn-rate factors follow the SRE Workbook, chapter 5 ("Alerting on SLOs",
multiwindow, multi-burn-rate alerts) in the form Sloth uses: a tier alerts when
``budget_percent`` of the period's error budget would be consumed within the
tier's long window, so ``factor = budget_percent/100 × period / long_window``
(2 % in 1h of 30d → 14.4; 5 % in 6h → 6; 10 % in 1d → 3; 10 % in 3d → 1).
Everything is a :class:`fractions.Fraction` so thresholds print as ``0.0144``
rather than ``14.4 * 0.0009999999999999432``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction

from qobserve._validation import duration_ms, format_duration

__all__ = [
    "DEFAULT_TIERS",
    "BurnWindow",
    "Tier",
    "format_duration",
    "format_float",
    "format_number",
]


def format_number(value: Fraction | int) -> str:
    """Render an exact number as a short decimal (``Fraction(18, 1250)`` → ``0.0144``).

    Terminating fractions print exactly; others (a 1/3 budget) print with 15
    significant digits, which is beyond what a float threshold can resolve.
    """
    value = Fraction(value)
    den = value.denominator
    for p in (2, 5):
        while den % p == 0:
            den //= p
    if den != 1:
        return f"{float(value):.15g}"
    with localcontext() as ctx:
        ctx.prec = 60
        text = format(Decimal(value.numerator) / Decimal(value.denominator), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_float(value: float) -> str:
    """A float from YAML as its shortest exact decimal (``0.99`` stays ``0.99``, 1e-06 → 0.000001)."""
    return format_number(Fraction(str(value)))


@dataclass(frozen=True)
class Tier:
    """One burn-rate window pair, defined against a reference period.

    ``budget_percent`` of the budget consumed within ``long`` fires the tier;
    ``short`` (conventionally long/12) makes it reset quickly once fixed.
    """

    severity_tier: str  # "page" or "ticket": which alert rule of the SLO it feeds
    budget_percent: Fraction
    long_ms: int
    short_ms: int


#: SRE Workbook table 5-8 windows for a 30-day SLO, expressed as budget percentages.
DEFAULT_TIERS: tuple[Tier, ...] = (
    Tier("page", Fraction(2), duration_ms("1h"), duration_ms("5m")),
    Tier("page", Fraction(5), duration_ms("6h"), duration_ms("30m")),
    Tier("ticket", Fraction(10), duration_ms("1d"), duration_ms("2h")),
    Tier("ticket", Fraction(10), duration_ms("3d"), duration_ms("6h")),
)


@dataclass(frozen=True)
class BurnWindow:
    """A tier resolved for one SLO: concrete windows, factor and error-ratio threshold."""

    tier: str
    long: str
    short: str
    long_ms: int
    factor: Fraction
    threshold: Fraction

    @classmethod
    def resolve(
        cls, tier: Tier, *, period_ms: int, objective_percent: Fraction, compression: int = 1
    ) -> BurnWindow:
        """Scale ``tier`` by ``compression`` and derive its factor for ``period_ms``.

        ``period_ms`` is already compressed; the factor is unchanged by compression
        because period and windows shrink together.
        """
        long_ms, short_ms = tier.long_ms // compression, tier.short_ms // compression
        factor = tier.budget_percent / 100 * Fraction(period_ms, long_ms)
        budget = 1 - objective_percent / 100
        return cls(
            tier.severity_tier,
            format_duration(long_ms),
            format_duration(short_ms),
            long_ms,
            factor,
            factor * budget,
        )
