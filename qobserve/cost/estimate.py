"""Prices of jobs: an offline estimate before submission, the actual cost after.

Both read only the pricing table (:mod:`qobserve.cost.table`): no SDK device
object is built and no API is called, so an estimate works without network or
credentials (``braket.aws.AwsDevice(arn)`` would call AWS).

Rules implemented (each a field of the table, so an override can change it):

* per_shot (Braket QPUs): ``tasks × (per_task_usd + shots × per_shot_usd)``.
  A task that ends failed or cancelled pays what its rule's ``on_failed`` /
  ``on_cancelled`` say; the built-in table charges nothing, as the Braket SDK's
  cost tracker does (AWS does not charge tasks cancelled before they run nor
  tasks failed by the service).
* per_time (Braket on-demand simulators, IBM Quantum): billed seconds rounded
  up to the millisecond, at least ``minimum_seconds`` per task, times the rate.
  For SV1/DM1/TN1 the billed seconds are the result's simulator execution
  duration (3 s minimum); failed and cancelled tasks pay for the time the
  provider reports, which for a simulator task without a result is none: $0,
  as the Braket SDK's cost tracker charges them. IBM Quantum reports quantum
  time for failed and cancelled jobs too.
* free (local simulators, fake and virtual devices): $0.
* unpriced (Google Quantum AI by default, unknown devices): $0 with
  ``Estimate.priced`` False and a warning, never a silent guess.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal

from qobserve.backends import BackendKind, BackendSpec, parse_backend
from qobserve.cost.table import Charge, Model, PriceRule, PriceTable, current_table
from qobserve.semconv import JobStatus

__all__ = ["Estimate", "estimate", "job_cost"]

log = logging.getLogger("qobserve.cost")

#: Costs are kept to the nano-dollar: per-millisecond simulator prices such as
#: TN1's $0.275/min are not finite decimals, and budgets store integer nanos.
NANO = Decimal("0.000000001")
_MS = Decimal("0.001")
_ZERO = Decimal(0)
_warned: set[tuple[str, str]] = set()


@dataclass(frozen=True)
class Estimate:
    """The price of a job before it runs.

    Attributes:
        usd: estimated cost in US dollars.
        source: pricing table and rule that produced it.
        price_date: date of the prices used.
        breakdown: how the number was computed, for humans.
        priced: False when no price is configured (``usd`` is then 0).
    """

    usd: Decimal
    source: str
    price_date: date
    breakdown: str
    priced: bool = True

    def __str__(self) -> str:
        return f"${_money(self.usd)} ({self.breakdown}; {self.source}, prices of {self.price_date})"


def _q(x: Decimal) -> Decimal:
    return x.quantize(NANO, rounding=ROUND_HALF_EVEN)


def _money(x: Decimal) -> str:
    return f"{x.normalize():f}"


def _check_counts(shots: int, circuits: int, circuits_field: str = "circuits") -> None:
    if not isinstance(shots, int) or shots < 0:
        raise ValueError(f"shots: must be a non-negative integer, got {shots!r}")
    if not isinstance(circuits, int) or circuits < 1:
        raise ValueError(f"{circuits_field}: must be a positive integer, got {circuits!r}")


def _unpriced(table: PriceTable, provider: str, backend: str) -> str:
    return (
        f"no price configured for {provider} backend {backend!r}; add a rule to a pricing "
        f"file (QOBSERVE_PRICES or qobserve.cost.use_prices) to price it"
    )


def _source(table: PriceTable, rule: PriceRule | None) -> str:
    return table.label + (f", rule {rule.name}" if rule else "")


def estimate(
    backend: BackendSpec | str, shots: int, circuits: int = 1, *, table: PriceTable | None = None
) -> Estimate:
    """Estimate the cost of running ``circuits`` circuits of ``shots`` shots each.

    Offline: uses the spec and the pricing table only. Each circuit counts as
    one provider task (Braket bills per task; a batch is one task per circuit);
    an IBM job's circuits share one job overhead.

    Args:
        backend: a :class:`~qobserve.backends.BackendSpec` or spec string
            (``braket:arn:aws:braket:us-east-1::device/qpu/ionq/Aria-1``).
        shots: shots per circuit.
        circuits: number of circuits (tasks).
        table: pricing table (default: :func:`~qobserve.cost.table.current_table`).

    Raises:
        ValueError: bad spec, or negative shots / non-positive circuits.
    """
    spec = backend if isinstance(backend, BackendSpec) else parse_backend(backend)
    _check_counts(shots, circuits)
    table = table or current_table()
    provider = spec.provider.value
    if spec.kind is not BackendKind.CLOUD:
        return Estimate(
            _ZERO,
            _source(table, None),
            table.price_date,
            f"{spec.kind.value} backend {spec.name!r} runs locally: no charge",
        )
    rule = table.rule_for(provider, spec.target) or table.rule_for(provider, spec.name)
    if rule is None or rule.model is Model.UNPRICED:
        return Estimate(
            _ZERO,
            _source(table, rule),
            table.price_date,
            _unpriced(table, provider, spec.name),
            priced=False,
        )
    if rule.model is Model.FREE:
        return Estimate(_ZERO, _source(table, rule), table.price_date, "free backend")
    if rule.model is Model.PER_SHOT:
        usd = circuits * (rule.per_task_usd + shots * rule.per_shot_usd)
        text = (
            f"{circuits} task(s) x (${_money(rule.per_task_usd)} per task + {shots} shots x "
            f"${_money(rule.per_shot_usd)} per shot)"
        )
        return Estimate(_q(usd), _source(table, rule), table.price_date, text)
    if rule.estimate_seconds_per_shot:  # one job: overhead + time per shot
        seconds = rule.estimate_seconds + circuits * shots * rule.estimate_seconds_per_shot
        seconds = max(seconds, rule.minimum_seconds)
        text = (
            f"{_money(rule.estimate_seconds)} s + {circuits} x {shots} shots x "
            f"{_money(rule.estimate_seconds_per_shot)} s = {_money(seconds)} s estimated quantum time "
            f"x ${_money(rule.usd_per_second)}/s"
        )
    else:  # one task per circuit, each billed at least the minimum
        per_task = max(rule.estimate_seconds, rule.minimum_seconds)
        seconds = circuits * per_task
        text = (
            f"{circuits} task(s) x {_money(per_task)} s (minimum {_money(rule.minimum_seconds)} s "
            f"per task; longer circuits cost more) x ${_money(rule.usd_per_second)}/s"
        )
    return Estimate(_q(seconds * rule.usd_per_second), _source(table, rule), table.price_date, text)


def job_cost(
    provider: str,
    backend: str,
    *,
    shots: int,
    tasks: int = 1,
    status: str = "completed",
    billed_seconds: float | None = None,
    table: PriceTable | None = None,
) -> Decimal:
    """Actual cost of a finished job, as the provider bills it.

    Args:
        provider: ``quantum_provider`` label (``braket``, ``qiskit``, ``cirq``).
        backend: ``quantum_backend`` label or device ARN (``SV1``, ``Aria-1``, ``ibm_brisbane``).
        shots: shots per task.
        tasks: provider tasks in the job (Braket bills each task).
        status: ``completed``, ``failed`` or ``cancelled``.
        billed_seconds: time the provider bills for the whole job (IBM quantum
            seconds from ``usage()``; Braket simulator execution duration).
            Without it a completed per-time job is charged the rule's estimate
            (a warning is logged), a failed or cancelled one nothing.
        table: pricing table (default: the current one).

    Returns:
        USD as a Decimal, to the nano-dollar; 0 for local, fake, virtual and
        unpriced backends (the latter with a warning logged once).

    Raises:
        ValueError: unknown status, negative shots, non-positive tasks.
    """
    try:
        st = JobStatus(status)
    except ValueError:
        raise ValueError(
            f"status: expected one of {[s.value for s in JobStatus]}, got {status!r}"
        ) from None
    _check_counts(shots, tasks, "tasks")
    table = table or current_table()
    rule = table.rule_for(provider, backend)
    if rule is None or rule.model is Model.UNPRICED:
        if (provider, backend) not in _warned:
            _warned.add((provider, backend))
            log.warning("%s", _unpriced(table, provider, backend))
        return _ZERO
    charge = {
        JobStatus.COMPLETED: Charge.FULL,
        JobStatus.FAILED: rule.on_failed,
        JobStatus.CANCELLED: rule.on_cancelled,
    }[st]
    if rule.model is Model.FREE or charge is Charge.FREE:
        return _ZERO
    if rule.model is Model.PER_SHOT:
        per_task = (
            rule.per_task_usd
            if charge is Charge.TASK_FEE
            else (rule.per_task_usd + shots * rule.per_shot_usd)
        )
        return _q(tasks * per_task)
    if charge is Charge.TASK_FEE:
        return _ZERO  # time-billed services have no task fee
    if billed_seconds is None:
        if st is not JobStatus.COMPLETED:
            return _ZERO  # never ran, nothing reported
        log.warning(
            "job on %s %s completed without billed seconds; charging the estimate",
            provider,
            backend,
        )
        if rule.estimate_seconds_per_shot:
            seconds = rule.estimate_seconds + tasks * shots * rule.estimate_seconds_per_shot
        else:
            seconds = tasks * rule.estimate_seconds
    else:
        if not math.isfinite(billed_seconds) or billed_seconds < 0:
            raise ValueError(
                f"billed_seconds: must be a finite number >= 0, got {billed_seconds!r}"
            )
        seconds = Decimal(str(billed_seconds)).quantize(_MS, rounding=ROUND_CEILING)
    seconds = max(seconds, tasks * rule.minimum_seconds)
    return _q(seconds * rule.usd_per_second)
