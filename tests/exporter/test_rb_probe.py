"""The RB probe refuses, before submitting anything, a run its cost caps do not allow."""

from __future__ import annotations

import pytest

from qobserve.backends import parse_backend
from qobserve.cost import estimate
from qobserve.exporter.config import RBProbeConfig
from qobserve.exporter.probes import Target
from qobserve.exporter.rb_probe import RBProbe, RBProbeRefused

SV1 = "braket:arn:aws:braket:::device/quantum-simulator/amazon/sv1"


def _target() -> Target:
    # Building the AwsDevice would call AWS; the refusal must come before that.
    target = Target("sv1", parse_backend(SV1))
    target.device = lambda: pytest.fail("the device was built although the probe was refused")
    return target


def test_per_probe_cap_refuses_before_submitting(tmp_path):
    """A probe priced above max_cost_usd is refused with the price and the field to change."""
    config = RBProbeConfig(qubits=[0], lengths=[1, 5], samples=2, shots=10, max_cost_usd=0.0001)
    price = estimate(parse_backend(SV1), 10, circuits=4).usd
    assert price > 0  # SV1 bills at least 3 s per task
    with pytest.raises(RBProbeRefused, match=r"max_cost_usd"):
        RBProbe(config, state_dir=tmp_path)(_target())


def test_daily_cap_refuses_once_spent(tmp_path):
    """The day's probe budget is reserved per run; the run that would exceed it is refused."""
    price = estimate(parse_backend(SV1), 10, circuits=4).usd
    config = RBProbeConfig(
        qubits=[0], lengths=[1, 5], samples=2, shots=10, max_daily_cost_usd=float(price) * 1.5
    )
    probe = RBProbe(config, state_dir=tmp_path)
    probe._reserve(_target()).settle(price)  # the first run fits and is paid
    with pytest.raises(RBProbeRefused, match="rb-probe"):
        probe._reserve(_target())
    assert (tmp_path / "budgets.sqlite").is_file()  # the spend lives in the state directory
