"""Packages the Qiskit instrumentor applies to (data only, as in opentelemetry-python-contrib)."""

# qiskit-ibm-runtime and qiskit-aer are patched only when importable: a
# Qiskit install with just one of them still gets its jobs instrumented.
_instruments = ("qiskit >= 1.0",)

_supports_metrics = True
