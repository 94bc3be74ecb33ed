"""Output fidelity of Cirq ``Sampler.run`` jobs against the exact noisy density matrix.

Tolerance: b + 4 sd around the exact value (``helpers.py`` derives both).
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

cirq = pytest.importorskip("cirq")

from opentelemetry.instrumentation.utils import suppress_instrumentation  # noqa: E402

from qobserve.fidelity.cirq_ideal import cirq_ideal  # noqa: E402
from qobserve.instrumentation.cirq import CirqInstrumentor  # noqa: E402
from qobserve.semconv import Attr  # noqa: E402
from tests.fidelity.helpers import check_span, exact_and_bias  # noqa: E402

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
    exact, bias = exact_and_bias(p, ideal(keys), SHOTS)
    # The trajectory simulator: in cirq 1.x DensityMatrixSimulator(noise=...).run of this
    # circuit samples a distribution unlike its noise model's channels (F ≈ 0.877 vs 0.900
    # over 10⁵ shots), while cirq.Simulator matches them.
    cirq.Simulator(noise=noise, seed=11).run(circuit, repetitions=SHOTS)
    assert recorder.flush(30)
    [span] = [s for s in otel.spans() if s.name.endswith(" output_fidelity")]
    check_span(span, exact, bias, SHOTS)
    assert span.attributes[Attr.PROVIDER.value] == "cirq"


def _wide_clifford(n: int, seed: int) -> cirq.Circuit:
    """GHZ-n scrambled by random basis-permuting Cliffords, then 3 superposing gates.

    CNOT, SWAP, ISWAP, X, Y map basis states to basis states and CZ, S, Z only add
    phases, so the two GHZ outcomes stay two; X**0.5 on two qubits and H on one add
    at most 3 dimensions: at most 16 equally likely outcomes, which 4,000 shots resolve.
    """
    rng = np.random.default_rng(seed)
    q = cirq.LineQubit.range(n)
    ops = [cirq.H(q[0])] + [cirq.CNOT(q[i], q[i + 1]) for i in range(n - 1)]
    for _ in range(30):
        a, b = (q[int(i)] for i in rng.choice(n, 2, replace=False))
        ops.append(rng.choice([cirq.CNOT, cirq.CZ, cirq.ISWAP, cirq.SWAP])(a, b))
        ops.append(rng.choice([cirq.S, cirq.Z, cirq.X, cirq.Y])(a))
    a, b, c = (q[int(i)] for i in rng.choice(n, 3, replace=False))
    ops += [cirq.X(a) ** 0.5, cirq.X(b) ** 0.5, cirq.H(c)]
    return cirq.Circuit([*ops, cirq.measure(*q, key="m")])


def _with_depolarizing(circuit: cirq.Circuit, p: float) -> cirq.Circuit:
    """``cirq.depolarize(p)`` on each qubit of every gate, right after it (stim's DEPOLARIZE1(p))."""
    ops = []
    for op in circuit.all_operations():
        ops.append(op)
        if not cirq.is_measurement(op):
            ops.extend(cirq.depolarize(p).on(qubit) for qubit in op.qubits)
    return cirq.Circuit(ops)


def test_wide_noisy_clifford_circuit_goes_through_stim(cirq_fidelity, monkeypatch):
    """A 56-qubit Clifford circuit with depolarizing noise on stimcirq's sampler matches a stim reference.

    Reference: the ideal support S (and its uniform q = 1/|S|) from 10⁵ noiseless stim
    shots, the noisy p over S from 10⁶ noisy ones: F = (Σ_S √(p q))² with sd ≈
    √(F(1 − F)/10⁶). The allowed error adds it to the job's b + 4 sd (4,000 shots).
    StimSampler takes no seed: its sampler is seeded by patching stim's default.
    """
    stim = pytest.importorskip("stim")
    stimcirq = pytest.importorskip("stimcirq")
    otel, recorder = cirq_fidelity
    compile_sampler = stim.Circuit.compile_sampler
    monkeypatch.setattr(
        stim.Circuit,
        "compile_sampler",
        lambda self, **kw: compile_sampler(self, **{"seed": 4, **kw}),
    )
    n, p, shots = 56, 0.003, 4000
    ideal_circuit = _wide_clifford(n, seed=8)
    noisy = _with_depolarizing(ideal_circuit, p)
    stimcirq.StimSampler().run(noisy, repetitions=shots)
    assert recorder.flush(120)
    [span] = [s for s in otel.spans() if s.name.endswith(" output_fidelity")]
    assert span.attributes[Attr.OUTPUT_FIDELITY_METHOD.value] == "stim"
    assert span.attributes[Attr.CIRCUIT_QUBITS.value] == n

    ideal_rows = stimcirq.cirq_circuit_to_stim_circuit(ideal_circuit).compile_sampler(seed=1)
    support = {row.tobytes() for row in ideal_rows.sample(100_000)}
    assert len(support) <= 16
    noisy_rows = stimcirq.cirq_circuit_to_stim_circuit(noisy).compile_sampler(seed=2)
    rows = noisy_rows.sample(1_000_000)
    seen = Counter(row.tobytes() for row in rows)
    p_s = np.array([seen[x] / len(rows) for x in support])
    exact, bias = exact_and_bias(p_s, np.full(len(support), 1 / len(support)), shots)
    check_span(span, exact, bias, shots, extra=4 * math.sqrt(exact * (1 - exact) / len(rows)))
