"""Per-job output fidelity against the exact value of the noisy simulation (Aer, stim).

Tolerance: ``|F̂ - F| ≤ b + 4 sd``, the bias b and sd derived in ``helpers.py``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

pytest.importorskip("qiskit_aer")

from opentelemetry.instrumentation.utils import suppress_instrumentation
from qiskit import QuantumCircuit, transpile
from qiskit.circuit import Parameter
from qiskit.circuit.random import random_circuit
from qiskit_aer import AerSimulator
from qiskit_aer.noise import NoiseModel, depolarizing_error

from qobserve.fidelity.ideal import ideal_distribution
from qobserve.semconv import METRICS, Attr
from tests.fidelity.helpers import check_interval, check_span, exact_and_bias

FIDELITY = METRICS["quantum_job_output_fidelity_ratio"].otel_name
BASIS = ["rz", "sx", "x", "cx"]
SHOTS = 8000


def _noise(one: float, two: float) -> NoiseModel:
    model = NoiseModel(basis_gates=BASIS)
    model.add_all_qubit_quantum_error(depolarizing_error(one, 1), ["sx", "x"])
    model.add_all_qubit_quantum_error(depolarizing_error(two, 2), ["cx"])
    return model


def _ghz(n: int) -> QuantumCircuit:
    qc = QuantumCircuit(n)
    qc.h(0)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    qc.measure_all()
    return qc


def _random(n: int, seed: int) -> QuantumCircuit:
    qc = random_circuit(n, 4, max_operands=2, measure=False, seed=seed)
    qc.measure_all()
    return qc


def _exact(circuit: QuantumCircuit, noise: NoiseModel) -> tuple[float, float]:
    """(F, bias bound) from the noisy density matrix of the same transpiled circuit."""
    bare = circuit.remove_final_measurements(inplace=False)
    bare.save_density_matrix()
    with suppress_instrumentation():
        rho = (
            AerSimulator(method="density_matrix", noise_model=noise)
            .run(bare)
            .result()
            .data()["density_matrix"]
        )
    p = np.clip(np.real(np.diag(np.asarray(rho))), 0, None)
    keys = [format(i, f"0{circuit.num_qubits}b") for i in range(2**circuit.num_qubits)]
    return exact_and_bias(p, ideal_distribution(circuit)(keys), SHOTS)


def _fidelity_span(otel):
    spans = [s for s in otel.spans() if s.name.endswith(" output_fidelity")]
    assert len(spans) == 1
    return spans[0]


@pytest.mark.parametrize(
    "circuit",
    [_ghz(3), _ghz(5), _random(4, 11), _random(5, 12)],
    ids=["ghz3", "ghz5", "random4", "random5"],
)
def test_output_fidelity_matches_noisy_density_matrix(qiskit_fidelity, circuit):
    """Aer counts under depolarizing noise give the density matrix's Hellinger fidelity within b + 4 sd."""
    otel, recorder = qiskit_fidelity
    noise = _noise(0.01, 0.04)
    tqc = transpile(circuit, basis_gates=BASIS, optimization_level=1, seed_transpiler=3)
    exact, bias = _exact(tqc, noise)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        AerSimulator(noise_model=noise).run(tqc, shots=SHOTS, seed_simulator=5).result()
    assert recorder.flush(30)
    span = _fidelity_span(otel)
    check_span(span, exact, bias, SHOTS)
    check_interval(span, exact)
    assert 0 <= span.attributes[Attr.OUTPUT_TVD.value] <= 1
    job = next(s for s in otel.spans() if s.name == "qiskit aer_simulator run")
    assert span.links[0].context.span_id == job.context.span_id
    assert otel.value(FIDELITY, **{Attr.BACKEND.value: "aer_simulator"}) == 1


