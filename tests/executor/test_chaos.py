"""Fault injection: realistic error classes, reproducible faults, ground-truth accounting."""

from __future__ import annotations

import time

import pytest

from qobserve.chaos import (
    ChaosBackend,
    DeviceOfflineException,
    Faults,
    Ledger,
    ServiceUnavailableException,
    ThrottlingException,
    ValidationException,
)
from qobserve.errors import ErrorKind, classify


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (ServiceUnavailableException("503"), ErrorKind.TRANSIENT),
        (ThrottlingException("slow down", retry_after=2.5), ErrorKind.TRANSIENT),
        (ValidationException("bad"), ErrorKind.PERMANENT),
        (DeviceOfflineException("maintenance"), ErrorKind.REROUTE),
    ],
)
def test_injected_errors_classify_like_provider_errors(exc, kind):
    """qobserve.errors.classify maps each injected error to its kind and class name."""
    info = classify(exc)
    assert (info.kind, info.error_type) == (kind, type(exc).__name__)
    assert info.retry_after == getattr(exc, "retry_after", None)


def _faults_seen(seed: int, bell) -> list:
    ledger = Ledger()
    b = ChaosBackend(
        "qiskit:aer",
        Faults(transient_error_rate=0.3, throttle_rate=0.2, permanent_error_rate=0.1),
        ledger=ledger,
        seed=seed,
    )
    prepared = b.prepare(bell)
    for i in range(30):
        try:
            b.submit(prepared, 1, client_id=f"j{i}").wait(1)
        except Exception:
            pass
    return [e[3] for e in ledger.events]


def test_faults_replay_for_a_seed_and_follow_the_rates(bell):
    """The same seed gives the same faults; a different seed gives others; rates are plausible."""
    a, b, c = _faults_seen(1, bell), _faults_seen(1, bell), _faults_seen(2, bell)
    assert a == b and a != c
    # 30 draws at p(ok)=0.4: mean 12, sd 2.7; 3..21 is beyond ±3 sd.
    assert 3 <= a.count("ok") <= 21


def test_outage_window_counts_logical_jobs(bell):
    """Jobs number after_jobs … after_jobs+for_jobs−1 see the backend offline, others do not."""
    ledger = Ledger()
    b = ChaosBackend(
        "cirq:simulator", Faults(outage={"after_jobs": 2, "for_jobs": 3}), ledger=ledger
    )
    prepared = b.prepare(bell)
    offline = []
    for i in range(7):
        ledger.begin(f"j{i}")
        offline.append(b.status().operational is False)
        try:
            b.submit(prepared, 1, client_id=f"j{i}")
        except DeviceOfflineException:
            pass
    assert offline == [False, False, True, True, True, False, False]
    assert [e[3] for e in ledger.events] == ["ok", "ok", "outage", "outage", "outage", "ok", "ok"]


def test_late_job_cancelled_too_late_still_ran(bell):
    """Cancelling a job after it finished fails (False) and its execution is counted."""
    ledger = Ledger()
    b = ChaosBackend("qiskit:aer", Faults(late_rate=1.0, late_latency=0.01), ledger=ledger)
    job = b.submit(b.prepare(bell), 10, client_id="j")
    with pytest.raises(TimeoutError):
        job.wait(0.001)
    time.sleep(0.02)
    assert job.cancel() is False
    assert ledger.executions["j"] == 1 and sum(job.wait(0).values()) == 10


def test_abandoned_jobs_are_counted_when_settled(bell):
    """A late job nobody cancelled still runs (settle counts it); a hung one is reported hanging."""
    ledger = Ledger()
    late = ChaosBackend("qiskit:aer", Faults(late_rate=1.0, late_latency=0.01), ledger=ledger)
    hung = ChaosBackend("cirq:simulator", Faults(timeout_rate=1.0), ledger=ledger)
    late.submit(late.prepare(bell), 1, client_id="j")
    late.submit(late.prepare(bell), 1, client_id="j")
    hung.submit(hung.prepare(bell), 1, client_id="k")
    assert ledger.settle() == 1
    assert ledger.executions == {"j": 2} and ledger.duplicates() == 1


@pytest.mark.parametrize(
    ("faults", "stamp_age"),
    [
        ({"calibration_age": "3h"}, 3 * 3600),
        ({"calibration_missing": True}, None),
    ],
)
def test_calibration_faults(faults, stamp_age):
    """Stale and missing calibration are reported through the Backend interface."""
    cal = ChaosBackend("cirq:simulator", Faults(**faults)).calibration()
    if stamp_age is None:
        assert cal.timestamp is None
    else:
        assert abs(time.time() - cal.timestamp - stamp_age) < 5
