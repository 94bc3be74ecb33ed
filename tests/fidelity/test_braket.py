"""Output fidelity of Braket ``LocalSimulator`` tasks against the exact noisy density matrix.

The exact F = (Σₓ √(pₓ qₓ))² takes p from the ``braket_dm`` density matrix of the
noisy circuit and q from the ``braket_sv`` state vector of the same circuit without
its noise, both through Braket's own simulators (shots=0), not qobserve's code.
Tolerance: b + 4 sd around the exact value (``helpers.py`` derives both).
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("braket.devices")

from braket.circuits import Circuit
from braket.circuits.noises import AmplitudeDamping, Depolarizing, TwoQubitDepolarizing
from braket.devices import LocalSimulator
from opentelemetry.instrumentation.utils import suppress_instrumentation

from qobserve.fidelity.braket_ideal import braket_ideal
from qobserve.instrumentation.braket import BraketInstrumentor
from qobserve.semconv import METRICS, Attr
from tests.fidelity.helpers import check_interval, check_span, exact_and_bias

FIDELITY = METRICS["quantum_job_output_fidelity_ratio"].otel_name
SHOTS = 4000


@pytest.fixture
def braket_fidelity(otel, monkeypatch):
    """Every LocalSimulator task compared; the simulators' unseeded default_rng() seeded."""
    default_rng = np.random.default_rng
    monkeypatch.setattr(
        np.random, "default_rng", lambda seed=None: default_rng(13 if seed is None else seed)
    )
    inst = BraketInstrumentor()
    inst.instrument(**otel.providers, output_fidelity=1.0)
    inst._fidelity._seed = 5
    yield otel, inst._fidelity
    inst.uninstrument()


def _ghz(n: int) -> Circuit:
    circuit = Circuit().h(0)
    for i in range(n - 1):
        circuit.cnot(i, i + 1)
    return circuit


def _random(n: int, depth: int, seed: int) -> Circuit:
    """Layers of random rotations and a CNOT or CZ on a random pair, qubits 0…n-1."""
    rng = np.random.default_rng(seed)
    circuit = Circuit()
    for _ in range(depth):
        for q in range(n):
            getattr(circuit, str(rng.choice(["rx", "ry", "rz"])))(q, float(rng.uniform(0, np.pi)))
        a, b = (int(i) for i in rng.choice(n, 2, replace=False))
        getattr(circuit, str(rng.choice(["cnot", "cz"])))(a, b)
    circuit.h(0)
    return circuit


def _noisy(circuit: Circuit, damping: float) -> Circuit:
    noisy = circuit.copy()
    noisy.apply_gate_noise(Depolarizing(0.01), target_gates=None)
    noisy.apply_gate_noise(TwoQubitDepolarizing(0.03))
    if damping:
        noisy.apply_gate_noise(AmplitudeDamping(damping))
    return noisy


def _exact(ideal: Circuit, noisy: Circuit) -> tuple[float, float]:
    """(F, bias) from Braket's density matrix of ``noisy`` and state vector of ``ideal``."""
    with suppress_instrumentation():
        rho = LocalSimulator("braket_dm").run(noisy.copy().density_matrix(), shots=0).result()
        psi = LocalSimulator("braket_sv").run(ideal.copy().state_vector(), shots=0).result()
    p = np.clip(np.real(np.diag(rho.values[0])), 0, None)
    return exact_and_bias(p, np.abs(np.asarray(psi.values[0])) ** 2, SHOTS)


@pytest.mark.parametrize(
    ("circuit", "damping"),
    [(_ghz(3), 0.0), (_ghz(4), 0.02), (_random(4, 4, seed=3), 0.02)],
    ids=["ghz3", "ghz4-damped", "random4-damped"],
)
def test_braket_dm_task_matches_exact_density_matrix(braket_fidelity, circuit, damping):
    """A noisy braket_dm task's Hellinger fidelity is within b + 4 sd of the exact value."""
    otel, recorder = braket_fidelity
    noisy = _noisy(circuit, damping)
    exact, bias = _exact(circuit, noisy)
    LocalSimulator("braket_dm").run(noisy, shots=SHOTS).result()
    assert recorder.flush(30)
    [span] = [s for s in otel.spans() if s.name == "braket braket_dm output_fidelity"]
    check_span(span, exact, bias, SHOTS)
    check_interval(span, exact)
    assert span.attributes[Attr.CIRCUIT_QUBITS.value] == circuit.qubit_count
    job = next(s for s in otel.spans() if s.name == "braket braket_dm run")
    assert span.links[0].context.span_id == job.context.span_id
    assert otel.value(FIDELITY, **{Attr.BACKEND.value: "braket_dm"}) == 1


