"""Calibration and status snapshots of Qiskit backends through qobserve.calibration."""

from __future__ import annotations

import pytest

pytest.importorskip("qiskit_ibm_runtime")

from qobserve.backends import parse_backend
from qobserve.calibration import read_calibration, read_status


def test_fake_backend_calibration_matches_properties():
    """fake_manila's calibration time and per-qubit T1/T2/readout error come from properties()."""
    spec = parse_backend("qiskit:fake_manila")
    device = spec.load()
    props = device.properties()
    cal = read_calibration(spec, device)
    assert cal.timestamp == props.last_update_date.timestamp()
    assert sorted(cal.qubits) == list(range(device.num_qubits))
    q0 = cal.qubits[0]
    assert q0.t1_seconds == props.t1(0) and 1e-6 < q0.t1_seconds < 1e-2  # tens of µs, in seconds
    assert q0.t2_seconds == props.t2(0)
    assert q0.readout_error == props.readout_error(0) and 0 <= q0.readout_error <= 1


def test_fake_backend_status():
    """A fake backend reports itself operational with an empty queue."""
    spec = parse_backend("qiskit:fake_manila")
    status = read_status(spec, spec.load())
    assert status.operational is True and status.pending_jobs == 0


def test_aer_has_no_calibration_and_is_up():
    """An ideal Aer simulator has no calibration time and is always up with no queue."""
    spec = parse_backend("qiskit:aer")
    device = spec.load()
    assert read_calibration(spec, device).timestamp is None
    status = read_status(spec, device)
    assert (status.operational, status.pending_jobs) == (True, 0)


def test_fake_backend_gate_errors_come_from_properties():
    """Each gate's reported gate_error is in the calibration; virtual rz (error 0) is left out."""
    spec = parse_backend("qiskit:fake_manila")
    device = spec.load()
    cal = read_calibration(spec, device)
    assert cal.gate_errors[("cx", (0, 1))] == device.properties().gate_error("cx", [0, 1])
    assert 0 < cal.gate_errors[("sx", (0,))] < 0.01
    assert not any(gate == "rz" for gate, _ in cal.gate_errors)
