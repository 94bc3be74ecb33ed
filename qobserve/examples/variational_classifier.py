"""A variational classifier on a local simulator, instrumented with one decorator.

Two Gaussian blobs in the plane (generated here, no dataset download) are
angle-encoded on 4 qubits, followed by RY layers and a CZ ring; the prediction
is f(x) = ⟨Z₀⟩ ∈ [−1, 1] and the label sign(f). The loss 1 − mean(y·f) is
linear in the expectation values, so the parameter-shift rule gives its exact
gradient and the shot noise of every expectation value propagates to a
standard error: each step is one Estimator job holding every shifted circuit
for every training point.

    python -m qobserve.examples.variational_classifier # serves /metrics on :9464

``train(...)`` is reusable (``qobserve demo`` calls it).
"""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector
from qiskit.quantum_info import SparsePauliOp
from qiskit_aer.primitives import EstimatorV2

from qobserve.training import Expectations, parameter_shift, track_training

__all__ = ["EXPERIMENT", "classifier_circuit", "make_blobs", "train"]

EXPERIMENT = "variational-classifier"
QUBITS, LAYERS = 4, 2


def make_blobs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points, half around (−0.8, −0.8) labelled −1, half around (+0.8, +0.8) labelled +1."""
    rng = np.random.default_rng(seed)
    y = np.where(np.arange(n) % 2 == 0, -1.0, 1.0)
    x = y[:, None] * 0.8 + rng.normal(0, 0.5, size=(n, 2))
    return x, y


def classifier_circuit(qubits: int = QUBITS, layers: int = LAYERS) -> QuantumCircuit:
    """Angle encoding RY(x₀), RY(x₁) alternating over qubits, then ``layers`` × (RY each, CZ ring)."""
    x, w = ParameterVector("x", 2), ParameterVector("w", qubits * layers)
    qc = QuantumCircuit(qubits)
    for q in range(qubits):
        qc.ry(x[q % 2], q)
    for layer in range(layers):
        for q in range(qubits):
            qc.ry(w[layer * qubits + q], q)
        for q in range(qubits):
            qc.cz(q, (q + 1) % qubits)
    return qc


class _Model:
    """Predictions for a whole data set in one Estimator job."""

    def __init__(self, estimator, shots: int, qubits: int, layers: int) -> None:
        self.circuit = classifier_circuit(qubits, layers)
        self.observable = SparsePauliOp("I" * (qubits - 1) + "Z")
        self.estimator, self.precision = estimator, 1 / np.sqrt(shots)
        names = [p.name for p in self.circuit.parameters]
        self._x_cols = [names.index(f"x[{i}]") for i in range(2)]
        self._w_cols = [names.index(f"w[{i}]") for i in range(qubits * layers)]

    def predict(self, weights: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """⟨Z₀⟩ and its standard error for every (weights row, data point): shapes ``(m, n)``."""
        weights = np.atleast_2d(weights)
        values = np.empty((len(weights), len(x), len(self._x_cols) + len(self._w_cols)))
        values[..., self._w_cols] = weights[:, None, :]
        values[..., self._x_cols] = x[None, :, :]
        job = self.estimator.run(
            [(self.circuit, self.observable, values)], precision=self.precision
        )
        data = job.result()[0].data
        return np.asarray(data.evs), np.asarray(data.stds)

    def loss_fn(self, x: np.ndarray, y: np.ndarray):
        """Expectation function for ``parameter_shift``: loss 1 − mean(y·f) per weights row."""

        def expectation(batch: np.ndarray) -> Expectations:
            evs, stds = self.predict(batch, x)
            return Expectations(1 - (evs * y).mean(axis=1), np.sqrt((stds**2).sum(axis=1)) / len(y))

        return expectation


def train(
    *,
    steps: int = 15,
    seed: int = 7,
    shots: int = 1000,
    lr: float = 0.6,
    points: int = 24,
    qubits: int = QUBITS,
    layers: int = LAYERS,
    estimator=None,
    **tracking,
) -> dict:
    """Train the classifier; ``tracking`` goes to :func:`track_training` (providers, detectors).

    ``estimator`` defaults to Aer's ``EstimatorV2`` (fast; shot noise modelled as
    Gaussian of std 1/√shots). Pass ``qiskit_ibm_runtime.EstimatorV2(mode=AerSimulator())``
    for real sampling (≈ 20x slower): its jobs are traced by the Qiskit
    instrumentor and appear under their step spans.

    Returns:
        ``{"loss", "accuracy", "steps", "weights", "anomalies"}`` after the last step.
    """
    x_train, y_train = make_blobs(points, seed)
    x_val, y_val = make_blobs(points, seed + 1)
    estimator = estimator or EstimatorV2(options={"run_options": {"seed": seed}})
    model = _Model(estimator, shots, qubits, layers)
    cost = model.loss_fn(x_train, y_train)

    @track_training(
        EXPERIMENT,
        seed=seed,
        ansatz="ry-cz-ring",
        depth=layers,
        qubits=qubits,
        backend="aer_simulator",
        shots=shots,
        **tracking,
    )
    def fit(run):
        w = np.random.default_rng(seed).uniform(-np.pi, np.pi, qubits * layers)
        loss = np.nan
        for _ in range(steps):
            est = parameter_shift(cost, w, include_value=True)  # one job
            run.record_step(loss=est.value, estimate=est, learning_rate=lr)
            assert est.value is not None  # include_value=True
            loss, w = est.value, w - lr * est.gradient
            if run.should_stop:
                break
        f_val, _ = model.predict(w, x_val)
        accuracy = float(np.mean(np.sign(f_val[0]) == y_val))
        run.record_validation(accuracy=accuracy, loss=float(1 - np.mean(f_val[0] * y_val)))
        return {
            "loss": float(loss),
            "accuracy": accuracy,
            "steps": run.steps,
            "weights": w,
            "anomalies": list(run.anomalies),
        }

    return fit()


if __name__ == "__main__":
    import qobserve

    qobserve.configure(service_name="variational-classifier", prometheus_port=9464)
    try:
        qobserve.instrument()  # job spans become children of the step spans
    except Exception as exc:  # instrumentors may be missing in a partial install
        print(f"SDK instrumentation unavailable: {exc}")
    result = train()
    print(f"loss {result['loss']:.3f}  validation accuracy {result['accuracy']:.2f}")
