"""Demo stage: the same Bell workload on Braket's and Cirq's local simulators
and on the ``willow_pink`` virtual engine, so one dashboard shows all three SDKs."""

from __future__ import annotations

from qobserve.backends import parse_backend

# Shots per job; the noisy virtual engine simulates every repetition as its own
# trajectory, so it gets fewer.
BACKENDS = {"braket:local": 200, "cirq:simulator": 200, "cirq_google:willow_pink": 50}


def _braket_bell():
    from braket.circuits import Circuit

    return Circuit().h(0).cnot(0, 1)


def _cirq_bell(qubits):
    import cirq

    a, b = qubits
    bell = cirq.Circuit(cirq.H(a), cirq.CNOT(a, b), cirq.measure(a, b, key="m"))
    # CZ plus single-qubit PhasedXZ is native on Google devices and fine for simulators.
    return cirq.optimize_for_target_gateset(bell, gateset=cirq.CZTargetGateset())


def _cirq_qubits(sampler):
    """Two adjacent qubits of the device (any two line qubits on a plain simulator)."""
    import cirq

    device = getattr(getattr(sampler, "processor", None), "get_device", lambda: None)()
    if device is None:
        return cirq.LineQubit.range(2)
    qubits = sorted(device.metadata.qubit_set)
    a = qubits[0]
    return a, next(q for q in qubits if q.is_adjacent(a))


def run(ctx) -> None:
    jobs_each = max(2, ctx.options.jobs // 4)
    task = ctx.progress.add_task("  jobs", total=jobs_each * len(BACKENDS))
    for text, shots in BACKENDS.items():
        spec = parse_backend(text)
        device = spec.load(seed=ctx.options.seed)
        for _ in range(jobs_each):
            if spec.provider.value == "braket":
                device.run(_braket_bell(), shots=shots).result()
            else:
                device.run(_cirq_bell(_cirq_qubits(device)), repetitions=shots)
            ctx.progress.advance(task)
    ctx.progress.remove_task(task)
