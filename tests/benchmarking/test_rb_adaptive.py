"""Adaptive RB (``--target-precision``): its design, its stopping rule and its options.

The multi-seed acceptance (shots against the default design, EPC and coverage over
20 seeds) is in ``test_rb_adaptive_acceptance.py``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from qobserve.benchmarking import run_rb
from qobserve.benchmarking.adaptive import (
    MAX_LENGTH,
    design_lengths,
    minimum_shots,
    run_adaptive,
)
from qobserve.benchmarking.options import parse_rb_options
from qobserve.cli import app


@pytest.mark.parametrize(
    ("alpha", "fit_b", "expected"),
    [
        (0.99, False, (1, 80, 100, 120)),  # m* = 1/(1 − α) = 100
        (0.99, True, (1, 60, 80, 800)),  # B fitted: a long length pins it
        (0.5, False, (1, 2, 3, 4)),  # m* = 2: collisions bumped apart
    ],
)
def test_design_sits_around_one_over_one_minus_alpha(alpha, fit_b, expected):
    """Lengths are 1 plus multiples of m* = 1/(1 − α), strictly increasing."""
    assert design_lengths(alpha, 1, fit_b=fit_b) == expected


def test_design_is_capped_for_a_flat_decay():
    """α = 1 (no decay seen) still gives finite lengths within the cap."""
    lengths = design_lengths(1.0, 2, fit_b=True)
    assert lengths[-1] <= MAX_LENGTH[2] + 1 and list(lengths) == sorted(set(lengths))


def _fake_measure(alpha: float, b: float, rng: np.random.Generator):
    """Binomial survival A·α^m + B with A = 0.95 − B, recording each round."""
    calls = []

    def measure(lengths, samples, shots, seed):
        calls.append((tuple(lengths), samples, shots))
        p = (0.95 - b) * alpha ** np.asarray(lengths, dtype=float) + b
        return rng.binomial(shots, np.broadcast_to(p, (samples, len(lengths)))) / shots, None

    return measure, calls


def test_rounds_stop_at_the_target_and_count_every_shot():
    """The run stops once the target is met, and total_shots sums the pilot and every round."""
    measure, calls = _fake_measure(0.98, 0.5, np.random.default_rng(1))
    out = run_adaptive(measure, num_qubits=1, shots=500, target=0.05, max_shots=10**6, seed=1)
    assert out.run.reached and out.run.precision <= 0.05
    assert out.run.rounds == len(calls)
    assert out.run.total_shots == sum(len(ls) * n * s for ls, n, s in calls)
    # The pilot's rough α̂ places the middle length near m* = 1/(1 − 0.98) = 50.
    assert out.run.asymptote == 0.5 and out.lengths[2] == pytest.approx(50, rel=0.3)


def test_a_non_unital_asymptote_is_fitted_not_assumed():
    """B = 0.6 ≠ 1/d shows in the pilot's decayed tail: the design fits B with a long length."""
    measure, _ = _fake_measure(0.97, 0.6, np.random.default_rng(2))
    out = run_adaptive(measure, num_qubits=1, shots=500, target=0.05, max_shots=10**6, seed=2)
    assert out.run.asymptote is None and out.lengths[-1] >= 5 / (1 - 0.97)  # 8·m̂*, m̂* rough
    assert out.fit.ok and out.fit.b == pytest.approx(0.6, abs=0.02)


def test_budget_stops_the_run_before_the_target():
    """A budget for the pilot and one round ends the run there, target not reached."""
    measure, _ = _fake_measure(0.98, 0.5, np.random.default_rng(3))
    budget = minimum_shots(1, 100)
    out = run_adaptive(measure, num_qubits=1, shots=100, target=0.001, max_shots=budget, seed=3)
    assert not out.run.reached and out.run.total_shots <= budget and out.run.rounds == 2


def test_too_small_a_budget_is_refused():
    """A budget below the pilot plus a first round is a ValueError naming max_shots."""
    measure, calls = _fake_measure(0.98, 0.5, np.random.default_rng(4))
    with pytest.raises(ValueError, match=r"^max_shots: "):
        run_adaptive(measure, num_qubits=1, shots=100, target=0.05, max_shots=1000, seed=4)
    assert calls == []


def test_interleaved_adaptive_rb_targets_the_gate_error():
    """With a gate, the precision is the gate error's; depolarizing:0.02 gives r = 0.01 (±40 %)."""
    result = run_rb(
        "stim", (0,), noise="depolarizing:0.02", seed=5, interleave="x", target_precision=0.15
    )
    irb = result.interleaved
    assert irb.ok and irb.gate_error == pytest.approx(0.01, rel=0.40)
    assert result.adaptive.reached and result.precision <= 0.15


def test_cli_json_reports_rounds_shots_lengths_and_precision():
    """--target-precision --json adds total_shots, rounds, the design's lengths and the precision."""
    result = CliRunner().invoke(
        app,
        [
            "rb",
            "--backend",
            "stim",
            "--noise",
            "depolarizing:0.01",
            "--target-precision",
            "0.05",
            "--seed",
            "3",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["target_precision"] == 0.05 and doc["precision"] <= 0.05
    assert doc["rounds"] >= 2 and doc["total_shots"] <= 30 * 10 * 1024
    assert doc["lengths"][0] == 1 and len(doc["lengths"]) == 4
    assert doc["epc"] == pytest.approx(0.005, rel=0.35)


def _options(**given):
    args = {
        "backend": "stim",
        "qubits": None,
        "lengths": None,
        "samples": None,
        "shots": "1024",
        "seed": None,
        "noise": None,
        "readout_error": "0",
    }
    return parse_rb_options(**{**args, **given})


@pytest.mark.parametrize(
    ("given", "option", "hint"),
    [
        ({"target_precision": "0"}, "--target-precision", "between 0 and 1"),
        ({"target_precision": "1"}, "--target-precision", "between 0 and 1"),
        ({"target_precision": "nan"}, "--target-precision", "between 0 and 1"),
        ({"target_precision": "5%"}, "--target-precision", "e.g. 0.05"),
        ({"max_shots": "100000"}, "--max-shots", "only used with --target-precision"),
        ({"target_precision": "0.05", "max_shots": "1000"}, "--max-shots", "at least 48,640"),
        ({"target_precision": "0.05", "max_shots": "-1"}, "--max-shots", "whole number"),
        ({"target_precision": "0.05", "samples": "10"}, "--samples", "drop --samples"),
        ({"target_precision": "0.05", "lengths": "1,5,9"}, "--lengths", "drop --lengths"),
    ],
)
def test_bad_adaptive_options_are_one_line_errors(given, option, hint):
    """Each bad combination is refused naming the option, with the fix."""
    with pytest.raises(ValueError) as info:
        _options(**given)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{option}: ") and hint in message


def test_budget_defaults_to_the_fixed_design():
    """Without --max-shots, adapting may spend at most what 10 lengths x 30 x shots would."""
    assert _options(target_precision="0.05").max_shots == 10 * 30 * 1024
    assert _options(target_precision="0.05", interleave="x").max_shots == 2 * 10 * 30 * 1024
