"""Benchmarks of qobserve's hot paths, each a script that prints its figures beside its goals.

``python -m benchmarks [--quick] [NAME ...]`` runs them all and prints one table
(:mod:`benchmarks.__main__`); each script reports its goals through
:func:`benchmarks._report.goal`.
"""
