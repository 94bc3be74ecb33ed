"""Fixtures: a one-qubit circuit RY(a)·RX(b) on |0⟩ in each SDK, ⟨Z⟩ = cos a · cos b."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from qobserve.training import braket_expectation, cirq_expectation, qiskit_expectation


def exact(theta) -> float:
    return float(np.cos(theta[0]) * np.cos(theta[1]))


def exact_gradient(theta) -> np.ndarray:
    a, b = theta
    return np.array([-np.sin(a) * np.cos(b), -np.cos(a) * np.sin(b)])


def cirq_cost(shots: int, seed: int):
    import cirq
    import sympy

    q = cirq.LineQubit(0)
    circuit = cirq.Circuit(cirq.ry(sympy.Symbol("a")).on(q), cirq.rx(sympy.Symbol("b")).on(q))
    return cirq_expectation(
        cirq.Simulator(seed=seed), circuit, cirq.Z(q), ["a", "b"], repetitions=shots
    )


def braket_cost(shots: int, seed: int):
    from braket.circuits import Circuit, FreeParameter, Observable
    from braket.devices import LocalSimulator

    circuit = Circuit().ry(0, FreeParameter("alpha")).rx(0, FreeParameter("beta"))
    return braket_expectation(
        LocalSimulator(),
        circuit,
        Observable.Z(),
        [0],
        shots=shots,
        parameter_names=["alpha", "beta"],
    )


def qiskit_cost(shots: int, seed: int):
    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter
    from qiskit.primitives import StatevectorEstimator
    from qiskit.quantum_info import SparsePauliOp

    qc = QuantumCircuit(1)
    qc.ry(Parameter("a"), 0)
    qc.rx(Parameter("b"), 0)
    precision = 1 / np.sqrt(shots) if shots else 0.0
    return qiskit_expectation(
        StatevectorEstimator(seed=seed), qc, SparsePauliOp("Z"), precision=precision
    )


COSTS = {"cirq": cirq_cost, "braket": braket_cost, "qiskit": qiskit_cost}


@pytest.fixture
def circuits() -> SimpleNamespace:
    """``costs[sdk](shots, seed)`` expectation functions and the analytic ``exact``/``exact_gradient``."""
    return SimpleNamespace(costs=COSTS, exact=exact, exact_gradient=exact_gradient)


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory):
    """One real ``mlflow server`` (SQLite, served artifacts) on 127.0.0.1 for the session.

    Starting it takes 10–60 s, so every MLflow test shares it; the test that
    kills it mid-run comes last in ``test_mlflow_integration.py``. A missing
    ``mlflow`` fails the tests (CI installs ``.[all,test]``), it does not skip them.
    """
    from qobserve.testing import start_mlflow_server

    server = start_mlflow_server(tmp_path_factory.mktemp("mlflow"))
    yield server
    server.stop()
