"""Ideal expectation values of an estimator PUB, for ``quantum_job_expectation_error``.

The statevector covers the PUB circuit's full width (observables are laid out
on it), so ISA circuits of wide backends exceed the qubit cap and are skipped.
Parameter sweeps are evaluated element by element, broadcast against the
observables as ``EstimatorV2`` does, at most ``max_values`` per PUB.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qobserve.fidelity.ideal import TooWide

__all__ = ["ideal_expectations"]


def ideal_expectations(pub: Any, *, max_qubits: int = 20, max_values: int = 256) -> np.ndarray:
    """Noiseless expectation values of ``pub`` (an ``EstimatorPub``), shaped like its ``evs``.

    Raises:
        TooWide: the circuit is wider than ``max_qubits``.
        ValueError: more than ``max_values`` values to evaluate.
    """
    from qiskit.quantum_info import SparsePauliOp, Statevector

    circuit = pub.circuit
    if circuit.num_qubits > max_qubits:
        raise TooWide(f"{circuit.num_qubits} qubits > max_qubits={max_qubits}")
    bound = np.asarray(pub.parameter_values.bind_all(circuit), dtype=object)
    observables = pub.observables
    shape = np.broadcast_shapes(bound.shape, observables.shape)
    if int(np.prod(shape)) > max_values:
        raise ValueError(f"{int(np.prod(shape))} expectation values > {max_values}")
    flat_obs = observables.ravel().tolist()
    obs_index = np.broadcast_to(np.arange(len(flat_obs)).reshape(observables.shape), shape)
    circ_index = np.broadcast_to(np.arange(bound.size).reshape(bound.shape), shape)
    flat_circuits = bound.reshape(-1)
    states: dict[int, Any] = {}
    out = np.empty(shape)
    for idx in np.ndindex(shape):
        c = int(circ_index[idx])
        if c not in states:
            states[c] = Statevector(flat_circuits[c].remove_final_measurements(inplace=False))
        op = SparsePauliOp.from_list(list(flat_obs[int(obs_index[idx])].items()))
        out[idx] = float(np.real(states[c].expectation_value(op)))
    return out
