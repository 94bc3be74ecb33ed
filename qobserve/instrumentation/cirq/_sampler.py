"""Job spans around ``cirq.Sampler`` calls, one per logical call.

``Sampler.run`` calls ``run_sweep``, ``run_batch`` calls ``run_sweep`` per
circuit, ``ProcessorSampler.run_sweep`` is ``duet.sync(run_sweep_async)`` and
the virtual engine's job runs its own ``cirq.Simulator.run_batch``: every
entry point is wrapped, and the open call (``_jobs.current``) makes the inner
ones pass straight through, so one call makes one span and counts its shots once.
"""

from __future__ import annotations

import inspect
import logging

from opentelemetry.instrumentation.utils import is_instrumentation_enabled

from qobserve.instrumentation._job import JobTelemetry
from qobserve.instrumentation.cirq import _jobs
from qobserve.instrumentation.cirq import _workload as wl
from qobserve.semconv import Attr

__all__ = ["wrap_sampler"]

log = logging.getLogger("qobserve.cirq")


def _compare_later(fidelity, call, args: tuple, kwargs: dict, result) -> None:
    """Queue a sampled ``Sampler.run`` (one circuit, no sweep) for output fidelity."""
    from qobserve.fidelity.cirq_ideal import cirq_counts, cirq_ideal

    circuit = args[0] if args else kwargs.get("program")
    params = args[1] if len(args) > 1 else kwargs.get("param_resolver")
    if circuit is None or params or not hasattr(circuit, "all_operations"):
        return
    record = call.record
    fidelity.submit(
        record.labels[Attr.PROVIDER.value],
        record.labels[Attr.BACKEND.value],
        record,
        [circuit],
        lambda: [cirq_counts(result, circuit)],
        ideal=cirq_ideal,
    )


def wrap_sampler(telemetry: JobTelemetry, operation: str, fidelity=None):
    """wrapt wrapper for a Sampler method (sync or ``async``) named ``operation``.

    ``fidelity``: a :class:`~qobserve.fidelity.FidelityRecorder`; sampled ``run``
    calls are compared with their ideal distribution off the call's path.
    """
    compare = fidelity is not None and operation == "run"

    def _enter(sampler, args, kwargs):
        if _jobs.current.get() is not None or not is_instrumentation_enabled():
            return None, None
        call = _jobs.start_call(
            telemetry, operation, wl.backend_name(sampler), wl.processor_of(sampler), args, kwargs
        )
        return call, _jobs.current.set(call)

    def _exit(call, token, exc, result=None):
        _jobs.current.reset(token)
        _jobs.finish_call(call, exc, result)

    def wrapper(wrapped, instance, args, kwargs):
        if inspect.iscoroutinefunction(wrapped):

            async def run_async():
                call, token = _enter(instance, args, kwargs)
                if call is None:
                    return await wrapped(*args, **kwargs)
                try:
                    result = await wrapped(*args, **kwargs)
                except BaseException as exc:
                    _exit(call, token, exc)
                    raise
                _exit(call, token, None, result)
                return result

            return run_async()
        call, token = _enter(instance, args, kwargs)
        if call is None:
            return wrapped(*args, **kwargs)
        sampled = compare and fidelity.sampled()
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as exc:
            _exit(call, token, exc)
            raise
        _exit(call, token, None, result)
        if sampled:
            try:
                _compare_later(fidelity, call, args, kwargs, result)
            except Exception:  # telemetry must never change what the user's call returns
                log.debug("qobserve: cannot queue output fidelity", exc_info=True)
        return result

    return wrapper
