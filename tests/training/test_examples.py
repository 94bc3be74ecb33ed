"""Acceptance on the shipped examples: barren plateaus appear and are detected; the classifier learns."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from qobserve.semconv import METRICS, Attr


def _load(name: str):
    return importlib.import_module(f"qobserve.examples.{name}")


@pytest.fixture(scope="module")
def plateau():
    return _load("barren_plateau")


def test_gradient_variance_decays_exponentially_with_qubits(plateau):
    """Exact Var[∂C/∂θ₀] of deep random ansätze falls with qubit count: log-linear slope < 0."""
    qubits = np.array([2, 4, 6, 8])
    variances = np.array([plateau.gradient_variance(n, 40, samples=150, seed=1) for n in qubits])
    slope = np.polyfit(qubits, np.log(variances), 1)[0]
    # A sample variance of 150 draws is uncertain by ≈ √(2/149) ≈ 12% (more for heavy tails,
    # say 30% → 0.3 in log); the slope's error is then ≈ 0.3/√Σ(n−n̄)² = 0.3/√20 ≈ 0.07.
    # McClean et al. predict ≈ −ln 2/qubit for 2-designs; requiring < −0.2 is > 3σ from 0.
    assert slope < -0.2, (slope, variances)
    assert np.all(np.diff(variances) < 0)


def test_detector_fires_on_deep_wide_and_not_on_shallow_narrow(plateau, otel):
    """8 qubits × 40 layers trips the barren-plateau detector; 2 qubits × 2 layers does not."""
    deep = plateau.train(8, 40, steps=6, seed=0, **otel.providers)
    shallow = plateau.train(2, 2, steps=6, seed=0, **otel.providers)
    # Threshold 1/(2·50) = 0.01 sits between the measured variances (≈ 4e-3 deep, ≈ 0.09 shallow).
    assert deep["fired_at"] and deep["fired_at"][0] == 3  # patience 3
    assert shallow["fired_at"] == []
    flag = METRICS["quantum_training_barren_plateau"].otel_name
    # Both runs have ended: their flags are back at 0, so no plateau alert outlives a run.
    assert otel.value(flag, **{Attr.EXPERIMENT.value: "barren-plateau-8q-40l"}) == 0
    assert otel.value(flag, **{Attr.EXPERIMENT.value: "barren-plateau-2q-2l"}) == 0


def test_variational_classifier_learns_and_reports(otel):
    """The classifier's loss falls over 8 steps and its validation accuracy is exported."""
    vc = _load("variational_classifier")
    result = vc.train(steps=8, points=16, **otel.providers)
    losses = [
        s.attributes[Attr.TRAINING_LOSS.value]
        for s in otel.spans()
        if s.name == "training step" and Attr.TRAINING_LOSS.value in s.attributes
    ]
    assert len(losses) == 8 and result["anomalies"] == []
    # Shot noise on the loss is ≈ precision/√16 ≈ 0.008 at 1000 shots; the drop is ≫ that.
    assert losses[-1] < losses[0] - 0.1
    score = METRICS["quantum_training_validation_score"].otel_name
    assert (
        otel.value(score, metric="accuracy", **{Attr.EXPERIMENT.value: vc.EXPERIMENT})
        == result["accuracy"]
    )
    snr = METRICS["quantum_training_gradient_snr"].otel_name
    assert otel.value(snr, **{Attr.EXPERIMENT.value: vc.EXPERIMENT}) > 0
