"""Emulated devices at simulator speed: simulate only the qubits RB uses, with their device noise.

A Cirq virtual engine (``cirq_google:willow_pink``) runs every circuit on a
state-vector simulator carrying the whole processor's noise model. With noise,
that simulator re-simulates each shot as a separate trajectory and re-applies
the noise model per shot; the model's insertion rules hold one entry per gate
and qubit (pair) of the processor (about 1,200 on a 105-qubit device), each
scanned for every operation. Cost ∝ operations × shots × processor size: over
five minutes for a 5-sample, 100-shot, 1-qubit probe.

:func:`local_sampler` rebuilds the processor for the qubits a probe uses: the
same processor id, device (validation), calibrations and noise properties,
restricted to those qubits (T1, Tphi, readout, per-gate Pauli and FSim errors
for gates among them), on an exact density-matrix sampler
(:class:`MomentCachingDensityMatrixSampler`) that computes each circuit's
output distribution once, with one cached superoperator per distinct noisy
moment, and samples all shots from it. The distribution is the one the full
engine samples, since no noise term couples a used qubit to an unused one.
Jobs still go through the processor's sampler, so an instrumented Cirq records
them as ``willow_pink`` jobs as before. Measured (1 qubit, 10 lengths × 5
samples × 100 shots): about 1 s of CPU; 2 qubits about 5 s.

Qiskit fake backends need no such step: Aer's ``truncate`` pass simulates only
the qubits a circuit touches, with their noise from the backend's properties.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any

import cirq
import numpy as np

__all__ = [
    "MomentCachingDensityMatrixSampler",
    "device_noise_model",
    "local_sampler",
    "restrict_noise_properties",
]


def _within(key: Any, keep: frozenset) -> bool:
    """Whether a noise-properties key lies in ``keep``: a qubit, or an ``OpIdentifier``
    whose qubits all do; other keys (gate types, for gate times) always."""
    if isinstance(key, cirq.Qid):
        return key in keep
    if isinstance(key, cirq.devices.noise_utils.OpIdentifier):
        return all(q in keep for q in key.qubits)
    return True


def restrict_noise_properties(properties: Any, qubits: Iterable[Any]) -> Any:
    """A copy of Cirq noise properties holding only entries on ``qubits``.

    Works on any ``cirq.devices.SuperconductingQubitsNoiseProperties`` dataclass
    (``cirq_google.GoogleNoiseProperties`` included): every dict field keyed by
    qubit or by ``OpIdentifier`` keeps the keys whose qubits all lie in ``qubits``.
    """
    keep = frozenset(qubits)
    changes = {
        f.name: {k: v for k, v in value.items() if _within(k, keep)}
        for f in dataclasses.fields(properties)
        if isinstance(value := getattr(properties, f.name), dict)
    }
    return dataclasses.replace(properties, **changes)


def _noise_of(processor: Any) -> tuple[type, Any] | None:
    """(noise model class, noise properties) of a simulated processor's simulator, or None.

    Cirq exposes neither the processor's simulator nor the model's properties
    publicly, so this reads the private attributes and gives up quietly (the
    caller then keeps the full engine) if a release renames them.
    """
    sampler = getattr(processor, "_sampler", None)  # ValidatingSampler(simulator)
    simulator = getattr(sampler, "_sampler", sampler)
    noise = getattr(simulator, "noise", None)
    properties = getattr(noise, "_noise_properties", None)
    if not isinstance(
        noise, cirq.devices.NoiseModelFromNoiseProperties
    ) or not dataclasses.is_dataclass(properties):
        return None
    return type(noise), properties


def device_noise_model(processor_id: str, qubits: Sequence[Any]) -> Any:
    """Noise model of a bundled Google processor (``cirq_google.engine.load_device_noise_properties``)
    restricted to ``qubits``: the floor a local density-matrix simulation can reach."""
    import cirq_google

    properties = cirq_google.engine.load_device_noise_properties(processor_id)
    return cirq_google.NoiseModelFromGoogleNoiseProperties(
        restrict_noise_properties(properties, qubits)
    )


def local_sampler(sampler: Any, qubits: Sequence[Any], *, seed: int | None = None) -> Any:
    """A virtual engine's processor sampler rebuilt to simulate only ``qubits``.

    Args:
        sampler: a ``ProcessorSampler`` (e.g. ``BackendSpec.load()`` of ``cirq_google:<id>``).
        qubits: the device qubits the circuits act on.
        seed: seeds the density-matrix simulator's sampling.

    Returns:
        A ``ProcessorSampler`` over a ``SimulatedLocalProcessor`` with the same processor
        id, device, calibrations and device specification and the noise of ``qubits``;
        ``sampler`` itself when it is not a noisy simulated processor (a real
        processor, a noiseless engine, or a simulator without device noise properties).
    """
    processor = getattr(sampler, "processor", None)
    if processor is None or not type(processor).__name__.startswith("SimulatedLocal"):
        return sampler
    found = _noise_of(processor)
    if found is None:
        return sampler
    from cirq_google.engine import SimulatedLocalProcessor

    model_class, properties = found
    model = model_class(restrict_noise_properties(properties, qubits))
    local = SimulatedLocalProcessor(
        processor_id=processor.processor_id,
        sampler=MomentCachingDensityMatrixSampler(model, seed=seed),
        device=processor.get_device(),
        calibrations=dict(getattr(processor, "_calibrations", {}) or {}),
        device_specification=processor.get_device_specification(),
    )
    return local.get_sampler()


class MomentCachingDensityMatrixSampler(cirq.Sampler):
    """Exact density-matrix sampling for circuits on a few qubits, one superoperator per moment.

    RB circuits repeat a handful of moments (a Clifford's ``PhasedXZ`` on a qubit, a
    CZ, the noise the model adds after them) thousands of times. Cirq's
    ``DensityMatrixSimulator`` goes through every channel's protocol dispatch at each
    occurrence; this sampler applies the noise model to the circuit as the simulator
    does, builds each distinct resulting moment's superoperator once (with
    ``cirq.apply_channel``, so the channel is the simulator's exactly) and then
    evolves the d²-vector of ρ by matrix products. Terminal measurements are
    sampled from the final populations; anything else (mid-circuit measurement,
    parameters left unresolved, more than :attr:`max_qubits`) goes to Cirq's simulator.

    Args:
        noise: a ``cirq.NoiseModel`` (here: the device's, restricted to the used qubits).
        seed: seeds the sampling.
    """

    max_qubits = 4  # a 256 x 256 superoperator per moment

    def __init__(self, noise: Any, *, seed: int | None = None) -> None:
        self.noise = cirq.NoiseModel.from_noise_model_like(noise)
        self._rng = np.random.default_rng(seed)
        self._cache: dict = {}

    def run_sweep(self, program: Any, params: Any, repetitions: int = 1) -> list:
        out = []
        for resolver in cirq.to_resolvers(params):
            circuit = cirq.resolve_parameters(program, resolver)
            measured = self._measurements(circuit)
            if measured is None:
                sim = cirq.DensityMatrixSimulator(
                    noise=self.noise, seed=int(self._rng.integers(2**32))
                )
                out.append(sim.run(circuit, resolver, repetitions))
                continue
            qubits = sorted(circuit.all_qubits())
            probs = self._populations(circuit, qubits)
            outcomes = self._rng.choice(len(probs), size=repetitions, p=probs)
            n = len(qubits)
            bits = (outcomes[:, None] >> (n - 1 - np.arange(n))[None, :]) & 1
            index = {q: i for i, q in enumerate(qubits)}
            records = {
                key: (bits[:, [index[q] for q in op_qubits]] ^ invert).astype(np.int8)
                for key, op_qubits, invert in measured
            }
            out.append(cirq.ResultDict(params=resolver, measurements=records))
        return out

    def _measurements(self, circuit: Any) -> list | None:
        """(key, qubits, invert mask) of terminal, plain measurements; None if not simulable here."""
        if (
            cirq.is_parameterized(circuit)
            or len(circuit.all_qubits()) > self.max_qubits
            or not circuit.are_all_measurements_terminal()
        ):
            return None
        found = []
        for op in circuit.all_operations():
            gate = op.gate
            if cirq.is_measurement(op):
                if not isinstance(gate, cirq.MeasurementGate) or gate.confusion_map:
                    return None
                found.append(
                    (gate.key, op.qubits, np.array(gate.full_invert_mask(), dtype=np.int8))
                )
        return found

    def _populations(self, circuit: Any, qubits: list) -> Any:
        """Final populations of ``circuit`` under the noise model, as Cirq's simulator
        would compute them: the model is applied to the whole circuit the same way, and
        each resulting moment's channel is applied exactly up to the measurements (noise
        the model adds on a qubit after its terminal measurement cannot change its outcome)."""
        d = 2 ** len(qubits)
        rho = np.zeros(d * d, dtype=complex)
        rho[0] = 1.0
        measured: set = set()
        for op_tree in self.noise.noisy_moments(circuit, qubits):
            for item in cirq.flatten_to_ops_or_moments(op_tree):
                ops = item.operations if isinstance(item, cirq.Moment) else (item,)
                live = [
                    op
                    for op in ops
                    if not cirq.is_measurement(op) and measured.isdisjoint(op.qubits)
                ]
                if live:
                    rho = self._superoperator(live, tuple(qubits)) @ rho
                measured.update(q for op in ops if cirq.is_measurement(op) for q in op.qubits)
        probs = np.clip(rho.reshape(d, d).diagonal().real, 0.0, None)
        return probs / probs.sum()

    def _superoperator(self, ops: list, qubits: tuple) -> Any:
        key = (qubits, *map(_op_key, ops))
        superop = self._cache.get(key)
        if superop is None:
            superop = self._cache[key] = _superoperator(ops, qubits)
        return superop


def _op_key(op: Any) -> Any:
    """A hashable identity of an operation; channels such as ``KrausChannel`` are not
    hashable, so they are keyed by their Kraus matrices' bytes."""
    try:
        hash(op)
        return op
    except TypeError:
        return op.qubits, type(op.gate), tuple(k.tobytes() for k in cirq.kraus(op))


def _superoperator(ops: list, qubits: tuple) -> Any:
    """Superoperator (on row-major vec ρ) of ``ops`` applied in order, by ``cirq.apply_channel``."""
    n, d = len(qubits), 2 ** len(qubits)
    index = {q: i for i, q in enumerate(qubits)}
    superop = np.empty((d * d, d * d), dtype=complex)
    for col in range(d * d):
        tensor = np.zeros((2,) * (2 * n), dtype=complex)
        tensor.reshape(d * d)[col] = 1.0
        for op in ops:
            axes = [index[q] for q in op.qubits]
            args = cirq.ApplyChannelArgs(
                tensor,
                np.empty_like(tensor),
                np.empty_like(tensor),
                np.empty_like(tensor),
                axes,
                [n + a for a in axes],
            )
            tensor = np.array(cirq.apply_channel(op, args), copy=True)
        superop[:, col] = tensor.reshape(d * d)
    return superop
