"""Requirements of the Braket instrumentation (data only, as in opentelemetry-python-contrib)."""

_instruments = ("amazon-braket-sdk >= 1.80",)

_supports_metrics = True
