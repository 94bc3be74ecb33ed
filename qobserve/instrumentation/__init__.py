"""Instrumentation of quantum SDKs, one OpenTelemetry instrumentor per SDK.

Each subpackage follows opentelemetry-python-contrib: ``package.py`` holds the
``_instruments`` requirement, ``__init__.py`` the ``XInstrumentor``. They are
registered as ``opentelemetry_instrumentor`` entry points, so
``opentelemetry-instrument python train.py`` instruments with no code change.
"""

from __future__ import annotations

import importlib
import logging

from qobserve.instrumentation._hooks import JobRequest, JobResponse

__all__ = ["INSTRUMENTORS", "JobRequest", "JobResponse", "instrument", "uninstrument"]

log = logging.getLogger("qobserve")

#: SDK family → (module, class) of its instrumentor.
INSTRUMENTORS = {
    "qiskit": ("qobserve.instrumentation.qiskit", "QiskitInstrumentor"),
    "braket": ("qobserve.instrumentation.braket", "BraketInstrumentor"),
    "cirq": ("qobserve.instrumentation.cirq", "CirqInstrumentor"),
}


def _instrumentors():
    for family, (module, cls) in INSTRUMENTORS.items():
        try:
            yield family, getattr(importlib.import_module(module), cls)()
        except ImportError as exc:  # SDK not installed: nothing to instrument
            log.debug("qobserve: %s not instrumented (%s)", family, exc)


def instrument(**kwargs) -> list[str]:
    """Instrument every installed SDK; returns the families instrumented.

    Keyword arguments (``tracer_provider=``, ``meter_provider=``) go to each
    instrumentor's ``instrument()``, as do ``request_hook=`` and ``response_hook=``
    (:class:`JobRequest`, :class:`JobResponse`); ``output_fidelity=RATE`` (0-1) and
    ``output_fidelity_max_qubits=N`` turn on per-job output fidelity
    (:mod:`qobserve.fidelity`; Qiskit sampler and ``backend.run`` jobs).

    Raises:
        ValueError: when ``output_fidelity`` is not in [0, 1].
    """
    if kwargs.get("output_fidelity") is not None:
        from qobserve.fidelity.worker import check_rate

        check_rate(kwargs["output_fidelity"])
    done = []
    for family, inst in _instrumentors():
        if inst._check_dependency_conflicts() is not None:  # SDK too old or missing
            continue
        inst.instrument(**kwargs)
        done.append(family)
    return done


def uninstrument() -> None:
    """Undo :func:`instrument` for every SDK."""
    for _, inst in _instrumentors():
        inst.uninstrument()
