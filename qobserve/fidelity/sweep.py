"""Parameter sweeps: one comparison per binding, each against its own ideal distribution.

A ``SamplerV2`` PUB with parameter values of shape ``s`` runs ``prod(s)``
circuits; its counts are one distribution per binding (``BitArray.get_counts(loc)``),
and each binding has its own ideal. A job's comparisons are capped (16 by
default) and shared among its circuits in order; a sweep larger than its share
is compared at evenly spaced bindings (first and last included), so the
comparisons cover the whole sweep rather than its beginning. Each compared
binding records one histogram observation and one span carrying its flat
(C-order) index into the PUB's shape.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Item", "SweepCounts", "items"]


class SweepCounts(Sequence):
    """Counts per binding of a swept PUB's ``BitArray``, computed when read (in the worker)."""

    def __init__(self, bits: Any) -> None:
        self._bits = bits
        self.shape = tuple(bits.shape)

    def __len__(self) -> int:
        return int(np.prod(self.shape))

    def __getitem__(self, flat: int) -> dict:  # type: ignore[override]
        return self._bits.get_counts(loc=tuple(int(i) for i in np.unravel_index(flat, self.shape)))


@dataclass(frozen=True)
class Item:
    """One comparison: a circuit with all parameters bound, and its counts."""

    index: int  # circuit (PUB) index in the job
    binding: int | None  # flat index into the PUB's shape; None for an unswept circuit
    circuit: Any
    counts: dict | None


def _spread(size: int, budget: int) -> list[int]:
    if size <= budget:
        return list(range(size))
    return sorted({round(x) for x in np.linspace(0, size - 1, budget)})


def items(circuits: Sequence[Any], all_counts: Sequence[Any], limit: int) -> Iterator[Item]:
    """The comparisons of one job, at most ``limit``.

    Args:
        circuits: circuits, or ``SamplerPub``s (``.circuit``, ``.parameter_values``).
        all_counts: per circuit, a counts dict, a :class:`SweepCounts`, or None.
        limit: comparisons at most.
    """
    left = limit
    for index, (circuit, counts) in enumerate(zip(circuits, all_counts, strict=False)):
        if left <= 0:
            return
        values = getattr(circuit, "parameter_values", None)
        if values is None:  # a plain circuit
            left -= 1
            yield Item(index, None, circuit, counts)
            continue
        if not isinstance(counts, SweepCounts):  # shape (): one binding, maybe of no parameters
            left -= 1
            bound = values.bind(circuit.circuit, ()) if circuit.circuit.parameters else None
            yield Item(index, None, bound or circuit.circuit, counts)
            continue
        chosen = _spread(len(counts), left)
        left -= len(chosen)
        for flat in chosen:
            loc = tuple(int(i) for i in np.unravel_index(flat, counts.shape))
            yield Item(index, flat, values.bind(circuit.circuit, loc), counts[flat])
