"""RB on an emulated Google processor: native gates, only the used qubits, the device's own noise."""

from __future__ import annotations

import time

import cirq
import cirq_google
import numpy as np
import pytest
from cirq.devices.noise_utils import OpIdentifier

from qobserve.backends import parse_backend
from qobserve.benchmarking import RBExperiment, run_rb
from qobserve.benchmarking.circuits import to_cirq
from qobserve.benchmarking.emulation import (
    MomentCachingDensityMatrixSampler,
    device_noise_model,
    local_sampler,
    restrict_noise_properties,
)

PROCESSOR = "willow_pink"


@pytest.fixture(scope="module")
def grid():
    """The processor's qubits in the order ``--qubits`` indexes them."""
    return sorted(cirq_google.engine.create_device_from_processor_id(PROCESSOR).metadata.qubit_set)


@pytest.fixture(scope="module")
def properties():
    return cirq_google.engine.load_device_noise_properties(PROCESSOR)


@pytest.fixture(scope="module")
def sampler():
    return parse_backend(f"cirq_google:{PROCESSOR}").load()


def test_restricted_properties_keep_only_the_used_qubits(properties, grid):
    """T1, readout and per-gate errors survive only for the chosen qubits and gates among them."""
    chosen = grid[:2]
    small = restrict_noise_properties(properties, chosen)
    assert set(small.t1_ns) == set(small.readout_errors) == set(chosen)
    assert small.gate_pauli_errors and all(
        set(k.qubits) <= set(chosen) for k in small.gate_pauli_errors
    )
    assert small.gate_times_ns == properties.gate_times_ns
    pxz = OpIdentifier(cirq.PhasedXZGate, chosen[0])
    assert small.gate_pauli_errors[pxz] == properties.gate_pauli_errors[pxz]
    assert len(properties.gate_pauli_errors) > 10 * len(small.gate_pauli_errors)


@pytest.mark.parametrize("qubits", [(0,), (0, 1)])
def test_native_circuits_use_device_gates_and_invert_ideally(qubits, grid):
    """Each Clifford becomes PhasedXZ / virtual Z / CZ, and every ideal sequence returns to |0…0⟩."""
    experiment = RBExperiment(qubits, (1, 3, 7), num_samples=2, seed=4)
    circuits = to_cirq(experiment.circuits(), [grid[q] for q in qubits], google_native=True)
    allowed = (cirq.PhasedXZGate, cirq.ZPowGate, cirq.CZPowGate, cirq.MeasurementGate)
    for circuit in circuits:
        assert all(isinstance(op.gate, allowed) for op in circuit.all_operations())
        state = cirq.final_state_vector(circuit[:-1], qubit_order=[grid[q] for q in qubits])
        assert abs(state[0]) ** 2 == pytest.approx(1.0, abs=1e-9)


def test_local_sampler_keeps_the_processor_and_passes_other_samplers_through(sampler, grid):
    """The rebuilt sampler is the same processor id (same telemetry labels); a plain simulator is kept."""
    local = local_sampler(sampler, grid[:1], seed=1)
    assert local is not sampler and local.processor.processor_id == PROCESSOR
    assert local.processor.get_device() is sampler.processor.get_device()
    plain = cirq.Simulator()
    assert local_sampler(plain, grid[:1]) is plain


def test_one_qubit_probe_is_fast_and_matches_the_reported_gate_error(sampler, grid, properties):
    """10 lengths × 5 samples × 100 shots on qubit 0 in seconds, EPC from the device's own error.

    willow_pink reports a total Pauli error p = 1.118e-3 per PhasedXZ on qubit 0 (grid (0, 6));
    a Pauli channel of weight p has average gate infidelity 2p/3 = 7.45e-4. Compiled natively,
    20 of the 24 Cliffords are one PhasedXZ and 4 (I, Z, S, S†) a virtual Z with no error, so
    EPC = (20/24)·(2/3)·p = 6.21e-4. Over 30 seeds this design measured mean 6.17e-4, σ ≈ 9 %
    (4.9-7.4e-4), its 95 % interval covering 6.21e-4 in 28; ±30 % is over 3σ. The device's
    reported range across all 105 qubits, (2/3)·[min p, max p]
    = [1.5e-4, 2.1e-3], must contain it too. Before (the full 105-qubit engine): over 5 minutes.
    """
    p = properties.gate_pauli_errors[OpIdentifier(cirq.PhasedXZGate, grid[0])]
    expected = (20 / 24) * (2 / 3) * p
    per_qubit = [properties.gate_pauli_errors[OpIdentifier(cirq.PhasedXZGate, q)] for q in grid]
    low, high = (2 / 3) * min(per_qubit), (2 / 3) * max(per_qubit)
    start = time.process_time()
    result = run_rb(
        f"cirq_google:{PROCESSOR}", (0,), num_samples=5, shots=100, seed=1, device=sampler
    )
    cpu = time.process_time() - start
    assert result.fit.ok, result.fit.message
    assert len(result.experiment.lengths) == 10
    assert result.fit.epc == pytest.approx(expected, rel=0.30)
    assert low <= result.fit.epc <= high
    assert (
        cpu < 30
    )  # measured about 1 s; the bound only catches a return to whole-device simulation


