"""The demo's SLI table, computed from the same registry that serves ``/metrics``.

Reading the exported samples (rather than counting in the demo code) means the
table shows exactly what Prometheus would scrape.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from rich import box
from rich.table import Table

from qobserve.semconv import (
    QUANTUM_BACKEND_CALIBRATION_TIMESTAMP_SECONDS,
    QUANTUM_BUDGET_LIMIT_USD,
    QUANTUM_BUDGET_SPENT_USD,
    QUANTUM_JOB_COST_USD_TOTAL,
    QUANTUM_JOB_DURATION_SECONDS,
    QUANTUM_JOB_SHOTS_TOTAL,
    QUANTUM_JOBS_TOTAL,
    QUANTUM_TRAINING_GRADIENT_SNR,
    QUANTUM_TRAINING_GRADIENT_VARIANCE,
    QUANTUM_TRAINING_LOSS,
    QUANTUM_TRAINING_STEPS_TOTAL,
    Attr,
    JobStatus,
    metric,
)

__all__ = ["BackendSLI", "backend_slis", "histogram_quantile", "sli_table"]

_P, _B = Attr.PROVIDER.value.replace(".", "_"), Attr.BACKEND.value.replace(".", "_")
_STATUS = Attr.JOB_STATUS.value.replace(".", "_")


@dataclass
class BackendSLI:
    provider: str
    backend: str
    jobs: float = 0.0
    completed: float = 0.0
    shots: float = 0.0
    cost_usd: float = 0.0
    p50_s: float = math.nan
    p95_s: float = math.nan
    calibration_age_s: float | None = None

    @property
    def success_ratio(self) -> float:
        return self.completed / self.jobs if self.jobs else math.nan


def histogram_quantile(q: float, buckets: list[tuple[float, float]]) -> float:
    """Prometheus' ``histogram_quantile``: linear interpolation inside the bucket.

    Args:
        q: quantile in [0, 1].
        buckets: (upper bound, cumulative count), ascending, ending with +Inf.
    """
    if not buckets or buckets[-1][1] == 0:
        return math.nan
    rank = q * buckets[-1][1]
    lower_bound, lower_count = 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if math.isinf(bound):
                return lower_bound
            if count == lower_count:
                return bound
            return lower_bound + (bound - lower_bound) * (rank - lower_count) / (
                count - lower_count
            )
        lower_bound, lower_count = bound, count
    return math.nan


def _samples(registry):
    for family in registry.collect():
        yield from family.samples


def backend_slis(registry, now: float | None = None) -> list[BackendSLI]:
    """Per-backend SLIs from the samples in ``registry``."""
    now = time.time() if now is None else now
    rows: dict[tuple[str, str], BackendSLI] = {}
    buckets: dict[tuple[str, str], dict[float, float]] = defaultdict(lambda: defaultdict(float))

    def row(labels) -> BackendSLI:
        key = (labels.get(_P, ""), labels.get(_B, ""))
        return rows.setdefault(key, BackendSLI(*key))

    jobs = metric(QUANTUM_JOBS_TOTAL).prom_name
    shots = metric(QUANTUM_JOB_SHOTS_TOTAL).prom_name
    cost = metric(QUANTUM_JOB_COST_USD_TOTAL).prom_name
    duration = metric(QUANTUM_JOB_DURATION_SECONDS).prom_name + "_bucket"
    calib = metric(QUANTUM_BACKEND_CALIBRATION_TIMESTAMP_SECONDS).prom_name
    for s in _samples(registry):
        if s.name == jobs:
            r = row(s.labels)
            r.jobs += s.value
            if s.labels.get(_STATUS) == JobStatus.COMPLETED.value:
                r.completed += s.value
        elif s.name == shots:
            row(s.labels).shots += s.value
        elif s.name == cost:
            row(s.labels).cost_usd += s.value
        elif s.name == duration:
            key = (s.labels.get(_P, ""), s.labels.get(_B, ""))
            buckets[key][float(s.labels["le"])] += s.value
        elif s.name == calib:
            row(s.labels).calibration_age_s = now - s.value
    for key, by_bound in buckets.items():
        ordered = sorted(by_bound.items())
        r = rows.setdefault(key, BackendSLI(*key))
        r.p50_s = histogram_quantile(0.5, ordered)
        r.p95_s = histogram_quantile(0.95, ordered)
    return sorted(rows.values(), key=lambda r: (r.provider, r.backend))


def _fmt_seconds(v: float | None) -> str:
    if v is None or math.isnan(v):
        return "–"
    for limit, unit, scale in ((1, "ms", 1000), (3600, "s", 1), (2 * 86400, "h", 1 / 3600)):
        if v < limit:
            return f"{v * scale:.0f}{unit}" if v * scale >= 10 else f"{v * scale:.1f}{unit}"
    return f"{v / 86400:.0f}d"


def _fmt_count(v: float) -> str:
    return f"{v:.0f}" if v < 10_000 else f"{v / 1000:.1f}k"


#: A calibration older than this on a demo backend is explained, not just shown: the
#: fake and virtual backends report the snapshot their SDK release bundles.
BUNDLED_CALIBRATION_AGE_S = 30 * 86400

SIMULATED_PRICE_NOTE = (
    "* simulated price: local simulators cost $0; game-day backends are priced "
    "by their scenario as the cloud device they stand in for"
)
GAMEDAY_NOTE = "† game-day backend (name from the game-day scenario): {}"
BUNDLED_CALIBRATION_NOTE = (
    "‡ bundled calibration: fake and virtual backends report the calibration "
    "date shipped with their SDK, not a live device's"
)


def sli_table(
    registry, now: float | None = None, *, gameday: Mapping[str, str] | None = None
) -> Table:
    """A rich table of per-backend SLIs, with footnotes for what would look wrong.

    Args:
        registry: the registry the demo's ``/metrics`` serves.
        now: the time calibration ages are measured from (default: now).
        gameday: game-day rows, ``"provider:name"`` → the backend spec it runs on
            (e.g. ``{"qiskit:primary": "qiskit:aer"}``); those rows are marked †.

    Returns:
        The table; its caption holds a footnote for every mark used.
    """
    gameday = dict(gameday or {})
    table = Table(
        title="Service level indicators (from /metrics)",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
        caption_justify="left",
    )
    table.add_column("backend", no_wrap=True)
    for col in ("jobs", "success", "p50", "p95", "shots", "cost", "cal. age"):
        table.add_column(col, justify="right", no_wrap=True)
    priced = stale = False
    shown_gameday: list[str] = []
    for r in backend_slis(registry, now):
        name = f"{r.provider}:{r.backend}"
        success = "–" if math.isnan(r.success_ratio) else f"{r.success_ratio:.1%}"
        cost = f"${r.cost_usd:.2f}"
        if r.cost_usd > 0:
            cost, priced = cost + "*", True
        age = _fmt_seconds(r.calibration_age_s)
        if r.calibration_age_s is not None and r.calibration_age_s > BUNDLED_CALIBRATION_AGE_S:
            age, stale = age + "‡", True
        label = name
        if name in gameday:
            label = name + " †"
            shown_gameday.append(f"{name} runs on {gameday[name]}")
        table.add_row(
            label,
            f"{r.jobs:.0f}",
            success,
            _fmt_seconds(r.p50_s),
            _fmt_seconds(r.p95_s),
            _fmt_count(r.shots),
            cost,
            age,
        )
    notes = []
    if priced:
        notes.append(SIMULATED_PRICE_NOTE)
    if shown_gameday:
        notes.append(GAMEDAY_NOTE.format(", ".join(shown_gameday)))
    if stale:
        notes.append(BUNDLED_CALIBRATION_NOTE)
    if notes:
        table.caption = "\n".join(notes)
    return table


def gauges(registry, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """Current values of one metric, keyed by sorted label pairs."""
    return {tuple(sorted(s.labels.items())): s.value for s in _samples(registry) if s.name == name}


def training_table(registry) -> Table | None:
    """Loss, gradient SNR and variance per experiment, or None without training."""
    exp = Attr.EXPERIMENT.value.replace(".", "_")
    columns = {
        "steps": QUANTUM_TRAINING_STEPS_TOTAL,
        "loss": QUANTUM_TRAINING_LOSS,
        "gradient SNR": QUANTUM_TRAINING_GRADIENT_SNR,
        "gradient variance": QUANTUM_TRAINING_GRADIENT_VARIANCE,
    }
    values = {
        col: {dict(k)[exp]: v for k, v in gauges(registry, metric(name).prom_name).items()}
        for col, name in columns.items()
    }
    experiments = sorted(values["steps"])
    if not experiments:
        return None
    table = Table(title="Training")
    table.add_column("experiment")
    for col in columns:
        table.add_column(col, justify="right")
    for e in experiments:
        table.add_row(e, *(f"{values[c].get(e, math.nan):.4g}" for c in columns))
    return table


def budget_lines(registry) -> list[str]:
    """``budget NAME: $spent of $limit`` for every exported budget."""
    label = Attr.BUDGET.value
    limits = {dict(k)[label]: v for k, v in gauges(registry, QUANTUM_BUDGET_LIMIT_USD).items()}
    spent = {dict(k)[label]: v for k, v in gauges(registry, QUANTUM_BUDGET_SPENT_USD).items()}
    return [
        f"budget {name}: ${spent.get(name, 0):.2f} spent of ${limit:.2f}"
        for name, limit in sorted(limits.items())
    ]
