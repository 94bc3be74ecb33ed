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

import re
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction

__all__ = [
    "DEFAULT_TIERS",
    "BurnWindow",
    "Tier",
    "format_duration",
    "format_float",
    "format_number",
    "parse_duration",
]

_UNITS_MS = {"d": 86_400_000, "h": 3_600_000, "m": 60_000, "s": 1000, "ms": 1}
_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$")


def parse_duration(text: str) -> int:
    """Parse a Prometheus-style duration (``30d``, ``1h30m``, ``500ms``) into milliseconds.

    Raises:
        ValueError: the text is not a positive duration in d/h/m/s/ms units.
    """
    match = _DURATION.match(text.strip()) if isinstance(text, str) else None
    if not match or not any(match.groups()):
        raise ValueError(f"{text!r} is not a duration: use e.g. 30d, 6h, 5m, 30s or 1h30m")
    ms = sum(int(v) * _UNITS_MS[u] for v, u in zip(match.groups(), _UNITS_MS, strict=False) if v)
    if ms <= 0:
        raise ValueError(f"{text!r}: a duration must be positive")
    return ms


def format_duration(ms: int) -> str:
    """Render milliseconds as the shortest Prometheus duration (``2592000000`` → ``30d``)."""
    if ms <= 0:
        raise ValueError(f"duration must be positive, got {ms} ms")
    parts = []
    for unit, size in _UNITS_MS.items():
        count, ms = divmod(ms, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


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
    Tier("page", Fraction(2), parse_duration("1h"), parse_duration("5m")),
    Tier("page", Fraction(5), parse_duration("6h"), parse_duration("30m")),
    Tier("ticket", Fraction(10), parse_duration("1d"), parse_duration("2h")),
    Tier("ticket", Fraction(10), parse_duration("3d"), parse_duration("6h")),
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
