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
for gates among them), on a density-matrix simulator that computes each
circuit's output distribution once and samples all shots from it. The
distribution is the one the full engine samples, since no noise term couples
a used qubit to an unused one. Jobs still go through the processor's sampler,
so an instrumented Cirq records them as ``willow_pink`` jobs as before.

Qiskit fake backends need no such step: Aer's ``truncate`` pass simulates only
the qubits a circuit touches, with their noise from the backend's properties.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["device_noise_model", "local_sampler", "restrict_noise_properties"]


def _within(key: Any, keep: frozenset) -> bool:
    """Whether a noise-properties key lies in ``keep``: a qubit, or an ``OpIdentifier``
    whose qubits all do; other keys (gate types, for gate times) always."""
    import cirq

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
    changes = {f.name: {k: v for k, v in value.items() if _within(k, keep)}
               for f in dataclasses.fields(properties)
               if isinstance(value := getattr(properties, f.name), dict)}
    return dataclasses.replace(properties, **changes)


def _noise_of(processor: Any) -> tuple[type, Any] | None:
    """(noise model class, noise properties) of a simulated processor's simulator, or None.

    Cirq exposes neither the processor's simulator nor the model's properties
    publicly, so this reads the private attributes and gives up quietly (the
    caller then keeps the full engine) if a release renames them.
    """
    from cirq.devices import NoiseModelFromNoiseProperties

    sampler = getattr(processor, "_sampler", None)  # ValidatingSampler(simulator)
    simulator = getattr(sampler, "_sampler", sampler)
    noise = getattr(simulator, "noise", None)
    properties = getattr(noise, "_noise_properties", None)
    if not isinstance(noise, NoiseModelFromNoiseProperties) or not dataclasses.is_dataclass(properties):
        return None
    return type(noise), properties


def device_noise_model(processor_id: str, qubits: Sequence[Any]) -> Any:
    """Noise model of a bundled Google processor (``cirq_google.engine.load_device_noise_properties``)
    restricted to ``qubits``: the floor a local density-matrix simulation can reach."""
    import cirq_google

    properties = cirq_google.engine.load_device_noise_properties(processor_id)
    return cirq_google.NoiseModelFromGoogleNoiseProperties(restrict_noise_properties(properties, qubits))


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
    import cirq
    from cirq_google.engine import SimulatedLocalProcessor

    model_class, properties = found
    model = model_class(restrict_noise_properties(properties, qubits))
    local = SimulatedLocalProcessor(
        processor_id=processor.processor_id,
        sampler=cirq.DensityMatrixSimulator(noise=model, seed=seed),
        device=processor.get_device(),
        calibrations=dict(getattr(processor, "_calibrations", {}) or {}),
        device_specification=processor.get_device_specification(),
    )
    return local.get_sampler()
