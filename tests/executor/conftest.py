"""Fixtures for the executor tests: circuits and policies scaled to milliseconds."""

from __future__ import annotations

import pytest

from qobserve.executor import RetryPolicy


@pytest.fixture(scope="session")
def bell():
    """A Bell-pair circuit in Qiskit: counts only 00 and 11 on a noiseless simulator."""
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc


@pytest.fixture(scope="session")
def x0():
    """X on qubit 0 of three: '001' in Qiskit bit order on every SDK."""
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(3, 3)
    qc.x(0)
    qc.measure(range(3), range(3))
    return qc


@pytest.fixture
def fast_retry() -> RetryPolicy:
    """Millisecond backoff and a 20 ms wait per accepted job."""
    return RetryPolicy(max_attempts=3, initial="1ms", maximum="5ms", attempt_timeout=0.02)
