"""What a Cirq call runs, read from its arguments: backend label, circuits, shots.

Pure functions of the SDK objects and call arguments; nothing here records.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["backend_name", "calibration_timestamp", "processor_of", "workload"]

_SIMULATORS = {"Simulator": "cirq_simulator", "DensityMatrixSimulator": "cirq_density_matrix"}


def processor_of(sampler: Any):
    """The Engine processor behind a ``ProcessorSampler``, else None."""
    return (
        getattr(sampler, "processor", None)
        if type(sampler).__name__ == "ProcessorSampler"
        else None
    )


def backend_name(sampler: Any) -> str:
    """The ``quantum_backend`` label: ``cirq_simulator``, ``cirq_density_matrix``, or the processor id."""
    processor = processor_of(sampler)
    if processor is not None:
        return str(getattr(processor, "processor_id", "engine"))
    for cls in type(sampler).__mro__:
        if cls.__name__ in _SIMULATORS and cls.__module__.startswith("cirq"):
            return _SIMULATORS[cls.__name__]
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(sampler).__name__).lower()


def is_virtual(processor: Any) -> bool:
    """True for the virtual engine's local processors (no network, no queue)."""
    return processor is None or type(processor).__name__.startswith("Simulated")


def _sweep_count(params: Any) -> int:
    import cirq

    try:
        return max(sum(len(s) for s in cirq.to_sweeps(params)), 1)
    except (TypeError, ValueError):
        return 1


def _programs(program: Any) -> list:
    if isinstance(program, dict):
        return list(program.values())
    return list(program) if isinstance(program, (list, tuple)) else [program]


def _circuit_facts(programs: list) -> dict:
    if len(programs) != 1:
        return {}
    try:
        return {"qubits": len(programs[0].all_qubits()), "depth": len(programs[0])}
    except (AttributeError, TypeError):
        return {}


def _arg(args: tuple, kwargs: dict, index: int, *names: str, default=None):
    if len(args) > index:
        return args[index]
    return next((kwargs[n] for n in names if n in kwargs), default)


def workload(operation: str, args: tuple, kwargs: dict) -> tuple[int, list[int], dict, list]:
    """(circuit executions, repetitions of each execution, circuit facts, programs) of one call.

    ``operation`` is the method name: ``run`` runs one resolver, ``run_sweep``
    every point of its sweep (for each program of a processor batch),
    ``run_batch`` every program with its own sweep.
    """
    programs = _programs(_arg(args, kwargs, 0, "program", "programs"))
    reps = _arg(args, kwargs, 2, "repetitions", default=1)
    if operation.startswith("run_batch"):
        params_list = _arg(args, kwargs, 1, "params_list")
        sweeps = [_sweep_count(p) for p in (params_list or [None] * len(programs))]
    else:
        single = operation in ("run", "run_async")  # one resolver, not a sweep
        params = _arg(args, kwargs, 1, "params", "param_resolver")
        sweeps = [1 if single else _sweep_count(params)] * len(programs)
    reps_list = list(reps) if isinstance(reps, (list, tuple)) else [reps] * len(programs)
    per_execution = [int(r) for r, n in zip(reps_list, sweeps, strict=False) for _ in range(n)]
    return sum(sweeps), per_execution, _circuit_facts(programs), programs


def calibration_timestamp(processor: Any) -> float | None:
    """Calibration time (Unix s) of a *virtual* processor, which costs no network call; else None."""
    if processor is None or type(processor).__name__ != "SimulatedLocalProcessor":
        return None
    cal = processor.get_current_calibration()
    # Calibration.timestamp is milliseconds since the epoch (timestamp_str() is wrong).
    return None if cal is None or cal.timestamp is None else cal.timestamp / 1000.0
