"""Per-job output fidelity: measured counts against the circuit's ideal distribution.

Off by default. Turn it on for a share of all jobs::

    qobserve.instrument(output_fidelity=0.1)       # or QOBSERVE_OUTPUT_FIDELITY=0.1

or for the jobs submitted inside a block (this overrides the default rate)::

    with qobserve.output_fidelity(1.0):
        job = sampler.run([circuit], shots=4000)

Each sampled job is compared off the job's path by a bounded background worker
(:mod:`.worker`): Qiskit ``SamplerV2`` (each binding of a parameter sweep on
its own, :mod:`.sweep`) and ``backend.run`` counts (:mod:`.ideal`), Braket
``LocalSimulator`` tasks (:mod:`.braket_ideal`) and Cirq ``Sampler.run``
(:mod:`.cirq_ideal`). It records histogram
``quantum_job_output_fidelity_ratio`` per circuit and a span
``<provider> <backend> output_fidelity`` linked to the job's span, carrying the
Hellinger fidelity, its multinomial-bootstrap interval and bias estimate, the
TVD, the shot count and the method (``statevector`` up to
``QOBSERVE_OUTPUT_FIDELITY_MAX_QUBITS`` active qubits, ``stim`` for Clifford
circuits of any width). Jobs the worker cannot take, or cannot simulate, are
counted in ``qobserve_output_fidelity_dropped_total{reason}``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from qobserve.fidelity.stats import Comparison, compare
from qobserve.fidelity.worker import FidelityRecorder, check_rate, job_rate

__all__ = ["Comparison", "FidelityRecorder", "compare", "output_fidelity"]


@contextmanager
def output_fidelity(rate: float = 1.0) -> Iterator[None]:
    """Compare jobs submitted inside the block at sampling ``rate`` (0 turns it off).

    Raises:
        ValueError: when ``rate`` is not in [0, 1].
    """
    token = job_rate.set(check_rate(rate))
    try:
        yield
    finally:
        job_rate.reset(token)
