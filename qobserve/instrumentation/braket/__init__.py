"""OpenTelemetry instrumentation for the Amazon Braket SDK.

Usage::

    from braket.circuits import Circuit
    from braket.devices import LocalSimulator
    from qobserve.instrumentation.braket import BraketInstrumentor

    BraketInstrumentor().instrument(tracer_provider=tp, meter_provider=mp)
    LocalSimulator("braket_sv").run(Circuit().h(0).cnot(0, 1), shots=100)

or with no code change: ``opentelemetry-instrument python script.py`` (entry
point ``qobserve_braket``).

What is instrumented:

* ``LocalSimulator.run`` and ``run_batch`` (``default``, ``braket_sv``,
  ``braket_dm``): one span per call, named ``braket braket_sv run``.
* AWS tasks (``AwsDevice.run``, ``run_batch``, ``AwsQuantumTask``): one span per
  task from ``CreateQuantumTask`` to the first observed terminal state, named
  ``braket SV1 run`` with the device name as ``backends.py`` derives it from the ARN.
  States are observed when your code reads them (``state()``, ``result()``):
  a task nobody polls keeps its span open until the maximum job lifetime
  (``QOBSERVE_JOB_MAX_LIFETIME``, default 7 days), when it ends as
  ``unobserved``. SV1/DM1/TN1 tasks whose result is fetched are priced from the
  result's simulator execution duration (3 s minimum).

Each job records the ``quantum_jobs_total`` / duration / shots metrics of
:mod:`qobserve.semconv` and its cost as :mod:`qobserve.cost` prices it.
Errors are classified by :mod:`qobserve.instrumentation.braket.errors`.
Per-job output fidelity (off by default; ``instrument(output_fidelity=RATE)``,
``QOBSERVE_OUTPUT_FIDELITY`` or ``qobserve.output_fidelity(rate)``): sampled
``LocalSimulator`` tasks' counts are compared with the circuit's noiseless
distribution in a background worker (:mod:`qobserve.fidelity.braket_ideal`).
Noise for ``braket:local_dm`` specs: :func:`qobserve.instrumentation.braket.noise.apply_noise`.

Suppression: code run under ``opentelemetry.instrumentation.utils.suppress_instrumentation()``
makes no job spans.

Hooks: ``instrument(request_hook=fn, response_hook=fn)`` calls
``request_hook(span, JobRequest)`` before each submission and
``response_hook(span, JobResponse)`` at its terminal state; a hook that raises
is logged, never raised into the job (:mod:`qobserve.instrumentation._hooks`).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from opentelemetry.instrumentation.instrumentor import BaseInstrumentor
from opentelemetry.instrumentation.utils import unwrap
from wrapt import wrap_function_wrapper

from qobserve.instrumentation._job import instrumentor_setup
from qobserve.instrumentation.braket.package import _instruments

if TYPE_CHECKING:
    from qobserve.instrumentation.braket import _aws

__all__ = ["BraketInstrumentor"]


class BraketInstrumentor(BaseInstrumentor):
    """Job spans and metrics for Braket local simulators and AWS quantum tasks.

    ``instrument(tracer_provider=..., meter_provider=...)``; both default to
    the global providers.
    """

    _aws_tasks: _aws.AwsTasks | None = None

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def _instrument(self, **kwargs) -> None:
        from qobserve.instrumentation.braket import _aws, _local

        telemetry, self._fidelity = instrumentor_setup(kwargs)
        tasks = _aws.AwsTasks(telemetry)
        BraketInstrumentor._aws_tasks = tasks
        wrap_function_wrapper(
            "braket.devices.local_simulator",
            "LocalSimulator.run",
            _local.wrap_run(telemetry, self._fidelity),
        )
        wrap_function_wrapper(
            "braket.devices.local_simulator",
            "LocalSimulator.run_batch",
            _local.wrap_run_batch(telemetry, self._fidelity),
        )
        wrap_function_wrapper(
            "braket.aws.aws_session", "AwsSession.create_quantum_task", tasks.wrap_create
        )
        wrap_function_wrapper(
            "braket.aws.aws_session", "AwsSession.get_quantum_task", tasks.wrap_get
        )
        wrap_function_wrapper(
            "braket.aws.aws_quantum_task", "AwsQuantumTask.result", tasks.wrap_result
        )

    def _uninstrument(self, **kwargs) -> None:
        from braket.aws.aws_quantum_task import AwsQuantumTask
        from braket.aws.aws_session import AwsSession
        from braket.devices.local_simulator import LocalSimulator

        unwrap(LocalSimulator, "run")
        unwrap(LocalSimulator, "run_batch")
        unwrap(AwsSession, "create_quantum_task")
        unwrap(AwsSession, "get_quantum_task")
        unwrap(AwsQuantumTask, "result")
        BraketInstrumentor._aws_tasks = None