def test_measure_instructions_set_the_bit_order(braket_fidelity):
    """Measuring qubits 3 then 0 of |0⟩|1⟩ (q0 = 1 via X): the ideal puts all mass on the read order."""
    circuit = Circuit().x(0).h(1).cnot(1, 2).measure([3, 0])
    ideal = braket_ideal(circuit)
    # Clbit 0 reads qubit 3 (0), clbit 1 reads qubit 0 (1): Qiskit key "10".
    assert list(ideal(["10", "01", "00", "11"])) == pytest.approx([1.0, 0.0, 0.0, 0.0])
    otel, recorder = braket_fidelity
    LocalSimulator("braket_sv").run(circuit, shots=200).result()
    assert recorder.flush(30)
    [span] = [s for s in otel.spans() if s.name.endswith(" output_fidelity")]
    assert span.attributes[Attr.OUTPUT_FIDELITY.value] == pytest.approx(1.0)


def test_run_batch_compares_each_task(braket_fidelity):
    """A run_batch of two noiseless circuits gives two spans of fidelity ≈ 1 linked to the batch."""
    otel, recorder = braket_fidelity
    LocalSimulator("braket_sv").run_batch([_ghz(3), _random(3, 2, seed=1)], shots=2000).results()
    assert recorder.flush(30)
    spans = [s for s in otel.spans() if s.name == "braket braket_sv output_fidelity"]
    assert sorted(s.attributes[Attr.CIRCUIT_INDEX.value] for s in spans) == [0, 1]
    # A perfect device over K ≤ 8 outcomes: bias ≥ −(K − 1)/(4N), sd ≤ √(F(1−F)/N) → 0.
    assert all(s.attributes[Attr.OUTPUT_FIDELITY.value] > 1 - 7 / (4 * 2000) - 0.005 for s in spans)


def test_wide_clifford_braket_circuit_uses_stim():
    """A 40-qubit GHZ (over the cap of 20, Clifford) gets a stim lookup: ½ on 0…0 and 1…1."""
    ideal = braket_ideal(_ghz(40))
    assert ideal.method == "stim"
    assert list(ideal(["0" * 40, "1" * 40, "0" * 39 + "1"])) == [0.5, 0.5, 0.0]


def test_gate_too_wide_for_a_unitary_is_refused():
    """An X with 11 controls (a 2¹² × 2¹² unitary) is refused before the matrix is built."""
    from qobserve.fidelity.lookup import TooWide

    circuit = Circuit().x(11, control=list(range(11)))
    with pytest.raises(TooWide, match="12 qubits"):
        braket_ideal(circuit, max_qubits=20)


def test_controlled_gate_matches_its_definition():
    """X on qubit 2 controlled by qubit 0 in state 0: |000⟩ → |001⟩ (qubit 2 is clbit 2, leftmost)."""
    circuit = Circuit().x(2, control=[0], control_state=[0]).i(1)
    assert list(braket_ideal(circuit)(["100", "000"])) == pytest.approx([1.0, 0.0])


def test_free_parameters_are_bound_to_the_task_inputs(braket_fidelity):
    """rx(θ) with θ = π given as ``inputs``: the ideal is |1⟩, so a noiseless run scores 1."""
    from braket.circuits import FreeParameter

    otel, recorder = braket_fidelity
    circuit = Circuit().rx(0, FreeParameter("theta")).cnot(0, 1)
    LocalSimulator("braket_sv").run(circuit, shots=200, inputs={"theta": np.pi}).result()
    assert recorder.flush(30)
    [span] = [s for s in otel.spans() if s.name.endswith(" output_fidelity")]
    assert span.attributes[Attr.OUTPUT_FIDELITY.value] == pytest.approx(1.0)


def test_task_without_shots_is_counted_as_unsupported(braket_fidelity):
    """A shots=0 task (exact result types, no counts) is dropped as unsupported, not as an error."""
    otel, recorder = braket_fidelity
    LocalSimulator("braket_sv").run(_ghz(2).state_vector(), shots=0).result()
    assert recorder.flush(30)
    dropped = METRICS["qobserve_output_fidelity_dropped_total"].otel_name
    assert otel.value(dropped, **{Attr.REASON.value: "unsupported"}) == 1
    assert otel.value(dropped, **{Attr.REASON.value: "error"}) == 0
