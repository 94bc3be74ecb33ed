"""Job spans for ``LocalSimulator.run`` / ``run_batch``.

A ``LocalQuantumTask`` is finished when ``run`` returns and its ``metadata()``
is None: the simulator's own start and end times are in
``result().task_metadata`` (``createdAt`` / ``endedAt``), which gives the
execution time. Nothing queues locally and no provider reports a queue time,
so no queue duration is recorded (as for Qiskit's Aer and Cirq's simulators).
``run_batch`` does not call ``run``: each call is one job span.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from opentelemetry.instrumentation.utils import is_instrumentation_enabled

from qobserve.fidelity.braket_ideal import queue_local_task
from qobserve.instrumentation._cost import job_cost_usd
from qobserve.instrumentation._job import JobTelemetry
from qobserve.semconv import JobStatus, Provider

__all__ = ["local_backend_name", "wrap_run", "wrap_run_batch"]

_PROVIDER = Provider.BRAKET.value
_CLASS_NAMES = {"StateVectorSimulator": "braket_sv", "DensityMatrixSimulator": "braket_dm"}


def local_backend_name(device: Any) -> str:
    """The ``quantum_backend`` label of a LocalSimulator (``braket_sv``, ``braket_dm``…)."""
    delegate = getattr(device, "_delegate", None)
    device_id = getattr(delegate, "DEVICE_ID", None)
    if isinstance(device_id, str) and device_id:
        return device_id
    name = getattr(device, "name", "") or type(device).__name__
    return _CLASS_NAMES.get(name, name)


def circuit_facts(spec: Any) -> dict:
    """Qubit count and depth of a Braket Circuit; empty for programs we cannot inspect."""
    try:
        return {"qubits": int(spec.qubit_count), "depth": int(spec.depth)}
    except (AttributeError, TypeError, ValueError):
        return {}


def _unix(text: Any) -> float | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _window(results: list) -> tuple[float | None, float | None]:
    """Earliest createdAt and latest endedAt of the simulator's task metadata."""
    starts, ends = [], []
    for result in results:
        meta = getattr(result, "task_metadata", None)
        start, end = _unix(getattr(meta, "createdAt", None)), _unix(getattr(meta, "endedAt", None))
        if start is not None and end is not None:
            starts.append(start)
            ends.append(end)
    return (min(starts), max(ends)) if starts else (None, None)


def _finish(record, backend: str, shots: int, tasks: int, results: list) -> None:
    started, ended = _window(results)
    now = time.time()
    execution = (ended - started) if started is not None and ended is not None else now - record.t0
    record.event("running", started if started is not None else record.t0)
    record.finish(
        JobStatus.COMPLETED,
        execution_seconds=execution,
        cost_usd=job_cost_usd(_PROVIDER, backend, shots=shots, tasks=tasks),
        result=results,
    )


def _arg(args: tuple, kwargs: dict, index: int, name: str, default=None):
    return args[index] if len(args) > index else kwargs.get(name, default)


def _shots(value: Any) -> int:
    # Counters only go up: invalid (negative, non-integer) shots count as 0; the SDK rejects them.
    return value if isinstance(value, int) and value > 0 else 0


def _describe_run(args: tuple, kwargs: dict) -> tuple[int, list, dict]:
    spec = _arg(args, kwargs, 0, "task_specification")
    return _shots(_arg(args, kwargs, 1, "shots")), [spec], circuit_facts(spec)


def _describe_batch(args: tuple, kwargs: dict) -> tuple[int, list, dict]:
    specs = _arg(args, kwargs, 0, "task_specifications")
    specs = list(specs) if isinstance(specs, (list, tuple)) else [specs]
    facts = circuit_facts(specs[0]) if len(specs) == 1 else {}
    return _shots(_arg(args, kwargs, 1, "shots")), specs, facts


def _wrap(telemetry: JobTelemetry, operation: str, describe, results, fidelity=None):
    def wrapper(wrapped, instance, args, kwargs):
        if not is_instrumentation_enabled():
            return wrapped(*args, **kwargs)
        sampled = fidelity is not None and fidelity.sampled()
        shots, specs, facts = describe(args, kwargs)
        circuits = len(specs)
        backend = local_backend_name(instance)
        record = telemetry.start(
            _PROVIDER, backend, operation, shots=shots, circuits=circuits, submitted=specs, **facts
        )
        record.event("queued", record.t0)
        try:
            returned = wrapped(*args, **kwargs)
        except BaseException as exc:
            record.finish(JobStatus.FAILED, error=exc)
            raise
        if operation == "run":
            record.set_job_id(str(returned.id))
        done = results(returned)
        _finish(record, backend, shots, circuits, done)
        if sampled:  # output fidelity, computed off this call by the fidelity worker
            name = "task_specification" if operation == "run" else "task_specifications"
            inputs = _arg(args, kwargs, 2 if operation == "run" else 3, "inputs")
            queue_local_task(fidelity, record, backend, _arg(args, kwargs, 0, name), done, inputs)
        return returned

    return wrapper


def wrap_run(telemetry: JobTelemetry, fidelity=None):
    """wrapt wrapper for ``LocalSimulator.run``: one span per task; ``fidelity`` compares sampled ones."""
    return _wrap(telemetry, "run", _describe_run, lambda task: [task.result()], fidelity)


def wrap_run_batch(telemetry: JobTelemetry, fidelity=None):
    """wrapt wrapper for ``LocalSimulator.run_batch``: one span for the whole batch."""
    return _wrap(
        telemetry, "run_batch", _describe_batch, lambda batch: list(batch.results()), fidelity
    )
