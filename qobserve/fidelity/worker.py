"""The background worker that compares sampled jobs' counts with their ideal distribution.

Nothing here runs on the user's call except :meth:`FidelityRecorder.sampled`
(a context-variable read and one random draw) and :meth:`FidelityRecorder.submit`
(a length check and an append on a bounded hand-off that does not wake the
worker while it is active: :mod:`._handoff`). A daemon thread, started on the
first submission, simulates the ideal distribution, computes the Hellinger
fidelity, TVD and bootstrap interval, records
``quantum_job_output_fidelity_ratio`` and opens a span linked to the job's
span. A full queue drops the job and counts it in
``qobserve_output_fidelity_dropped_total{reason="queue_full"}``.
"""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import numpy as np
from opentelemetry.trace import Link, SpanKind

from qobserve.fidelity._handoff import Handoff
from qobserve.fidelity.ideal import TooWide, Unsupported, ideal_distribution
from qobserve.fidelity.stats import compare
from qobserve.fidelity.sweep import Item, items
from qobserve.semconv import (
    QOBSERVE_OUTPUT_FIDELITY_DROPPED_TOTAL,
    QUANTUM_JOB_EXPECTATION_ERROR,
    QUANTUM_JOB_OUTPUT_FIDELITY_RATIO,
    Attr,
)

__all__ = ["DEFAULT_MAX_QUBITS", "DEFAULT_QUEUE_SIZE", "FidelityRecorder", "job_rate"]

log = logging.getLogger("qobserve.fidelity")

#: Widest non-Clifford circuit simulated (statevector: 2**20 amplitudes, 16 MiB).
DEFAULT_MAX_QUBITS = 20
#: Jobs waiting for the worker at most; more are dropped and counted.
DEFAULT_QUEUE_SIZE = 64
#: Comparisons per job at most: circuits, or bindings of a sweep (:mod:`.sweep`).
MAX_CIRCUITS_PER_JOB = 16

#: Per-job sampling rate set by :func:`qobserve.fidelity.output_fidelity`.
job_rate: ContextVar[float | None] = ContextVar("qobserve_output_fidelity", default=None)

_FIDELITY_METRIC = QUANTUM_JOB_OUTPUT_FIDELITY_RATIO
_DROPPED_METRIC = QOBSERVE_OUTPUT_FIDELITY_DROPPED_TOTAL
_P, _B, _REASON = Attr.PROVIDER.value, Attr.BACKEND.value, Attr.REASON.value


def check_rate(rate: float | str, name: str = "output_fidelity") -> float:
    """``rate`` as a float in [0, 1], or ValueError naming ``name``."""
    try:
        value = float(rate)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name}: sampling rate must be a number in [0, 1], got {rate!r}"
        ) from None
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name}: sampling rate must be in [0, 1], got {rate!r}")
    return value


def _env_rate() -> float:
    raw = os.environ.get("QOBSERVE_OUTPUT_FIDELITY")
    return check_rate(raw, "QOBSERVE_OUTPUT_FIDELITY") if raw else 0.0


def _env_max_qubits() -> int:
    raw = os.environ.get("QOBSERVE_OUTPUT_FIDELITY_MAX_QUBITS")
    if not raw:
        return DEFAULT_MAX_QUBITS
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 1:
        raise ValueError(
            f"QOBSERVE_OUTPUT_FIDELITY_MAX_QUBITS: must be a positive integer, got {raw!r}"
        )
    return value


@dataclass
class _Task:
    provider: str
    backend: str
    record: Any  # the job's JobRecord: its span is linked, in the worker
    circuits: Sequence[Any]
    results: Callable[[], Sequence[dict | None]]
    ideal: Callable[..., Any] = ideal_distribution
    kind: str = "counts"  # or "expectations": circuits are estimator PUBs