def test_two_qubit_probe_sees_the_cz_error(sampler, properties, grid):
    """Two coupled qubits give an EPC of the size their CZ and PhasedXZ errors predict.

    The Clifford decomposition averages 1.5 CZ; willow_pink's CZ on grid (0, 6)-(0, 7) has
    Pauli error 3.26e-3, i.e. 1.5·(4/5)·3.26e-3 = 3.9e-3 of average infidelity, plus about
    3.5 PhasedXZ at ~(2/3)·1e-3 each and idling decoherence: roughly 6-9e-3 (this design measured
    6.4-8.0e-3 over 10 seeds). Short lengths and few samples here, so a factor-2 window.
    """
    assert properties.gate_pauli_errors[
        OpIdentifier(cirq.CZPowGate, grid[0], grid[1])
    ] == pytest.approx(3.26e-3, rel=0.01)
    result = run_rb(
        f"cirq_google:{PROCESSOR}",
        (0, 1),
        lengths=(1, 5, 10, 20, 40),
        num_samples=3,
        shots=200,
        seed=2,
        device=sampler,
    )
    assert result.fit.ok, result.fit.message
    assert 3.5e-3 < result.fit.epc < 1.6e-2
    assert np.all(result.survival <= 1.0)


@pytest.mark.parametrize("qubits", [(0,), (0, 1)])
def test_moment_caching_sampler_matches_cirqs_density_matrix_simulator(qubits, grid):
    """Populations equal Cirq's (complex128) density-matrix simulation with the same noise model."""
    targets = [grid[q] for q in qubits]
    model = device_noise_model(PROCESSOR, targets)
    circuits = to_cirq(
        RBExperiment(qubits, (1, 6, 15), num_samples=1, seed=3).circuits(),
        targets,
        google_native=True,
    )
    exact = cirq.DensityMatrixSimulator(noise=model, dtype=np.complex128)
    fast = MomentCachingDensityMatrixSampler(model, seed=1)
    for circuit in circuits:
        rho = exact.simulate(circuit[:-1], qubit_order=targets).final_density_matrix
        assert fast._populations(circuit[:-1], targets) == pytest.approx(
            np.diag(rho).real, abs=1e-10
        )


def test_moment_caching_sampler_measures_like_cirq():
    """Keys, shapes and invert masks follow cirq; a mid-circuit measurement falls back to Cirq's simulator."""
    a, b = cirq.LineQubit.range(2)
    sampler = MomentCachingDensityMatrixSampler(cirq.depolarize(0.0), seed=2)
    result = sampler.run(
        cirq.Circuit(
            cirq.X(a), cirq.measure(a, key="x"), cirq.measure(b, key="y", invert_mask=(True,))
        ),
        repetitions=5,
    )
    assert (
        result.measurements["x"].tolist() == [[1]] * 5
        and result.measurements["y"].tolist() == [[1]] * 5
    )
    mid = cirq.Circuit(cirq.measure(a, key="m0"), cirq.X(a), cirq.measure(a, key="m1"))
    assert sampler.run(mid, repetitions=3).measurements["m1"].tolist() == [[1]] * 3


def test_probe_jobs_are_still_recorded_as_the_processors_jobs(instrument_with, sampler):
    """The rebuilt processor keeps the engine's job path: an instrumented Cirq records willow_pink jobs."""
    from qobserve.instrumentation.cirq import CirqInstrumentor

    otel = instrument_with(CirqInstrumentor())
    run_rb(
        f"cirq_google:{PROCESSOR}",
        (0,),
        lengths=(1, 2, 3),
        num_samples=1,
        shots=10,
        seed=1,
        device=sampler,
        **otel.providers,
    )
    names = {s.name for s in otel.spans()}
    assert {f"cirq {PROCESSOR} run_batch", f"cirq {PROCESSOR} rb"} <= names
    assert (
        otel.value(
            "quantum.jobs", **{"quantum.backend": PROCESSOR, "quantum.job.status": "completed"}
        )
        == 1
    )
