"""Barren-plateau, divergence and stall detectors, alone and inside a run."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qobserve.semconv import METRICS, Attr
from qobserve.training import (
    BarrenPlateauDetector,
    DivergenceDetector,
    StallDetector,
    StopTraining,
    track_training,
)
from qobserve.training.detectors import StepView
from qobserve.training.snr import gradient_stats

EXP = {Attr.EXPERIMENT.value: "exp"}


def _feed(detector, losses=None, grads=None):
    n = len(losses if losses is not None else grads)
    out = []
    for i in range(n):
        stats = None if grads is None else gradient_stats(**grads[i])
        loss = None if losses is None else losses[i]
        out.append(detector.observe(StepView(i + 1, loss, stats)) is not None)
    return out


def test_barren_plateau_needs_patience_consecutive_flat_steps():
    """Fires on the patience-th consecutive low-variance step; one healthy step resets the count."""
    flat = {"gradient": [1e-3, -1e-3, 2e-3]}
    healthy = {"gradient": [0.5, -0.4, 0.3]}
    fired = _feed(BarrenPlateauDetector(patience=3), grads=[flat, flat, healthy, flat, flat, flat])
    assert fired == [False, False, False, False, False, True]


def test_barren_plateau_fires_on_low_snr_and_threshold_follows_shots():
    """Median SNR < 1 counts as a plateau step; shots=N sets the variance threshold to 1/(2N)."""
    noisy = {"gradient": [0.5, -0.5, 0.6], "stderr": [1.0, 1.0, 1.0]}
    assert _feed(BarrenPlateauDetector(patience=2), grads=[noisy, noisy]) == [False, True]
    assert BarrenPlateauDetector(shots=50).variance_threshold == pytest.approx(0.01)
    with pytest.raises(ValueError, match="shots"):
        BarrenPlateauDetector(shots=-1)


def test_divergence_fires_on_nan_and_on_rising_loss_but_not_on_noise():
    """NaN fires at once; a clear rise over the window fires; noise around a level does not."""
    d = DivergenceDetector(window=6)
    assert _feed(d, losses=[1.0, math.nan]) == [False, True]
    rising = [1.0, 1.1, 1.3, 1.6, 2.0, 2.5]
    assert _feed(DivergenceDetector(window=6), losses=rising)[-1] is True
    rng = np.random.default_rng(0)
    # Noise std 0.01 around 1.0: half means differ by ~0.01·√(2/3) ≪ atol + 10% = 0.101.
    flat = list(1.0 + rng.normal(0, 0.01, 50))
    assert not any(_feed(DivergenceDetector(window=6), losses=flat))


def test_stall_fires_when_best_loss_stops_improving():
    """A decreasing loss never stalls; a constant tail of `window` steps does."""
    improving = [1.0 / (i + 1) for i in range(30)]
    assert not any(_feed(StallDetector(window=5), losses=improving))
    stalled = [1.0, 0.5, 0.4] + [0.4] * 6
    assert _feed(StallDetector(window=5), losses=stalled)[-1] is True


def test_run_sets_flags_emits_events_and_calls_back(otel):
    """Firing sets the 0/1 gauge, adds span events at start and clear, and calls on_detection."""
    seen = []
    with track_training(
        "exp",
        detectors=[DivergenceDetector(window=4)],
        on_detection=lambda run, d: seen.append((d.detector, d.step, d.firing)),
        **otel.providers,
    ) as run:
        run.record_step(loss=1.0)
        record = run.record_step(loss=math.inf)
        assert record.firing == {"diverging"}
        flag = METRICS["quantum_training_diverging"].otel_name
        assert otel.value(flag, **EXP) == 1
        run.record_step(loss=0.9)
        assert otel.value(flag, **EXP) == 0
    assert seen == [("diverging", 2, True), ("diverging", 3, False)]
    names = [e.name for s in otel.spans() for e in s.events]
    assert names.count("diverging") == 2 and names.count("diverging.cleared") == 2  # step + run


def test_callback_can_stop_the_run(otel):
    """A callback raising StopTraining ends a decorated run cleanly at the detection step."""

    def stop(run, detection):
        raise StopTraining(detection.reason)

    @track_training(
        "exp", detectors=[BarrenPlateauDetector(patience=2)], on_detection=stop, **otel.providers
    )
    def train(run):
        for _ in range(10):
            run.record_step(loss=1.0, gradient=[1e-4, -1e-4])
        return "finished"

    assert train() is None
    (run_span,) = [s for s in otel.spans() if s.name == "training exp"]
    assert run_span.attributes[Attr.TRAINING_STOPPED_BY.value] == "barren_plateau"
    assert run_span.attributes[Attr.TRAINING_STEPS.value] == 2


def test_failing_callback_and_detector_do_not_break_the_loop(otel):
    """A raising callback or detector is logged as an anomaly; strict mode re-raises the callback's error."""

    class Broken:
        name, metric = "broken", None

        def observe(self, step):
            raise ZeroDivisionError

    def bad_callback(run, detection):
        raise KeyError("oops")

    with track_training(
        "exp",
        detectors=[Broken(), DivergenceDetector()],
        on_detection=bad_callback,
        **otel.providers,
    ) as run:
        run.record_step(loss=math.nan)
    assert len(run.anomalies) == 2
    with pytest.raises(KeyError):
        with track_training(
            "exp",
            detectors=[DivergenceDetector()],
            on_detection=bad_callback,
            strict=True,
            **otel.providers,
        ) as run:
            run.record_step(loss=math.nan)


@pytest.mark.parametrize("ending", ["normal", "stop_training", "error"])
def test_flags_reset_when_the_run_ends(otel, ending):
    """A run that ends on a plateau, however it ends, leaves every detector flag at 0."""
    plateau = METRICS["quantum_training_barren_plateau"].otel_name
    stalled = METRICS["quantum_training_stalled"].otel_name

    def stop(run, detection):
        if ending == "stop_training":
            raise StopTraining(detection.reason)

    @track_training(
        "exp",
        detectors=[BarrenPlateauDetector(patience=2), StallDetector(window=1)],
        on_detection=stop,
        **otel.providers,
    )
    def train(run):
        for _ in range(4):
            run.record_step(loss=1.0, gradient=[1e-4, -1e-4])
            if run.steps == 3:
                assert otel.value(plateau, **EXP) == 1 and otel.value(stalled, **EXP) == 1
        if ending == "error":
            raise RuntimeError("the optimizer crashed")

    if ending == "error":
        with pytest.raises(RuntimeError):
            train()
    else:
        train()
    assert otel.value(plateau, **EXP) == 0 and otel.value(stalled, **EXP) == 0
    (run_span,) = [s for s in otel.spans() if s.name == "training exp"]
    cleared = [e for e in run_span.events if e.name == "barren_plateau.cleared"]
    assert cleared and cleared[-1].attributes["reason"] == "run ended"
