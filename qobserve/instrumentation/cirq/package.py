"""Requirements of the Cirq instrumentation (data only, as in opentelemetry-python-contrib)."""

_instruments = ("cirq-core >= 1.3",)

_supports_metrics = True