def test_wide_clifford_circuit_goes_through_stim(qiskit_fidelity):
    """GHZ-60 on Aer's stabilizer method with depolarizing noise matches a 10⁶-shot stim reference.

    Aer's ``depolarizing_error(λ, 1)`` applies each of X, Y, Z with probability λ/4,
    stim's ``DEPOLARIZE1(p)`` each with p/3: p = 3λ/4; for two qubits p = 15λ/16.
    GHZ's ideal distribution is ½ on 0…0 and 1…1, so F = (sqrt(p₀/2) + sqrt(p₁/2))²
    needs only p₀ and p₁, which 10⁶ stim shots give to sd ~ 5e-4 in F.
    """
    import stim

    otel, recorder = qiskit_fidelity
    n, one, two = 60, 0.002, 0.004
    circuit = QuantumCircuit(n, n)
    circuit.h(0)
    for i in range(n - 1):
        circuit.cx(i, i + 1)
    circuit.measure(range(n), range(n))
    noise = NoiseModel()
    noise.add_all_qubit_quantum_error(depolarizing_error(one, 1), ["h"])
    noise.add_all_qubit_quantum_error(depolarizing_error(two, 2), ["cx"])
    shots = 4000
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        AerSimulator(method="stabilizer", noise_model=noise).run(
            circuit, shots=shots, seed_simulator=9
        ).result()
    assert recorder.flush(60)
    span = _fidelity_span(otel)
    assert span.attributes[Attr.OUTPUT_FIDELITY_METHOD.value] == "stim"

    ref = stim.Circuit()
    ref.append("H", [0])
    ref.append("DEPOLARIZE1", [0], 3 * one / 4)
    for i in range(n - 1):
        ref.append("CX", [i, i + 1])
        ref.append("DEPOLARIZE2", [i, i + 1], 15 * two / 16)
    ref.append("M", range(n))
    bits = ref.compile_sampler(seed=1).sample(1_000_000)
    ones = bits.sum(axis=1)
    p0, p1 = float(np.mean(ones == 0)), float(np.mean(ones == n))
    exact = (math.sqrt(p0 / 2) + math.sqrt(p1 / 2)) ** 2
    tolerance = 1 / (4 * shots) + 4 * math.sqrt(exact * (1 - exact) / shots) + 0.002
    measured = span.attributes[Attr.OUTPUT_FIDELITY.value]
    assert abs(measured - exact) <= tolerance, (measured, exact, tolerance)


def _swept_ghz(n: int) -> QuantumCircuit:
    """GHZ-n with ry(θ) for the Hadamard: cos(θ/2)|0…0⟩ + sin(θ/2)|1…1⟩, transpiled to BASIS."""
    theta = Parameter("θ")
    qc = QuantumCircuit(n)
    qc.ry(theta, 0)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    qc.measure_all()
    return transpile(qc, basis_gates=BASIS, optimization_level=1, seed_transpiler=3)


def test_sampler_sweep_compares_each_binding_with_its_own_ideal(qiskit_fidelity):
    """A SamplerV2 PUB sweeping θ over 5 values under noise: each binding within b + 4 sd of exact."""
    pytest.importorskip("qiskit_ibm_runtime")
    from qiskit_ibm_runtime import SamplerV2

    otel, recorder = qiskit_fidelity
    noise = _noise(0.01, 0.04)
    circuit = _swept_ghz(3)
    thetas = np.linspace(0, np.pi, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        SamplerV2(mode=AerSimulator(noise_model=noise, seed_simulator=5)).run(
            [(circuit, thetas.reshape(5, 1))], shots=SHOTS
        ).result()
    assert recorder.flush(60)
    spans = sorted(
        (s for s in otel.spans() if s.name.endswith(" output_fidelity")),
        key=lambda s: s.attributes[Attr.CIRCUIT_BINDING_INDEX.value],
    )
    assert [s.attributes[Attr.CIRCUIT_BINDING_INDEX.value] for s in spans] == list(range(5))
    for span, theta in zip(spans, thetas, strict=True):
        check_span(span, *_exact(circuit.assign_parameters([theta]), noise), SHOTS)
    assert otel.value(FIDELITY, **{Attr.BACKEND.value: "aer_simulator"}) == 5


def test_large_sweep_is_compared_at_evenly_spaced_bindings(qiskit_fidelity):
    """A 2-D sweep of 5 × 8 bindings is compared at 16 of them, first and last included."""
    pytest.importorskip("qiskit_ibm_runtime")
    from qiskit_ibm_runtime import SamplerV2

    otel, recorder = qiskit_fidelity
    values = np.linspace(0, np.pi, 40).reshape(5, 8, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        SamplerV2(mode=AerSimulator(seed_simulator=1)).run(
            [(_swept_ghz(2), values)], shots=200
        ).result()
    assert recorder.flush(60)
    spans = [s for s in otel.spans() if s.name.endswith(" output_fidelity")]
    compared = sorted(s.attributes[Attr.CIRCUIT_BINDING_INDEX.value] for s in spans)
    assert len(compared) == 16 and compared[0] == 0 and compared[-1] == 39
    # Noiseless, ≤ 2 outcomes, 200 shots: F̂ ≥ 1 − 1/(4·200) − 4·sd, sd → 0 as F → 1.
    assert all(s.attributes[Attr.OUTPUT_FIDELITY.value] > 0.98 for s in spans)
