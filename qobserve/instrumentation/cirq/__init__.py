"""OpenTelemetry instrumentation for Cirq samplers and Cirq-Google processors.

Usage::

    import cirq
    from qobserve.instrumentation.cirq import CirqInstrumentor

    CirqInstrumentor().instrument(tracer_provider=tp, meter_provider=mp)
    cirq.Simulator().run(circuit, repetitions=100)

or with no code change: ``opentelemetry-instrument python script.py`` (entry
point ``qobserve_cirq``).

What is instrumented: ``run``, ``run_sweep``, ``run_batch`` and their
``_async`` forms of ``cirq.Simulator``, ``cirq.DensityMatrixSimulator`` (any
``cirq.SimulatesSamples``) and ``cirq_google.ProcessorSampler`` (Quantum Engine
and the virtual engine of ``create_default_noisy_quantum_virtual_machine``),
and direct processor calls (``processor.run``, ``run_sweep``, ``run_batch``):
a job they return is followed until ``results()`` or ``execution_status()``
shows it terminal. ``Engine.run_sweep`` (engine-level, no processor object) is
not instrumented.
One user call makes one span, named ``cirq cirq_simulator run`` or
``cirq willow_pink run_sweep``, even though ``run`` calls ``run_sweep``
internally. Engine jobs add their id, READY/RUNNING state events and, on
FAILURE, the ``failure()`` code as ``error.type`` (see
:mod:`qobserve.instrumentation.cirq.errors`). A virtual processor's calibration
time (``Calibration.timestamp``, milliseconds) is put on the span and the
calibration gauge.

Per-job output fidelity (off by default; ``instrument(output_fidelity=RATE)``,
``QOBSERVE_OUTPUT_FIDELITY`` or ``qobserve.output_fidelity(rate)``): sampled
``Sampler.run`` calls of one circuit without symbols are compared with the
circuit's ideal distribution in a background worker (:mod:`qobserve.fidelity`).

Suppression: code run under ``opentelemetry.instrumentation.utils.suppress_instrumentation()``
makes no job spans.

Hooks: ``instrument(request_hook=fn, response_hook=fn)`` calls
``request_hook(span, JobRequest)`` before each submission and
``response_hook(span, JobResponse)`` at its terminal state; a hook that raises
is logged, never raised into the job (:mod:`qobserve.instrumentation._hooks`).
"""

from __future__ import annotations

import importlib
from collections.abc import Collection

from opentelemetry.instrumentation.instrumentor import BaseInstrumentor
from opentelemetry.instrumentation.utils import unwrap
from wrapt import wrap_function_wrapper

from qobserve.instrumentation._job import instrumentor_setup
from qobserve.instrumentation.cirq.package import _instruments

__all__ = ["CirqInstrumentor"]

# (module, class, methods) of the sampler entry points.
_SAMPLERS = (
    (
        "cirq.work.sampler",
        "Sampler",
        ("run", "run_sweep", "run_batch", "run_async", "run_sweep_async", "run_batch_async"),
    ),
    ("cirq.sim.simulator", "SimulatesSamples", ("run_sweep",)),
    (
        "cirq_google.engine.processor_sampler",
        "ProcessorSampler",
        ("run_sweep", "run_sweep_async", "run_batch", "run_batch_async"),
    ),
)
# Processors whose run_sweep_async creates the Engine job.
_PROCESSORS = (
    ("cirq_google.engine.simulated_local_processor", "SimulatedLocalProcessor"),
    ("cirq_google.engine.engine_processor", "EngineProcessor"),
)
# Engine jobs: results end them, execution_status reports their state.
_JOBS = (
    ("cirq_google.engine.simulated_local_job", "SimulatedLocalJob"),
    ("cirq_google.engine.engine_job", "EngineJob"),
)


def _importable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:  # cirq-google is optional
        return False
    return True


class CirqInstrumentor(BaseInstrumentor):
    """Job spans and metrics for Cirq samplers and Cirq-Google processors.

    ``instrument(tracer_provider=..., meter_provider=...)``; both default to
    the global providers.
    """

    _patched: list[tuple[str, str, str]] = []

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def _instrument(self, **kwargs) -> None:
        from qobserve.instrumentation.cirq import _jobs, _sampler

        telemetry, self._fidelity = instrumentor_setup(kwargs)
        watch = _jobs.JobWatch(telemetry)
        targets = [
            (module, cls, method, _sampler.wrap_sampler(telemetry, method, self._fidelity))
            for module, cls, methods in _SAMPLERS
            for method in methods
        ]
        targets += [
            (module, cls, "run_sweep_async", watch.wrap_processor_run)
            for module, cls in _PROCESSORS
        ]
        for module, cls in _JOBS:
            targets += [
                (module, cls, "results_async", watch.wrap_results),
                (module, cls, "batched_results_async", watch.wrap_results),
                (module, cls, "execution_status", watch.wrap_status),
            ]
        patched = []
        for module, cls, method, wrapper in targets:
            if _importable(module):
                wrap_function_wrapper(module, f"{cls}.{method}", wrapper)
                patched.append((module, cls, method))
        CirqInstrumentor._patched = patched

    def _uninstrument(self, **kwargs) -> None:
        for module, cls, method in CirqInstrumentor._patched:
            unwrap(getattr(importlib.import_module(module), cls), method)
        CirqInstrumentor._patched = []
