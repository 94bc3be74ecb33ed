"""Training-health detectors: barren plateau, divergence, stalled progress.

A detector looks at one step at a time and says whether its condition holds
now (a reason string) or not (None). The run turns that into a 0/1 gauge every
step (``quantum_training_barren_plateau``, ``quantum_training_diverging``,
``quantum_training_stalled``; the first two drive the
``QuantumTrainingBarrenPlateau`` / ``QuantumTrainingDiverging`` alerts), a span
event when the condition starts or clears, and a call to ``on_detection``.
A flag goes back to 0 when its condition clears and when the run ends (however
it ends: normally, ``StopTraining``, or an exception), so an alert on a run
that stopped on a plateau resolves even in a long-lived process.
Write your own by implementing :class:`Detector`.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from qobserve.semconv import (
    QUANTUM_TRAINING_BARREN_PLATEAU,
    QUANTUM_TRAINING_DIVERGING,
    QUANTUM_TRAINING_STALLED,
)
from qobserve.training.snr import GradientStats

__all__ = [
    "BarrenPlateauDetector",
    "Detection",
    "Detector",
    "DivergenceDetector",
    "StallDetector",
    "StepView",
    "default_detectors",
]


@dataclass(frozen=True)
class StepView:
    """What a detector sees of one step: its index, loss (may be NaN) and gradient."""

    index: int
    loss: float | None
    stats: GradientStats | None


@dataclass(frozen=True)
class Detection:
    """A detector changed state: ``firing`` True when it started, False when it cleared."""

    detector: str
    step: int
    firing: bool
    reason: str


@runtime_checkable
class Detector(Protocol):
    """``name`` is the span event name; ``metric`` the Prometheus name of its 0/1 flag."""

    name: str
    metric: str | None

    def observe(self, step: StepView) -> str | None:
        """Return why the condition holds at this step, or None when it does not."""


class BarrenPlateauDetector:
    """Fires after ``patience`` consecutive steps with a vanishing or unresolvable gradient.

    A step counts when the variance of the gradient components is below
    ``variance_threshold`` (the landscape is flat: McClean et al. 2018) or when
    the median shot SNR is below ``snr_threshold`` (the step follows noise).
    Steps without a gradient leave the count unchanged.

    The default threshold follows from the shot budget: a parameter-shift
    component of a ±1 observable measured with N shots has variance up to
    1/(2N), so when the components' spread is below that, a typical component
    is smaller than the noise of its own estimate. ``shots`` sets
    ``variance_threshold = 1/(2·shots)``; without either, 1e-3 (N = 500).
    """

    name = "barren_plateau"
    metric: str | None = QUANTUM_TRAINING_BARREN_PLATEAU

    def __init__(
        self,
        *,
        variance_threshold: float | None = None,
        shots: int | None = None,
        snr_threshold: float = 1.0,
        patience: int = 5,
    ) -> None:
        if patience < 1:
            raise ValueError(f"patience: must be >= 1 step, got {patience}")
        if variance_threshold is None:
            if shots is not None and shots <= 0:
                raise ValueError(f"shots: must be > 0 to derive a variance threshold, got {shots}")
            variance_threshold = 1.0 / (2 * shots) if shots else 1e-3
        self.variance_threshold = variance_threshold
        self.snr_threshold = snr_threshold
        self.patience = patience
        self._count = 0
        self._reason: str | None = None

    def observe(self, step: StepView) -> str | None:
        s = step.stats
        if s is None:
            return self._reason if self._count >= self.patience else None
        why = None
        if s.variance < self.variance_threshold:
            why = f"gradient variance {s.variance:.3g} < {self.variance_threshold:g}"
        elif s.snr_median is not None and s.snr_median < self.snr_threshold:
            why = f"median gradient SNR {s.snr_median:.3g} < {self.snr_threshold:g}"
        self._count = self._count + 1 if why else 0
        self._reason = f"{why} for {self._count} consecutive steps" if why else None
        return self._reason if self._count >= self.patience else None


class DivergenceDetector:
    """Fires on a non-finite loss, or when the loss rises across a window.

    Over the last ``window`` finite losses, the newer half's mean exceeding the
    older half's by more than ``atol + rtol·|older|`` is a rise; comparing half
    means instead of single points keeps shot noise from tripping it.
    """

    name = "diverging"
    metric: str | None = QUANTUM_TRAINING_DIVERGING

    def __init__(self, *, window: int = 10, rtol: float = 0.1, atol: float = 1e-3) -> None:
        if window < 2:
            raise ValueError(f"window: must be >= 2 steps, got {window}")
        self.rtol, self.atol = rtol, atol
        self._window = window
        self._losses: deque[float] = deque(maxlen=window)

    def observe(self, step: StepView) -> str | None:
        if step.loss is None:
            return None
        if not math.isfinite(step.loss):
            return f"loss is {step.loss}"
        self._losses.append(step.loss)
        if len(self._losses) < self._window:
            return None
        values = list(self._losses)
        half = len(values) // 2
        older = sum(values[:half]) / half
        newer = sum(values[-half:]) / half
        if newer - older > self.atol + self.rtol * abs(older):
            return f"loss rose from {older:.4g} to {newer:.4g} over {len(values)} steps"
        return None


class StallDetector:
    """Fires when the best loss has not improved for ``window`` steps.

    Improvement means beating the best loss seen before the window by more
    than ``min_delta + rtol·|best|``.
    """

    name = "stalled"
    metric: str | None = QUANTUM_TRAINING_STALLED

    def __init__(self, *, window: int = 20, min_delta: float = 1e-4, rtol: float = 1e-3) -> None:
        if window < 1:
            raise ValueError(f"window: must be >= 1 step, got {window}")
        self.min_delta, self.rtol = min_delta, rtol
        self._recent: deque[float] = deque(maxlen=window)
        self._best_before = math.inf

    def observe(self, step: StepView) -> str | None:
        if step.loss is None or not math.isfinite(step.loss):
            return None
        if len(self._recent) == self._recent.maxlen:
            self._best_before = min(self._best_before, self._recent[0])
        self._recent.append(step.loss)
        if math.isinf(self._best_before):
            return None
        best_recent = min(self._recent)
        if self._best_before - best_recent <= self.min_delta + self.rtol * abs(self._best_before):
            return (
                f"best loss {best_recent:.4g} in the last {len(self._recent)} steps does not "
                f"improve on {self._best_before:.4g}"
            )
        return None


def default_detectors(shots: int | None = None) -> list[Detector]:
    """One of each, with default thresholds (the plateau's from ``shots`` if known)."""
    return [BarrenPlateauDetector(shots=shots or None), DivergenceDetector(), StallDetector()]
