"""Runnable examples that double as the demo's workloads.

python -m qobserve.examples.variational_classifier   # one decorator instruments training
python -m qobserve.examples.barren_plateau           # the barren-plateau detector fires
"""
