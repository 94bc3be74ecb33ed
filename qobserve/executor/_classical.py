"""A classical model as the executor's last resort: inference keeps answering
when every quantum target is skipped or failed (disaster recovery)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CLASSICAL_PROVIDER", "ClassicalTarget", "toy_model"]

# ``provenance.provider`` of an answer that came from a classical model.
CLASSICAL_PROVIDER = "classical"


@dataclass(frozen=True)
class ClassicalTarget:
    """A classical model that answers when every quantum target was skipped or failed.

    Accepted only as the last of the executor's targets. It costs nothing, reserves
    no budget, passes no breaker or calibration gate, and is never retried: an
    exception from ``fn`` fails the job with the quantum reasons attached.

    Args:
        name: what ``provenance.backend`` and ``quantum_job_fallbacks_total{to_backend}`` say.
        fn: ``fn(circuit, shots)`` returning counts (or the model's output for
            inference workloads), called with the caller's original circuit.
    """

    name: str
    fn: Callable[[Any, int], Any] = field(repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"ClassicalTarget: name must be a non-empty string, got {self.name!r}")
        if not callable(self.fn):
            raise ValueError(
                f"ClassicalTarget {self.name!r}: fn must be callable as fn(circuit, shots)"
            )


TOY_MODELS = ("uniform", "zeros")


def _bits(circuit: Any) -> int:
    n = getattr(circuit, "num_clbits", None)
    if n is None:
        from qobserve.executor._convert import convert

        n = convert(circuit, "qiskit").num_clbits
    return max(int(n), 1)


class toy_model:
    """A built-in stand-in for a trained classical model, returning counts.

    ``uniform`` spreads the shots evenly over every outcome (the maximum-entropy
    guess); ``zeros`` puts every shot on the all-zeros outcome (a constant
    predictor). ``calls`` counts answers given, the ground truth of a game day.
    """

    def __init__(self, kind: str) -> None:
        if kind not in TOY_MODELS:
            raise ValueError(f"model: must be one of {', '.join(TOY_MODELS)}, got {kind!r}")
        self.kind = kind
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, circuit: Any, shots: int) -> dict[str, int]:
        n = _bits(circuit)
        with self._lock:
            self.calls += 1
        if self.kind == "zeros":
            return {"0" * n: shots}
        outcomes = 2 ** min(n, 16)  # beyond 16 bits only the first 65536 outcomes get shots
        base, extra = divmod(shots, outcomes)
        counts = {format(i, f"0{n}b"): base + (i < extra) for i in range(outcomes)}
        return {k: v for k, v in counts.items() if v}
