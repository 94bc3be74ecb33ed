"""Output fidelity of Cirq ``Sampler.run`` jobs against the exact noisy density matrix.

Tolerance as in ``test_ground_truth.py``: |F̂ − F| ≤ b + 4·sqrt(F(1 − F)/N), with the
downward bias b ≈ BC·Σ √q (1 − p)/(4N√p) computed from the exact p.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

cirq = pytest.importorskip("cirq")

from opentelemetry.instrumentation.utils import suppress_instrumentation  # noqa: E402

from qobserve.fidelity.cirq_ideal import cirq_ideal  # noqa: E402
from qobserve.instrumentation.cirq import CirqInstrumentor  # noqa: E402
from qobserve.semconv import Attr  # noqa: E402

SHOTS = 2000


@pytest.fixture
def cirq_fidelity(otel):
    inst = CirqInstrumentor()
    inst.instrument(**otel.providers, output_fidelity=1.0)
    inst._fidelity._seed = 3
    yield otel, inst._fidelity
    inst.uninstrument()


def test_noisy_cirq_run_matches_exact_density_matrix(cirq_fidelity):
    """GHZ-3 with two measurement keys on a depolarizing simulator is within b + 4 sd of exact."""
    otel, recorder = cirq_fidelity
    q = cirq.LineQubit.range(3)
    circuit = cirq.Circuit(
        cirq.H(q[0]),
        cirq.CNOT(q[0], q[1]),
        cirq.CNOT(q[1], q[2]),
        cirq.measure(q[2], key="a"),
        cirq.measure(q[0], q[1], key="b"),
    )
    noise = cirq.depolarize(0.02)
    # The channels ConstantQubitNoiseModel puts after every moment, on the unitary part
    # (noise after the measurement moment does not change its outcome).
    unitary = cirq.Circuit(m for m in circuit if not any(cirq.is_measurement(op) for op in m))
    channels = unitary.with_noise(noise)
    with suppress_instrumentation():
        rho = cirq.DensityMatrixSimulator().simulate(channels, qubit_order=q).final_density_matrix
    p_full = np.real(np.diag(rho)).reshape(2, 2, 2)  # axes q0, q1, q2
    ideal = cirq_ideal(circuit)
    keys = [format(i, "03b") for i in range(8)]
    # key characters from the right: q2 (key a), q0, q1 (key b)
    p = np.array([p_full[int(k[1]), int(k[0]), int(k[2])] for k in keys])
    qv = ideal(keys)
    bc = float(np.sum(np.sqrt(p * qv)))
    exact = bc**2
    nz = qv > 0
    bias = bc * float(np.sum(np.sqrt(qv[nz]) * (1 - p[nz]) / (4 * SHOTS * np.sqrt(p[nz]))))
    # The trajectory simulator: in cirq 1.x DensityMatrixSimulator(noise=...).run of this
    # circuit samples a distribution unlike its noise model's channels (F ≈ 0.877 vs 0.900
    # over 10⁵ shots), while cirq.Simulator matches them.
    cirq.Simulator(noise=noise, seed=11).run(circuit, repetitions=SHOTS)
    assert recorder.flush(30)
    [span] = [s for s in otel.spans() if s.name.endswith(" output_fidelity")]
    measured = span.attributes[Attr.OUTPUT_FIDELITY.value]
    tolerance = bias + 4 * math.sqrt(exact * (1 - exact) / SHOTS)
    assert abs(measured - exact) <= tolerance, (measured, exact, tolerance)
    assert span.attributes[Attr.JOB_SHOTS.value] == SHOTS
    assert span.attributes[Attr.PROVIDER.value] == "cirq"
