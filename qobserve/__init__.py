"""qobserve: observability and SRE for quantum workloads.

    import qobserve

    qobserve.configure(service_name="vqe-train", prometheus_port=9464)
    qobserve.instrument()            # every installed SDK: Qiskit, Braket, Cirq
    qobserve.instrument(output_fidelity=0.1)   # also compare 10 % of jobs with their ideal output

    @qobserve.track_training("vqe-h2")
    def train(run): ...

Names of metrics, labels and alerts are in :mod:`qobserve.semconv`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qobserve._lazy import lazy_attributes

__version__ = "0.1.0"
__all__ = [
    "__version__",
    "configure",
    "instrument",
    "output_fidelity",
    "track_training",
    "uninstrument",
]

if TYPE_CHECKING:
    from qobserve.fidelity import output_fidelity
    from qobserve.instrumentation import instrument, uninstrument
    from qobserve.telemetry import configure
    from qobserve.training import track_training

# Lazy so that `import qobserve` stays cheap and pulls in no SDK.
__getattr__ = lazy_attributes(
    __name__,
    {
        "configure": "qobserve.telemetry",
        "instrument": "qobserve.instrumentation",
        "uninstrument": "qobserve.instrumentation",
        "track_training": "qobserve.training",
        "output_fidelity": "qobserve.fidelity",
    },
)
