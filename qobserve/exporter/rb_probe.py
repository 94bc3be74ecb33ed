"""The RB probe: fidelity of a backend's qubits, within a cost cap.

Before each run the cost model prices the probe's circuits; a run priced above
``max_cost_usd``, or one that would take the day's probe spend past
``max_daily_cost_usd``, is refused (the probe reports failure and says why)
before anything is submitted. The day's spend lives in
``<state_dir>/budgets.sqlite`` (budget ``rb-probe``), so it survives restarts
when the state directory is a volume.

With ``interleave: GATE`` the probe also runs interleaved RB and exports the
gate's error as ``quantum_backend_gate_error_ratio{gate, source="rb"}``; with
``plot: true`` it keeps the last run's decay plot per backend (PNG bytes in
memory, served by the exporter at ``/probes/<name>/rb.png``).

With ``target_precision: REL`` the probe runs the adaptive design
(:mod:`qobserve.benchmarking.adaptive`) instead of ``samples`` fixed sequences:
it stops once the EPC's 95 % interval is within ±REL, or at ``max_shots``
(default: what the fixed design would spend). Cost caps price the worst case
(the whole shot budget) before the run and settle what was actually run.
"""

from __future__ import annotations

import logging
import threading
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from qobserve.exporter.config import RBProbeConfig
from qobserve.exporter.probes import Sample, Target
from qobserve.semconv import (
    GATE_ERROR_RB,
    LABEL,
    QUANTUM_BACKEND_GATE_ERROR_RATIO,
    QUANTUM_FIDELITY_RATIO,
    QUANTUM_RB_ERROR_PER_CLIFFORD,
    Attr,
)

if TYPE_CHECKING:
    from qobserve.cost import Budget

__all__ = ["RBProbe", "RBProbeRefused"]

log = logging.getLogger("qobserve.exporter")

#: The spend store's file name below the state directory.
STORE_FILE = "budgets.sqlite"


class RBProbeRefused(RuntimeError):
    """The probe would cost more than its cap allows."""


class RBProbe:
    """Callable probe running :func:`qobserve.benchmarking.run_rb` on a target."""

    def __init__(self, config: RBProbeConfig, *, state_dir: str | Path) -> None:
        self.config = config
        self.store_path = Path(state_dir) / STORE_FILE
        self._budget: Budget | None = None
        self._plots: dict[str, bytes] = {}
        self._plots_lock = threading.Lock()

    def plot(self, name: str) -> bytes | None:
        """The last decay plot (PNG) of the backend named ``name``, if one was drawn."""
        with self._plots_lock:
            return self._plots.get(name)

    def drop_plot(self, name: str) -> None:
        """Forget a removed or changed backend's plot."""
        with self._plots_lock:
            self._plots.pop(name, None)

    def _daily_budget(self):
        if self._budget is None and self.config.max_daily_cost_usd is not None:
            from qobserve.cost import Budget
            from qobserve.cost.store_sqlite import SqliteBudgetStore

            self._budget = Budget(
                "rb-probe",
                self.config.max_daily_cost_usd,
                period="day",
                store=SqliteBudgetStore(self.store_path),
            )
        return self._budget

    def _price(self, target: Target, design_circuits: int | None = None) -> Decimal:
        """Price of a run: the fixed design, or an adaptive run's pilot plus
        ``design_circuits`` (default: as many as the shot budget allows, the worst case)."""
        from qobserve.benchmarking import DEFAULT_LENGTHS
        from qobserve.benchmarking.adaptive import pilot_design
        from qobserve.cost import estimate

        cfg = self.config
        sets = 2 if cfg.interleave else 1  # interleaved RB runs a second set of sequences
        if cfg.target_precision is None:
            lengths = cfg.lengths or DEFAULT_LENGTHS[len(cfg.qubits)]
            return estimate(target.spec, cfg.shots, circuits=sets * len(lengths) * cfg.samples).usd
        pilot_shots, pilot_circuits = pilot_design(len(cfg.qubits), cfg.shots)
        pilot_circuits *= sets
        if design_circuits is None:
            design_circuits = (cfg.shot_budget - pilot_circuits * pilot_shots) // cfg.shots
        return (
            estimate(target.spec, pilot_shots, circuits=pilot_circuits).usd
            + estimate(target.spec, cfg.shots, circuits=design_circuits).usd
        )

    def _reserve(self, target: Target):
        from qobserve.cost import BudgetExceededError

        cfg = self.config
        price = self._price(target)
        if cfg.max_cost_usd is not None and price > Decimal(str(cfg.max_cost_usd)):
            raise RBProbeRefused(
                f"rb probe on {target.name} priced ${price} > probes.rb.max_cost_usd "
                f"${cfg.max_cost_usd}; lower samples/shots (or max_shots) or raise the cap"
            )
        budget = self._daily_budget()
        if budget is None:
            return None
        try:
            return budget.reserve(price)
        except BudgetExceededError as exc:
            raise RBProbeRefused(f"rb probe on {target.name}: {exc}") from None

    def __call__(self, target: Target) -> list[Sample]:
        from qobserve.benchmarking import run_rb

        cfg = self.config
        reservation = self._reserve(target)
        try:
            result = run_rb(
                target.spec,
                tuple(cfg.qubits),
                lengths=cfg.lengths,
                num_samples=cfg.samples,
                shots=cfg.shots,
                device=target.device(),
                interleave=cfg.interleave,
                target_precision=cfg.target_precision,
                max_shots=cfg.max_shots,
            )
        except BaseException:
            if reservation is not None:
                reservation.release()
            raise
        if reservation is not None:
            spent = reservation.amount
            if result.adaptive is not None:  # an adaptive run usually stops well short
                sets = 1 if result.interleaved_survival is None else 2
                spent = min(spent, self._price(target, sets * result.survival.size))
            reservation.settle(spent)
        if cfg.plot:
            self._keep_plot(target.name, result)
        fit = result.fit
        if not fit.ok:
            raise RuntimeError(f"rb fit on {target.name}: {fit.status.value} ({fit.message})")
        assert fit.epc is not None and fit.fidelity is not None  # set when ok
        labels = (*target.labels, (LABEL[Attr.QUBITS], result.experiment.label))
        samples = [
            Sample(QUANTUM_RB_ERROR_PER_CLIFFORD, labels, float(fit.epc)),
            Sample(
                QUANTUM_FIDELITY_RATIO, (*labels, (LABEL[Attr.METHOD], "rb")), float(fit.fidelity)
            ),
        ]
        irb = result.interleaved
        if irb is not None and irb.ok:
            assert irb.gate_error is not None  # set when ok
            samples.append(
                Sample(
                    QUANTUM_BACKEND_GATE_ERROR_RATIO,
                    (
                        *target.labels,
                        (LABEL[Attr.GATE], irb.gate),
                        labels[-1],
                        (LABEL[Attr.SOURCE], GATE_ERROR_RB),
                    ),
                    float(irb.gate_error),
                )
            )
        elif irb is not None:  # the EPC is still good data; the gate's series goes away
            log.warning("rb on %s: no %s gate error: %s", target.name, irb.gate, irb.message)
        return samples

    def _keep_plot(self, name: str, result) -> None:
        from qobserve.benchmarking.plot import render_png

        try:
            png = render_png(result)
        except Exception:  # a picture is never a reason to fail the probe
            log.warning("rb on %s: plot failed", name, exc_info=True)
            return
        with self._plots_lock:
            self._plots[name] = png