class FidelityRecorder:
    """Sampling decision on the job's path; comparison in a bounded background worker.

    Args:
        telemetry: the :class:`~qobserve.instrumentation._job.JobTelemetry` to record on.
        rate: default sampling rate in [0, 1] (``QOBSERVE_OUTPUT_FIDELITY``, else 0: off).
        max_qubits: statevector cap (``QOBSERVE_OUTPUT_FIDELITY_MAX_QUBITS``, else 20).
        max_queue: jobs waiting at most; further ones are dropped and counted.
        resamples: bootstrap replicates per circuit.
        seed: seeds the sampling draws and the bootstrap (tests).
    """

    def __init__(
        self,
        telemetry,
        *,
        rate: float | None = None,
        max_qubits: int | None = None,
        max_queue: int = DEFAULT_QUEUE_SIZE,
        resamples: int = 200,
        seed: int | None = None,
    ) -> None:
        self.telemetry = telemetry
        self.rate = _env_rate() if rate is None else check_rate(rate)
        self.max_qubits = _env_max_qubits() if max_qubits is None else int(max_qubits)
        self.resamples = resamples
        self._seed = seed
        self._random = random.Random(seed)
        self._handoff: Handoff[_Task] = Handoff(
            self._handle, max_queue, name="qobserve-output-fidelity"
        )
        self._fidelity = telemetry[_FIDELITY_METRIC]
        self._dropped = telemetry[_DROPPED_METRIC]
        self._expectation = telemetry[QUANTUM_JOB_EXPECTATION_ERROR]

    def sampled(self) -> bool:
        """Whether the job being submitted now is compared (per-job rate overrides the default)."""
        rate = job_rate.get()
        if rate is None:
            rate = self.rate
        return rate > 0.0 and (rate >= 1.0 or self._random.random() < rate)

    def submit(
        self,
        provider: str,
        backend: str,
        record,
        circuits: Sequence[Any],
        results: Callable[[], Sequence[dict | None]],
        *,
        ideal: Callable[..., Any] = ideal_distribution,
    ) -> bool:
        """Queue a finished job without blocking; False (and counted) when the queue is full.

        Args:
            record: the job's :class:`~qobserve.instrumentation._job.JobRecord` (span to link).
            circuits: the circuits as submitted.
            results: called in the worker; counts per circuit (None where there are none).
            ideal: ``ideal(circuit, max_qubits=N)`` → lookup of ideal probabilities
                (default: Qiskit circuits, :func:`~qobserve.fidelity.ideal.ideal_distribution`).
        """
        return self._enqueue(_Task(provider, backend, record, circuits, results, ideal))

    def submit_expectations(
        self,
        provider: str,
        backend: str,
        record,
        pubs: Sequence[Any],
        results: Callable[[], Sequence[Any]],
    ) -> bool:
        """Queue a finished estimator job; ``results()`` gives each PUB's ``evs`` array."""
        return self._enqueue(
            _Task(
                provider,
                backend,
                record,
                pubs,
                results,
                kind="expectations",
            )
        )

    def _enqueue(self, task: _Task) -> bool:
        if self._handoff.put(task):
            return True
        self._drop(task.provider, task.backend, "queue_full")
        return False

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every queued job is processed (tests, shutdown); False on timeout."""
        return self._handoff.flush(timeout)

    def _drop(self, provider: str, backend: str, reason: str, n: int = 1) -> None:
        self._dropped.add(n, {_P: provider, _B: backend, _REASON: reason})

    def _handle(self, task: _Task) -> None:
        try:
            self._process(task)
        except Exception:  # one bad job must not stop the worker
            log.debug("qobserve: output fidelity failed", exc_info=True)
            self._drop(task.provider, task.backend, "error")

    def _process(self, task: _Task) -> None:
        if task.kind == "expectations":
            self._process_expectations(task)
            return
        all_counts = list(task.results())
        for n, item in enumerate(items(task.circuits, all_counts, MAX_CIRCUITS_PER_JOB)):
            if not item.counts:
                self._drop(task.provider, task.backend, "unsupported")
                continue
            try:
                ideal = task.ideal(item.circuit, max_qubits=self.max_qubits)
            except TooWide:
                self._drop(task.provider, task.backend, "too_wide")
                continue
            except Unsupported as exc:
                log.debug("qobserve: no ideal distribution (%s)", exc)
                self._drop(task.provider, task.backend, "unsupported")
                continue
            seed = None if self._seed is None else self._seed + n
            result = compare(item.counts, ideal, resamples=self.resamples, seed=seed)
            self._record(task, item, ideal.method, result)

    def _process_expectations(self, task: _Task) -> None:
        from qobserve.fidelity.expectation import ideal_expectations

        labels = {_P: task.provider, _B: task.backend}
        errors = []
        for index, (pub, evs) in enumerate(zip(task.circuits, task.results(), strict=False)):
            if index >= MAX_CIRCUITS_PER_JOB:
                break
            try:
                ideal = ideal_expectations(pub, max_qubits=self.max_qubits)
            except TooWide:
                self._drop(task.provider, task.backend, "too_wide")
                continue
            except ValueError:
                self._drop(task.provider, task.backend, "unsupported")
                continue
            error = np.abs(np.asarray(evs, dtype=float) - ideal).reshape(-1)
            for value in error:
                self._expectation.record(float(value), labels)
            errors.extend(error.tolist())
        if not errors:
            return
        span = self.telemetry.tracer.start_span(
            f"{task.provider} {task.backend} expectation_error",
            kind=SpanKind.INTERNAL,
            links=[Link(task.record.span.get_span_context())],
            attributes={
                **labels,
                Attr.EXPECTATION_ERROR_MAX.value: max(errors),
                Attr.EXPECTATION_ERROR_MEAN.value: float(np.mean(errors)),
                Attr.EXPECTATION_COUNT.value: len(errors),
            },
        )
        span.end()

    def _record(self, task: _Task, item: Item, method: str, result) -> None:
        labels = {_P: task.provider, _B: task.backend}
        circuit = item.circuit
        self._fidelity.record(result.fidelity, labels)
        qubits = getattr(circuit, "num_qubits", None) or getattr(circuit, "qubit_count", None)
        if qubits is None and hasattr(circuit, "all_qubits"):  # a Cirq circuit
            qubits = len(circuit.all_qubits())
        attrs = {
            **labels,
            Attr.CIRCUIT_INDEX.value: item.index,
            Attr.CIRCUIT_QUBITS.value: int(qubits or 0),
            Attr.JOB_SHOTS.value: result.shots,
            Attr.OUTPUT_FIDELITY.value: result.fidelity,
            Attr.OUTPUT_TVD.value: result.tvd,
            Attr.OUTPUT_FIDELITY_METHOD.value: method,
        }
        if item.binding is not None:
            attrs[Attr.CIRCUIT_BINDING_INDEX.value] = item.binding
        if result.ci_low is not None:
            attrs[Attr.OUTPUT_FIDELITY_CI_LOW.value] = result.ci_low
            attrs[Attr.OUTPUT_FIDELITY_CI_HIGH.value] = result.ci_high
            attrs[Attr.OUTPUT_FIDELITY_BIAS.value] = result.bias
        span = self.telemetry.tracer.start_span(
            f"{task.provider} {task.backend} output_fidelity",
            kind=SpanKind.INTERNAL,
            links=[Link(task.record.span.get_span_context())],
            attributes=attrs,
        )
        span.end()
