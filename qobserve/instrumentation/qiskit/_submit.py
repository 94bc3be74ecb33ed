"""Submission choke points: open a job record and pin it on the returned job.

``QiskitRuntimeService._run`` (IBM Quantum, V2 primitives in any mode),
``QiskitRuntimeLocalService._run`` (local mode), ``Executor.run`` (the
executor-based Sampler/Estimator, local or cloud), ``AerBackend.run`` and
``FakeBackendV2.run`` each start a :class:`~qobserve.instrumentation._job.JobRecord`
and tag the returned job as ``job._qobserve``.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from opentelemetry.instrumentation.utils import is_instrumentation_enabled

from qobserve.instrumentation.qiskit import _workload
from qobserve.instrumentation.qiskit._state import QISKIT, State, Tracked, log
from qobserve.semconv import Attr, JobStatus

__all__ = [
    "describe_backend_run",
    "describe_cloud_run",
    "describe_executor",
    "describe_local_run",
    "submit",
    "suppress_in_worker",
]

#: True while inside an instrumented submission (or a primitive's worker):
#: nested submissions (FakeBackendV2.run → AerSimulator.run, a local sampler's
#: backend.run calls) belong to the outer job and are not counted again.
_SUPPRESS: ContextVar[bool] = ContextVar("qobserve_qiskit_nested", default=False)


def _arg(args: tuple, kwargs: dict, index: int, name: str, default=None):
    return kwargs[name] if name in kwargs else args[index] if len(args) > index else default


def _option(options: Any, name: str):
    return options.get(name) if isinstance(options, dict) else getattr(options, name, None)


_COUNT, _CALIBRATED = Attr.CIRCUIT_COUNT.value, Attr.CALIBRATION_TIMESTAMP.value
#: Operations whose results are counts (output fidelity); estimators return expectation values.
_COUNTED = frozenset({"run", "sampler"})
_ROLES: dict[str | None, str] = {
    "sampler_v2": "sampler",
    "estimator_v2": "estimator",
    "noise_learner_v3": "noise_learner",
}


def describe_service_run(instance, args, kwargs, *, local: bool):
    """(backend, name, operation, workload, local) of ``Qiskit*Service._run``."""
    program_id = _arg(args, kwargs, 0, "program_id")
    inputs = _arg(args, kwargs, 1, "inputs") or {}
    backend = _option(_arg(args, kwargs, 2, "options") or {}, "backend")
    name = backend if isinstance(backend, str) else getattr(backend, "name", "unknown")
    obj = None if isinstance(backend, str) else backend
    return obj, name, program_id, _workload.from_pubs(program_id, inputs, local=local), local


def describe_cloud_run(instance, args, kwargs):
    return describe_service_run(instance, args, kwargs, local=False)


def describe_local_run(instance, args, kwargs):
    return describe_service_run(instance, args, kwargs, local=True)


def describe_executor(instance, args, kwargs):
    """``Executor.run(program)``: the executor-based Sampler/Estimator of qiskit-ibm-runtime."""
    program = _arg(args, kwargs, 0, "program")
    backend = instance._backend
    operation = _ROLES.get(getattr(program, "_semantic_role", None), "executor")
    return (
        backend,
        getattr(backend, "name", "unknown"),
        operation,
        _workload.from_program(program),
        bool(instance._service.is_local),
    )


def describe_backend_run(instance, args, kwargs):
    """``backend.run(circuits, **options)`` on Aer and fake backends."""
    run_input = _arg(args, kwargs, 0, "run_input", None)
    if run_input is None:
        run_input = kwargs.get("circuits")
    return instance, instance.name, "run", _workload.from_run(instance, run_input, kwargs), True


def submit(state: State, describe):
    """Wrapper for a submission choke point; ``describe`` reads the call's arguments."""
    telemetry, calibrations = state.telemetry, state.calibrations

    def wrapper(wrapped, instance, args, kwargs):
        if _SUPPRESS.get() or not is_instrumentation_enabled():
            return wrapped(*args, **kwargs)
        try:
            backend, name, operation, work, local = describe(instance, args, kwargs)
            calibrated = (
                calibrations[name] if name in calibrations else state.calibration(backend, name)
            )
        except Exception:  # never let instrumentation break a submission
            log.debug("qobserve: cannot describe %s submission", wrapped, exc_info=True)
            return wrapped(*args, **kwargs)
        attrs = (
            {_COUNT: work.circuits}
            if calibrated is None
            else {_COUNT: work.circuits, _CALIBRATED: calibrated}
        )
        record = telemetry.start(
            QISKIT,
            name,
            operation,
            shots=work.shots,
            qubits=work.qubits,
            depth=work.depth,
            attributes=attrs,
            submitted=work.programs or (),
        )
        token = _SUPPRESS.set(True)
        try:
            job = wrapped(*args, **kwargs)
        except BaseException as exc:  # rejected at submission: a failed job
            record.finish(JobStatus.FAILED, error=exc)
            raise
        finally:
            _SUPPRESS.reset(token)
        try:
            record.set_job_id(job.job_id())
            tracked = Tracked(record, name, work.shots, local)
            if state.fidelity is not None:
                _sample(state.fidelity, tracked, operation, work)
            job._qobserve = tracked
        except Exception:
            log.debug("qobserve: cannot track %r", job, exc_info=True)
        return job

    return wrapper


def _sample(fidelity, tracked: Tracked, operation: str, work: _workload.Workload) -> None:
    """Mark the job for the output-fidelity worker when this job is sampled."""
    if operation in _COUNTED:
        if work.programs and fidelity.sampled():
            # Sampler PUBs carry their parameter values (sweeps); run's circuits have none.
            tracked.fidelity = work.pubs or work.programs
    elif operation == "estimator" and work.pubs and fidelity.sampled():
        tracked.expectations = work.pubs


def suppress_in_worker(wrapped, instance, args, kwargs):
    """``PrimitiveJob._submit``: backend.run calls in the primitive's thread are its own."""
    function = instance._function

    def run_nested(*a, **k):
        token = _SUPPRESS.set(True)
        try:
            return function(*a, **k)
        finally:
            _SUPPRESS.reset(token)

    instance._function = run_nested
    try:
        return wrapped(*args, **kwargs)
    finally:  # the executor holds run_nested now; keep the job picklable
        instance._function = function
