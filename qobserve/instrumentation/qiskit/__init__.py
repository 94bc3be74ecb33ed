"""OpenTelemetry instrumentation for Qiskit jobs (qiskit-ibm-runtime and qiskit-aer).

Usage::

    from qobserve.instrumentation.qiskit import QiskitInstrumentor

    QiskitInstrumentor().instrument(tracer_provider=tp, meter_provider=mp)
    job = SamplerV2(FakeManilaV2()).run([isa_circuit], shots=100)
    job.result()          # the job's span ends here, metrics are recorded

or with no code change: ``opentelemetry-instrument python app.py`` (entry point
``qobserve_qiskit``), or ``qobserve.instrument()``.

What is traced: every job submitted through the V2 primitives (``SamplerV2``,
``EstimatorV2``), the executor-based ``executor_sampler.Sampler`` and
``executor_estimator.Estimator``, in job, Session and Batch mode, on IBM
Quantum (``RuntimeJobV2``) or locally on fake backends and Aer; and
``backend.run`` on ``AerSimulator`` and fake backends. Each job gets one span
``qiskit <backend> sampler|estimator|run`` from submission to the first
terminal state the program observes (``result()``, ``status()``,
``wait_for_final_state()``, ``cancel()``), with ``queued``/``running`` events and
the contract's job metrics (``quantum_jobs_total``, duration, queue/execution
split where the service reports timestamps, shots, cost priced by
:mod:`qobserve.cost`). The backend's calibration time
(``properties().last_update_date``) is read once per backend and exported as
``quantum_backend_calibration_timestamp_seconds``.

A job never observed to finish keeps its span open: call ``result()`` or
``status()``. Submissions nested inside another instrumented one (a fake
backend delegating to Aer, a local primitive calling ``backend.run``) belong to
the outer job. Instrumentation never changes what an SDK call returns or raises.

Per-job output fidelity (off by default): ``instrument(output_fidelity=RATE)``
(or ``QOBSERVE_OUTPUT_FIDELITY``) compares a share ``RATE`` of sampler and
``backend.run`` jobs with their ideal output distribution in a background
worker, and ``output_fidelity_max_qubits=`` caps the statevector width; see
:mod:`qobserve.fidelity`.

Hooks: ``instrument(request_hook=fn, response_hook=fn)`` calls
``request_hook(span, JobRequest)`` before each submission and
``response_hook(span, JobResponse)`` at its terminal state; a hook that raises
is logged, never raised into the job (:mod:`qobserve.instrumentation._hooks`).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Collection

from opentelemetry.instrumentation.instrumentor import BaseInstrumentor
from opentelemetry.instrumentation.utils import unwrap
from wrapt import wrap_function_wrapper

from qobserve.instrumentation._job import instrumentor_setup
from qobserve.instrumentation.qiskit import _observe as o
from qobserve.instrumentation.qiskit import _submit as s
from qobserve.instrumentation.qiskit._state import State
from qobserve.instrumentation.qiskit.package import _instruments

__all__ = ["QiskitInstrumentor"]

log = logging.getLogger("qobserve.qiskit")


def _targets(state: State):
    """(module, "Class.method", wrapper) for every choke point, submit paths first."""
    return (
        (
            "qiskit_ibm_runtime.qiskit_runtime_service",
            "QiskitRuntimeService._run",
            s.submit(state, s.describe_cloud_run),
        ),
        (
            "qiskit_ibm_runtime.fake_provider.local_service",
            "QiskitRuntimeLocalService._run",
            s.submit(state, s.describe_local_run),
        ),
        (
            "qiskit_ibm_runtime.executor.executor",
            "Executor.run",
            s.submit(state, s.describe_executor),
        ),
        (
            "qiskit_ibm_runtime.fake_provider.fake_backend",
            "FakeBackendV2.run",
            s.submit(state, s.describe_backend_run),
        ),
        (
            "qiskit_aer.backends.aerbackend",
            "AerBackend.run",
            s.submit(state, s.describe_backend_run),
        ),
        ("qiskit.primitives.primitive_job", "PrimitiveJob._submit", s.suppress_in_worker),
        ("qiskit.primitives.primitive_job", "PrimitiveJob.status", o.observe_local(state)),
        (
            "qiskit.primitives.primitive_job",
            "PrimitiveJob.result",
            o.observe_local(state, result=True),
        ),
        ("qiskit_aer.jobs.aerjob", "AerJob.status", o.observe_local(state)),
        ("qiskit_aer.jobs.aerjob", "AerJob.result", o.observe_local(state, result=True)),
        ("qiskit_ibm_runtime.runtime_job_v2", "RuntimeJobV2.status", o.observe_cloud(state)),
        ("qiskit_ibm_runtime.runtime_job_v2", "RuntimeJobV2.cancel", o.cancel_cloud(state)),
    )


class QiskitInstrumentor(BaseInstrumentor):
    """An instrumentor for Qiskit jobs; see the module docstring."""

    _patched: list = []

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def _instrument(self, **kwargs) -> None:
        telemetry, fidelity = instrumentor_setup(kwargs)
        self._state = State(telemetry, fidelity)
        patched = []
        for module_name, target, wrapper in _targets(self._state):
            try:
                module = importlib.import_module(module_name)
            except ImportError:  # e.g. qiskit-aer or qiskit-ibm-runtime not installed
                log.debug("qobserve: %s not installed, %s not instrumented", module_name, target)
                continue
            wrap_function_wrapper(module, target, wrapper)
            patched.append((module, target))
        self._patched = patched

    def _uninstrument(self, **kwargs) -> None:
        for module, target in reversed(self._patched):
            cls_name, method = target.split(".")
            unwrap(getattr(module, cls_name), method)
        self._patched = []
