"""Counts per circuit from a finished Qiskit job's result, for output fidelity.

Runs in the output-fidelity worker, never on the user's call. ``backend.run``
returns a ``qiskit.result.Result``; ``SamplerV2`` a ``PrimitiveResult`` of
``SamplerPubResult`` whose registers are joined (first register rightmost, as
``backend.run`` keys them). Parameter sweeps (a PUB of shape other than ``()``)
give their counts per binding (:class:`qobserve.fidelity.sweep.SweepCounts`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from qobserve.fidelity.sweep import SweepCounts

__all__ = ["counts_of"]


def _pub_counts(pub: Any) -> dict | SweepCounts | None:
    data = pub.data
    names = list(data.keys()) if hasattr(data, "keys") else []
    if not names:
        return None
    # With several registers the first is rightmost, as clbit 0 is.
    bits = getattr(data, names[0]) if len(names) == 1 else pub.join_data(names[::-1])
    if getattr(bits, "shape", ()) != ():
        return SweepCounts(bits)
    return bits.get_counts()


def counts_of(result: Any, n: int) -> Sequence[dict | SweepCounts | None]:
    """Counts of the first ``n`` circuits of ``result`` (None where there are none)."""
    if hasattr(result, "get_counts") and hasattr(result, "results"):  # qiskit.result.Result
        out = []
        for i in range(n):
            try:
                out.append(result.get_counts(i))
            except Exception:  # a circuit without measurements
                out.append(None)
        return out
    return [_pub_counts(pub) for pub in list(result)[:n]]
