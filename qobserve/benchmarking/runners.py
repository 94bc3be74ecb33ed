"""Run neutral RB circuits on each SDK and return survival probabilities of |0…0⟩.

Every runner submits through the SDK's ordinary public call (``backend.run``,
``SamplerV2.run``, ``device.run``/``run_batch``, ``sampler.run_batch``), so an
installed qobserve instrumentor records the probe's jobs like any other, and
in as few jobs as the provider allows: one Qiskit job and one Cirq batch for all
circuits; Braket's unit is the one-circuit task, batched on AWS. On a Google
processor (``cirq_google:<name>``) qubit i is the device's i-th grid qubit,
each Clifford is compiled to its native gates (PhasedXZ, CZ), and a virtual engine
simulates only the RB qubits, with their device noise (:mod:`.emulation`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from qobserve.backends import BackendSpec, NoiseSpec
from qobserve.benchmarking import circuits as build
from qobserve.benchmarking.rb_experiment import RBCircuit
from qobserve.semconv import Provider

__all__ = ["Progress", "load_device", "qiskit_circuits", "run_circuits", "run_stim"]

#: ``progress(done, total)`` after circuits complete.
Progress = Callable[[int, int], None]

_ZSX = {"rz", "sx", "x", "cx"}
_STANDARD = {"s", "sdg", "z", "sx", "x", "cx"}


def _noop(done: int, total: int) -> None:
    return None


def qiskit_circuits(
    device: Any,
    circuits: Sequence[RBCircuit],
    qubits: Sequence[int],
    *,
    noise: NoiseSpec | None = None,
    seed: int | None = None,
    interleave: str | None = None,
    unitaries: bool = False,
) -> list:
    """Qiskit circuits ready for ``device.run``: built directly in the device's basis on
    its physical qubits when the target supports every gate there, else transpiled once
    with the RB qubits as the initial layout (barriers keep Cliffords apart).
    ``unitaries`` builds one labelled unitary per layer for a plain Aer simulator
    (:func:`~.circuits.to_qiskit`), whatever its target.

    Raises:
        ValueError: ``interleave:`` when the device has no such gate on the RB qubits.
    """
    target: Any = getattr(device, "target", None)  # a qiskit Target, untyped
    names = set(target.operation_names) if target is not None else set()
    # Devices with a coupling map need circuits as wide as the device; simulators don't.
    coupled = target is not None and target.num_qubits and target.build_coupling_map() is not None
    width = target.num_qubits if coupled else max(qubits) + 1
    pairs = [(qubits[0], qubits[1]), (qubits[1], qubits[0])] if len(qubits) == 2 else []
    if coupled:
        _check_coupled(target, qubits, pairs)
    if interleave is not None and target is not None:
        _check_gate(target, interleave, tuple(qubits))

    def supported(gates: set[str]) -> bool:
        if not pairs:  # one-qubit Cliffords use no CX: ECR devices need no transpile either
            gates = gates - {"cx"}
        gates = gates | ({interleave} if interleave else set())
        if not gates <= names:
            return False
        one = all(
            target.instruction_supported(g, (q,))
            for g in gates - {"cx", "cz", "ecr"}
            for q in qubits
        )
        return one and all(target.instruction_supported("cx", p) for p in pairs)

    if unitaries:
        return build.to_qiskit(circuits, qubits, width=width, unitaries=True)
    for basis, rz in ((_STANDARD, False), (_ZSX, True)):
        if target is not None and supported(basis):
            return build.to_qiskit(circuits, qubits, width=width, noise=noise, rz_basis=rz)
    from qiskit import transpile

    native = build.to_qiskit(circuits, range(len(qubits)), noise=noise, barriers=True)
    return transpile(
        native, device, initial_layout=list(qubits), optimization_level=1, seed_transpiler=seed
    )


def _check_gate(target: Any, gate: str, qubits: tuple[int, ...]) -> None:
    """The interleaved gate must be native on the RB qubits: transpiled, it would be
    another gate sequence and its error not the one reported."""
    if gate not in target.operation_names or not target.instruction_supported(gate, qubits):
        have = sorted(n for n in ("x", "sx", "cx", "cz", "ecr") if n in target.operation_names)
        where = f"qubits {','.join(map(str, qubits))}" if len(qubits) > 1 else f"qubit {qubits[0]}"
        raise ValueError(
            f"interleave: this device has no native {gate!r} on {where}; "
            f"it has {', '.join(have) or 'none of x, sx, cx, cz, ecr'}"
        )


def _check_coupled(target: Any, qubits: Sequence[int], pairs: list[tuple[int, int]]) -> None:
    """RB qubits must exist on the device and, for two, be coupled: a transpiler would
    otherwise route through SWAPs and the probe would measure something else."""
    if max(qubits) >= target.num_qubits:
        raise ValueError(
            f"qubits: {max(qubits)} is out of range; this device has {target.num_qubits} "
            f"qubits (0-{target.num_qubits - 1})"
        )
    if pairs:
        coupling = target.build_coupling_map()
        if not any(coupling.graph.has_edge(*p) for p in pairs):
            near = sorted(set(coupling.neighbors(qubits[0])))
            raise ValueError(
                f"qubits: {qubits[0]} and {qubits[1]} are not coupled on this device; "
                f"qubit {qubits[0]} couples to {near}"
            )


def _plain_aer(device) -> bool:
    """An Aer simulator without a noise model of its own (``qiskit:aer``): it runs one
    unitary per Clifford, and injected noise goes into a run-time noise model."""
    return (
        type(device).__name__ == "AerSimulator"
        and type(device).__module__.startswith("qiskit_aer")
        and device.options.noise_model is None
    )


def _qiskit(device, circuits, qubits, shots, seed, noise, progress, interleave=None) -> np.ndarray:
    aer = _plain_aer(device)
    qcs = qiskit_circuits(
        device,
        circuits,
        qubits,
        noise=None if aer else noise,
        seed=seed,
        interleave=interleave,
        unitaries=aer,
    )
    zeros = "0" * len(qubits)
    progress(0, len(qcs))
    if _is_ibm_runtime(device):
        from qiskit_ibm_runtime import SamplerV2

        result = SamplerV2(mode=device).run(qcs, shots=shots).result()
        counts = [r.join_data().get_counts() for r in result]
    else:
        options: dict[str, Any] = {} if seed is None else {"seed_simulator": seed}
        if aer and noise is not None:
            options["noise_model"] = build.layer_noise_model(noise, len(qubits))
        result = device.run(qcs, shots=shots, **options).result()
        failed = [exp.status for exp in result.results if not exp.success]
        if failed:
            raise RuntimeError(f"backend: {len(failed)} RB circuits failed: {failed[0]}")
        # Raw counts are keyed by hex outcome, all-zeros being "0x0" for any register width;
        # reading them directly skips formatting 300 count dictionaries.
        counts = [{zeros: exp.data.counts.get("0x0", 0)} for exp in result.results]
    progress(len(qcs), len(qcs))
    return np.array([c.get(zeros, 0) / shots for c in counts])


def _is_ibm_runtime(device) -> bool:
    return type(device).__module__.startswith("qiskit_ibm_runtime") and not type(
        device
    ).__module__.startswith("qiskit_ibm_runtime.fake_provider")


def _braket(device, circuits, qubits, shots, seed, noise, progress, interleave=None) -> np.ndarray:
    circs = build.to_braket(circuits, qubits, noise=noise)
    zeros = "0" * len(qubits)
    total = len(circs)
    if hasattr(device, "run_batch") and type(device).__name__ == "AwsDevice":
        batch = device.run_batch(circs, shots=shots)
        results = batch.results(fail_unsuccessful=True)
        progress(total, total)
    else:  # local simulator: sequential tasks give a live progress bar without process pools
        results = []
        for i, c in enumerate(circs):
            results.append(device.run(c, shots=shots).result())
            progress(i + 1, total)
    return np.array([r.measurement_counts.get(zeros, 0) / shots for r in results])


def _cirq_qubits(device, qubits: tuple[int, ...]) -> tuple[list, bool]:
    """Line qubits for simulators; for a Google processor sampler, its i-th grid qubit."""
    import cirq

    processor = getattr(device, "processor", None) or getattr(device, "_processor", None)
    if processor is None:
        return [cirq.LineQubit(q) for q in qubits], False
    grid = sorted(processor.get_device().metadata.qubit_set)
    if max(qubits) >= len(grid):
        raise ValueError(
            f"qubits: {max(qubits)} is out of range; this processor has {len(grid)} qubits"
        )
    chosen = [grid[q] for q in qubits]
    if len(chosen) == 2 and not chosen[0].is_adjacent(chosen[1]):
        near = [grid.index(g) for g in grid if g.is_adjacent(chosen[0])]
        raise ValueError(
            f"qubits: {qubits[0]} and {qubits[1]} are not coupled on this processor; "
            f"qubit {qubits[0]} couples to {near}"
        )
    return chosen, True


def _cirq(device, circuits, qubits, shots, seed, noise, progress, interleave=None) -> np.ndarray:
    targets, google = _cirq_qubits(device, qubits)
    circs = build.to_cirq(circuits, targets, noise=noise, google_native=google)
    if google:  # a virtual engine: simulate only the RB qubits, with their device noise
        from qobserve.benchmarking.emulation import local_sampler

        device = local_sampler(device, targets, seed=seed)
    progress(0, len(circs))
    results = device.run_batch(circs, repetitions=shots)
    progress(len(circs), len(circs))
    return np.array(
        [float(np.mean(~r[0].measurements[build.MEASURE_KEY].any(axis=1))) for r in results]
    )


_RUNNERS = {Provider.QISKIT: _qiskit, Provider.BRAKET: _braket, Provider.CIRQ: _cirq}


def run_circuits(
    spec: BackendSpec,
    device: Any,
    circuits: Sequence[RBCircuit],
    qubits: Sequence[int],
    *,
    shots: int,
    seed: int | None = None,
    progress: Progress | None = None,
    interleave: str | None = None,
) -> np.ndarray:
    """Survival probability of |0…0⟩ per circuit on ``device`` (built from ``spec``).

    ``spec.noise`` is injected as a depolarizing channel after every Clifford, so
    ``device`` must be the noise-free simulator (see :func:`load_device`).
    ``interleave`` names the interleaved gate the circuits contain, checked
    against a Qiskit device's target.
    """
    return _RUNNERS[spec.provider](
        device, circuits, tuple(qubits), shots, seed, spec.noise, progress or _noop, interleave
    )


def run_stim(
    circuits: Sequence[RBCircuit],
    num_qubits: int,
    *,
    shots: int,
    depolarizing: float = 0.0,
    readout_error: float = 0.0,
    seed: int | None = None,
    progress: Progress | None = None,
) -> np.ndarray:
    """The fast local path: the same sequences on stim's stabilizer sampler.

    Args:
        depolarizing: DEPOLARIZE1/DEPOLARIZE2 probability p after each Clifford.
        readout_error: flip probability of each measured bit.
    """
    progress = progress or _noop
    circs = build.to_stim(
        circuits, num_qubits, depolarizing=depolarizing, readout_error=readout_error
    )
    rng = np.random.default_rng(seed)
    out = np.empty(len(circs))
    for i, c in enumerate(circs):
        # The recovery makes the ideal outcome |0…0⟩, which is exactly the all-zeros
        # reference sample stim may then skip computing.
        sampler = c.compile_sampler(skip_reference_sample=True, seed=int(rng.integers(2**63)))
        bits = sampler.sample(shots)
        out[i] = float(np.mean(~bits.any(axis=1)))
        if i % 64 == 63 or i == len(circs) - 1:
            progress(i + 1, len(circs))
    return out


def load_device(spec: BackendSpec, seed: int | None = None) -> Any:
    """The SDK object for RB: noise-free for Qiskit and Cirq (noise goes into the
    circuits per Clifford), a density-matrix simulator for Braket when noise is set.
    A fake backend keeps its own device noise; ``--noise`` then adds to it."""
    from dataclasses import replace

    return (
        spec.load(seed=seed)
        if spec.provider is Provider.BRAKET
        else replace(spec, noise=None).load(seed=seed)
    )
