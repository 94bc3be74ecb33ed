"""Fixtures of the output-fidelity tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def qiskit_fidelity(otel):
    """The Qiskit instrumentor comparing every job, seeded bootstrap; yields (otel, recorder)."""
    from qobserve.instrumentation.qiskit import QiskitInstrumentor

    inst = QiskitInstrumentor()
    inst.instrument(**otel.providers, output_fidelity=1.0)
    inst._state.fidelity._seed = 7
    yield otel, inst._state.fidelity
    inst.uninstrument()
