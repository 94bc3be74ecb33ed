"""Fixtures shared by the instrumentation tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def qiskit_otel(otel):
    """The Qiskit instrumentor on the test's in-memory providers, removed afterwards."""
    from qobserve.instrumentation.qiskit import QiskitInstrumentor

    inst = QiskitInstrumentor()
    inst.instrument(**otel.providers)
    yield otel
    inst.uninstrument()
