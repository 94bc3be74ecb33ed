"""The exporter's RB probe with ``target_precision``: adaptive rounds, budget checks, honest pricing."""

from __future__ import annotations

import pytest

from qobserve.backends import parse_backend
from qobserve.exporter.config import RBProbeConfig
from qobserve.exporter.probes import Target
from qobserve.exporter.rb_probe import RBProbe

SV1 = "braket:arn:aws:braket:::device/quantum-simulator/amazon/sv1"


def test_adaptive_probe_reports_epc_near_truth(tmp_path):
    """depolarizing:0.02 on Aer: EPC λ/2 = 0.01 within ±35 %, from an adaptive run on its own lengths."""
    config = RBProbeConfig(qubits=[0], shots=256, target_precision=0.1)
    target = Target("aer", parse_backend("qiskit:aer", "depolarizing:0.02"))
    [epc, fidelity] = RBProbe(config, state_dir=tmp_path)(target)
    assert epc.value == pytest.approx(0.01, rel=0.35)
    assert fidelity.value == pytest.approx(1 - epc.value)


@pytest.mark.parametrize(
    ("rb", "hint"),
    [
        ({"max_shots": 100_000}, "max_shots: only used with target_precision"),
        ({"target_precision": 0.05, "max_shots": 1000}, "max_shots: the adaptive pilot"),
        ({"target_precision": 1.5}, "target_precision"),
        ({"target_precision": 0}, "target_precision"),
    ],
)
def test_bad_adaptive_settings_are_refused_at_load(rb, hint):
    """A budget without a target, a budget below the pilot, or a target outside (0, 1) fails naming the field."""
    with pytest.raises(ValueError, match=hint):
        RBProbeConfig.model_validate(rb)


def test_adaptive_probe_is_priced_at_its_whole_budget(tmp_path):
    """Before running, the cap sees the worst case: the pilot plus every design circuit the budget pays."""
    small = RBProbeConfig(qubits=[0], shots=100, target_precision=0.05, max_shots=30_000)
    large = RBProbeConfig(qubits=[0], shots=100, target_precision=0.05, max_shots=300_000)
    target = Target("sv1", parse_backend(SV1))
    cheap = RBProbe(small, state_dir=tmp_path)._price(target)
    dear = RBProbe(large, state_dir=tmp_path)._price(target)
    assert 0 < cheap < dear
