"""Game days: run jobs through the resilient executor against injected faults.

A scenario (YAML, unknown keys are errors)::

    jobs: 60
    shots: 100
    circuit: bell                 # bell, ghz3, ghz5, or an OpenQASM file path
    budget_usd: 5
    seed: 7
    executor: {max_attempts: 3, max_calibration_age: 1h, deadline: 5s}
    backends:
      - name: primary
        backend: qiskit:aer
        price: {per_task_usd: 0.3, per_shot_usd: 0.00035}
        faults: {transient_error_rate: 0.2, outage: {after_jobs: 10, for_jobs: 20}}
      - name: secondary
        backend: braket:local
        faults: {calibration_age: 2h}
    classical_fallback: {name: classical, model: uniform}   # optional last resort

``classical_fallback`` adds a :class:`~qobserve.executor.ClassicalTarget` last,
answering with a built-in toy model (``uniform`` or ``zeros`` counts) when every
backend failed; the model counts its own answers as the ground truth.

Everything runs on local simulators with backoff scaled to milliseconds, so a
game day takes seconds. The report compares what the executor says with the
chaos ledger's ground truth: jobs lost, executions duplicated, money spent.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from qobserve._validation import Duration, StrictModel, read_yaml, validation_message
from qobserve.backends import parse_backend
from qobserve.chaos import ChaosBackend, Faults, Ledger
from qobserve.executor._policies import MAX_COUNT, MAX_USD, Price

__all__ = [
    "BUILTIN_CIRCUITS",
    "GamedayReport",
    "Scenario",
    "ScenarioError",
    "demo_scenario",
    "load_scenario",
    "render",
    "run_gameday",
]

BUILTIN_CIRCUITS = ("bell", "ghz3", "ghz5")
MAX_SHOTS = 1_000_000  # local simulators; a larger number is a typo that would run for hours
MAX_SEED = 2**32 - 1  # simulators (Aer, NumPy) take 32-bit seeds


class ScenarioError(ValueError):
    """A scenario that cannot be run; one line per problem, each naming the field."""


class ExecutorSection(StrictModel):
    """Executor policy of the game day, scaled for local runs (milliseconds, not minutes)."""

    max_attempts: int = Field(default=3, ge=1, le=20)
    max_calibration_age: Duration | None = None
    deadline: Duration = 5.0
    attempt_timeout: Duration = 0.05
    backoff_initial: Duration = 0.001
    backoff_max: Duration = 0.02
    concurrency: int = Field(default=4, ge=1, le=64)
    breaker_failures: int = Field(default=5, ge=1, le=MAX_COUNT)
    breaker_cooldown: Duration = 0.2
    retry_budget: int = Field(default=500, ge=1, le=MAX_COUNT)
    allow_duplicates: bool = False
    max_pending_jobs: int | None = Field(default=None, ge=0, le=MAX_COUNT)


class BackendSection(StrictModel):
    name: str = Field(min_length=1)
    backend: str
    noise: str | None = None
    price: Price = Price()
    faults: Faults = Faults()

    @field_validator("backend")
    @classmethod
    def _spec(cls, v: str) -> str:
        try:
            spec = parse_backend(v, field="backend")
        except ValueError as exc:
            raise ValueError(str(exc).removeprefix("backend: ")) from None
        if spec.kind.value == "cloud":
            raise ValueError(f"game days run on local simulators only, not {v!r}")
        return v

    @model_validator(mode="after")
    def _noise(self) -> BackendSection:
        parse_backend(self.backend, self.noise, field="noise")
        return self


class ClassicalSection(StrictModel):
    """The classical model that answers when every backend failed."""

    name: str = Field(
        default="classical",
        min_length=1,
        description="provenance.backend and to_backend of its answers",
    )
    model: Literal["uniform", "zeros"] = Field(
        default="uniform", description="built-in toy model: shots spread evenly, or all on 0…0"
    )


class Scenario(StrictModel):
    """A game day: jobs to run, the executor policy, and backends with their faults."""

    jobs: int = Field(ge=1, le=100_000)
    shots: int = Field(default=100, ge=1, le=MAX_SHOTS)
    circuit: str = Field(default="bell", min_length=1)
    budget_usd: Decimal | None = Field(default=None, ge=0, le=MAX_USD, allow_inf_nan=False)
    seed: int = Field(default=0, ge=0, le=MAX_SEED)
    executor: ExecutorSection = ExecutorSection()
    backends: list[BackendSection] = Field(min_length=1)
    classical_fallback: ClassicalSection | None = None

    @field_validator("backends")
    @classmethod
    def _unique(cls, v: list[BackendSection]) -> list[BackendSection]:
        names = Counter(b.name for b in v)
        dup = [n for n, c in names.items() if c > 1]
        if dup:
            raise ValueError(f"backend names must be unique; {dup} repeated")
        return v

    @model_validator(mode="after")
    def _classical_name(self) -> Scenario:
        c = self.classical_fallback
        if c is not None and c.name in {b.name for b in self.backends}:
            raise ValueError(
                f"classical_fallback.name: {c.name!r} is already a backend name; pick another"
            )
        return self


def load_scenario(source: str | Path | dict) -> Scenario:
    """Parse and validate a scenario file (or an already loaded mapping).

    Raises:
        ScenarioError: naming each bad field (``backends[1].faults.timeout_rate: …``).
    """
    base, where = Path("."), ""
    if isinstance(source, dict):
        data: Any = source
    else:
        path = Path(source)
        base, where = path.parent, f"{path}: "
        data = read_yaml(path, ScenarioError, expect="a scenario mapping with jobs, backends, ...")
    if not isinstance(data, dict):
        raise ScenarioError("scenario: expected a mapping with jobs, backends, ...")
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(where + validation_message(exc)) from None
    if scenario.circuit not in BUILTIN_CIRCUITS:
        qasm = Path(scenario.circuit)
        qasm = qasm if qasm.is_absolute() else base / qasm
        if not qasm.is_file():
            raise ScenarioError(
                f"{where}circuit: {scenario.circuit!r} is neither a built-in "
                f"({', '.join(BUILTIN_CIRCUITS)}) nor an OpenQASM file"
            )
        _check_qasm(qasm)
        scenario = scenario.model_copy(update={"circuit": str(qasm)})
    return scenario


def _check_qasm(path: Path) -> None:
    """Parse the circuit file once, so a broken one is refused before any job runs.

    Raises:
        ScenarioError: ``circuit: FILE: …`` with the parser's first line.
    """
    from qobserve.executor._convert import ConversionError, convert

    try:
        circuit = convert(path.read_text(encoding="utf-8"), "qiskit")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(
            f"circuit: {path}: cannot read as UTF-8 text: {getattr(exc, 'strerror', None) or exc}"
        ) from None
    except ConversionError as exc:
        detail = " ".join(str(exc).split())
        raise ScenarioError(
            f"circuit: {path}: not a valid OpenQASM 2 or 3 program ({detail}); "
            "fix the file or use a built-in circuit (bell, ghz3, ghz5)"
        ) from None
    if not any(inst.operation.name == "measure" for inst in circuit.data):
        raise ScenarioError(
            f"circuit: {path}: not a valid OpenQASM 2 or 3 program for a game day: "
            "it measures nothing (add e.g. `measure q -> c;`)"
        )


def demo_scenario(*, jobs: int = 40, seed: int = 7) -> Scenario:
    """A built-in game day for ``qobserve demo``: a flaky Qiskit primary with an
    outage in the middle, a Braket fallback reached through OpenQASM, a Cirq last
    resort with stale calibration, and a budget. Runs in a few seconds."""
    return Scenario.model_validate(
        {
            "jobs": jobs,
            "shots": 100,
            "circuit": "bell",
            "seed": seed,
            "budget_usd": 25,
            "executor": {"max_attempts": 3, "max_calibration_age": "24h", "deadline": "5s"},
            "backends": [
                {
                    "name": "primary",
                    "backend": "qiskit:aer",
                    "price": {"per_task_usd": "0.30", "per_shot_usd": "0.001"},
                    "faults": {
                        "transient_error_rate": 0.2,
                        "throttle_rate": 0.05,
                        "timeout_rate": 0.05,
                        "outage": {"after_jobs": jobs // 3, "for_jobs": max(jobs // 4, 1)},
                    },
                },
                {
                    "name": "fallback",
                    "backend": "braket:local",
                    "price": {"per_task_usd": "0.30", "per_shot_usd": "0.002"},
                    "faults": {"transient_error_rate": 0.1, "late_rate": 0.05},
                },
                {
                    "name": "stale",
                    "backend": "cirq:simulator",
                    "faults": {"calibration_age": "48h"},
                },
            ],
        }
    )


def build_circuit(name: str) -> Any:
    """A built-in Qiskit circuit, or the text of an OpenQASM file."""
    if name not in BUILTIN_CIRCUITS:
        return Path(name).read_text()
    from qiskit import QuantumCircuit

    n = {"bell": 2, "ghz3": 3, "ghz5": 5}[name]
    qc = QuantumCircuit(n, n, name=name)
    qc.h(0)
    for q in range(n - 1):
        qc.cx(q, q + 1)
    qc.measure(range(n), range(n))
    return qc


@dataclass
class BackendReport:
    attempts: int = 0
    completed: int = 0
    executions: int = 0
    skipped: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    breaker_state: int = 0
    breaker_opened: int = 0


@dataclass
class GamedayReport:
    """What happened; ``lost`` and ``duplicate_executions`` come from the chaos ledger."""

    jobs: int
    succeeded: int
    failed: int
    lost: int
    duplicate_executions: int
    spent_usd: float
    budget_usd: float | None
    retries: int
    fallbacks: int
    retry_budget: dict[str, int]
    resubmitted_after_permanent: int
    hanging: int
    elapsed_s: float
    by_backend: dict[str, BackendReport]
    failures: list[dict[str, Any]]
    answered_by: dict[str, int] = field(default_factory=dict)
    classical_backend: str | None = None
    classical_model_calls: int | None = None

    @property
    def classical_answers(self) -> int:
        """Jobs whose provenance says the classical model answered."""
        return self.answered_by.get(self.classical_backend, 0) if self.classical_backend else 0

    @property
    def problems(self) -> list[str]:
        """Why the game day failed, one phrase each (empty when it passed)."""
        over = self.budget_usd is not None and self.spent_usd > self.budget_usd + 1e-9
        return [
            text
            for bad, text in (
                (self.jobs > 0 and self.succeeded == 0, "every job failed"),
                (self.lost > 0, f"{self.lost} job(s) lost"),
                (
                    self.duplicate_executions > 0,
                    f"{self.duplicate_executions} duplicate execution(s)",
                ),
                (over, "over budget"),
                (
                    self.resubmitted_after_permanent > 0,
                    f"{self.resubmitted_after_permanent} resubmission(s) after a permanent error",
                ),
                (
                    self.classical_model_calls is not None
                    and self.classical_answers != self.classical_model_calls,
                    f"classical answers {self.classical_answers} != model calls {self.classical_model_calls}",
                ),
            )
            if bad
        ]

    @property
    def ok(self) -> bool:
        """Some job succeeded, nothing lost or duplicated, budget respected, permanent
        errors not retried."""
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "classical_answers": self.classical_answers,
            "ok": self.ok,
            "problems": self.problems,
        }


def _executor(
    scenario: Scenario, backends: list[ChaosBackend], budget, providers: dict, classical=None
):
    from qobserve.executor import (
        BreakerPolicy,
        ClassicalTarget,
        GatePolicy,
        IdempotencyPolicy,
        ResilientExecutor,
        RetryBudget,
        RetryPolicy,
        Target,
    )

    ex = scenario.executor
    targets: list[Any] = [
        Target(b, price=s.price) for b, s in zip(backends, scenario.backends, strict=False)
    ]
    if classical is not None and scenario.classical_fallback is not None:
        targets.append(ClassicalTarget(scenario.classical_fallback.name, classical))
    return ResilientExecutor(
        targets,
        retry=RetryPolicy(
            max_attempts=ex.max_attempts,
            initial=ex.backoff_initial,
            maximum=ex.backoff_max,
            attempt_timeout=ex.attempt_timeout,
        ),
        breaker=BreakerPolicy(failure_threshold=ex.breaker_failures, cooldown=ex.breaker_cooldown),
        gates=GatePolicy(
            max_calibration_age=ex.max_calibration_age,
            max_pending_jobs=ex.max_pending_jobs,
            refresh=0,
        ),
        idempotency=IdempotencyPolicy(allow_duplicates=ex.allow_duplicates),
        deadline=ex.deadline,
        budget=budget,
        retry_budget=RetryBudget(capacity=ex.retry_budget),
        concurrency=ex.concurrency,
        record_jobs=True,
        **providers,
    )


def run_gameday(
    scenario: Scenario | str | Path, *, tracer_provider=None, meter_provider=None
) -> GamedayReport:
    """Run a game day and compare the executor's account with the ground truth.

    Args:
        scenario: a :class:`Scenario` or the path of a scenario file.
        tracer_provider / meter_provider: where the executor's telemetry goes.

    Raises:
        ScenarioError: the scenario file is invalid, or a backend cannot be built.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    ledger = Ledger()
    backends = []
    for i, b in enumerate(scenario.backends):
        field = f"backends[{i}].backend"
        try:
            backends.append(
                ChaosBackend(
                    parse_backend(b.backend, b.noise, field=field),
                    b.faults,
                    ledger=ledger,
                    seed=scenario.seed,
                    name=b.name,
                )
            )
        except Exception as exc:  # the SDK cannot build it (unknown fake backend or processor)
            detail = " ".join(str(exc).split()).removeprefix("backend: ")
            raise ScenarioError(f"{field}: cannot build {b.backend!r}: {detail}") from None
    circuit = build_circuit(scenario.circuit)
    providers = {"tracer_provider": tracer_provider, "meter_provider": meter_provider}
    with tempfile.TemporaryDirectory(prefix="qobserve-gameday-") as tmp:
        budget = None
        if scenario.budget_usd is not None:
            from qobserve.cost import Budget, SqliteBudgetStore

            budget = Budget(
                f"gameday-{uuid.uuid4().hex[:8]}",
                scenario.budget_usd,
                period="day",
                store=SqliteBudgetStore(Path(tmp) / "budget.sqlite"),
                **providers,
            )
        classical = None
        if scenario.classical_fallback is not None:
            from qobserve.executor._classical import toy_model

            classical = toy_model(scenario.classical_fallback.model)
        executor = _executor(scenario, backends, budget, providers, classical)
        ids = [f"gd{scenario.seed}-{i:05d}" for i in range(scenario.jobs)]

        def one(cid: str):
            ledger.begin(cid)
            try:
                return executor.run(circuit, shots=scenario.shots, client_id=cid)
            except Exception as exc:  # every failure is reported with its reason
                return exc

        t0 = time.monotonic()
        with ThreadPoolExecutor(scenario.executor.concurrency) as pool:
            outcomes = list(pool.map(one, ids))
        elapsed = time.monotonic() - t0
        hanging = ledger.settle()
        spent = budget.spent() if budget is not None else None
    report = _report(scenario, executor, ledger, ids, outcomes, spent, hanging, elapsed)
    if classical is not None and scenario.classical_fallback is not None:
        report.classical_backend = scenario.classical_fallback.name
        report.classical_model_calls = classical.calls
        report.by_backend[report.classical_backend].executions = classical.calls
    return report


def _report(
    scenario, executor, ledger: Ledger, ids, outcomes, spent, hanging, elapsed
) -> GamedayReport:
    from qobserve.executor import ExecutionResult

    by_backend = {b.name: BackendReport() for b in scenario.backends}
    if scenario.classical_fallback is not None:
        by_backend[scenario.classical_fallback.name] = BackendReport()
    succeeded = failed = lost = retries = fallbacks = 0
    answered_by: Counter[str] = Counter()
    cost = Decimal(0)
    failures: list[dict[str, Any]] = []
    for i, (cid, out) in enumerate(zip(ids, outcomes, strict=False)):
        prov = getattr(out, "provenance", None)
        if isinstance(out, ExecutionResult):
            succeeded += 1
            answered_by[str(out.provenance.backend)] += 1  # set on every result
            # A quantum result must come from a real execution of this very job
            # (a classical answer is checked against the model's own count).
            lost += ledger.executions[cid] == 0 and not out.provenance.classical
        elif getattr(prov, "reason", None) or str(out):
            failed += 1
            failures.append(
                {
                    "job": i,
                    "client_id": cid,
                    "reason": getattr(prov, "reason", None) or f"{type(out).__name__}: {out}",
                }
            )
        else:
            lost += 1
        if prov is None:
            continue
        retries += prov.retries
        fallbacks += prov.fallbacks
        cost += prov.cost_usd
        for a in prov.attempts:
            r = by_backend.setdefault(a.backend, BackendReport())
            r.attempts += 1
            r.completed += a.outcome in ("completed", "adopted")
            if a.error_type:
                r.errors[a.error_type] = r.errors.get(a.error_type, 0) + 1
        for s in prov.skipped:
            by_backend[s.backend].skipped += 1
    for (backend, _cid), n in ledger.executed_on.items():
        by_backend[backend].executions += n
    for slot_backend in executor.backends:
        r = by_backend[slot_backend.name]
        breaker = executor.breaker(slot_backend.name)
        r.breaker_state, r.breaker_opened = int(breaker.state), breaker.opened
    return GamedayReport(
        jobs=len(ids),
        succeeded=succeeded,
        failed=failed,
        lost=lost,
        duplicate_executions=ledger.duplicates(),
        spent_usd=float(spent if spent is not None else cost),
        budget_usd=None if scenario.budget_usd is None else float(scenario.budget_usd),
        retries=retries,
        fallbacks=fallbacks,
        retry_budget=_tokens(executor.retry_budget),
        resubmitted_after_permanent=ledger.resubmitted_after_permanent(),
        hanging=hanging,
        elapsed_s=round(elapsed, 3),
        by_backend=by_backend,
        failures=failures,
        answered_by=dict(answered_by),
    )


def _tokens(b) -> dict[str, int]:
    return {
        "capacity": b.capacity,
        "left": b.tokens,
        "granted": b.granted,
        "granted_timeouts": b.granted_timeouts,
        "refused": b.refused,
        "refunded": b.refunded,
    }


def render(report: GamedayReport, console=None) -> None:
    """Print the report as rich tables."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    summary = Table(title="Game day", show_header=False)
    budget = "none" if report.budget_usd is None else f"${report.budget_usd:.2f}"
    for key, value in (
        ("jobs", report.jobs),
        ("succeeded", report.succeeded),
        ("failed", report.failed),
        ("lost", report.lost),
        ("duplicate executions", report.duplicate_executions),
        ("spent / budget", f"${report.spent_usd:.4f} / {budget}"),
        ("retries", report.retries),
        ("fallbacks", report.fallbacks),
        (
            "answered by",
            ", ".join(f"{k}×{v}" for k, v in sorted(report.answered_by.items())) or "-",
        ),
        (
            "retry tokens left",
            f"{report.retry_budget['left']} of {report.retry_budget['capacity']}",
        ),
        ("elapsed", f"{report.elapsed_s:.2f}s"),
        (
            "verdict",
            "[green]OK[/]" if report.ok else f"[red]FAILED[/]: {', '.join(report.problems)}",
        ),
    ):
        summary.add_row(key, str(value))
    console.print(summary)
    # Numbers and names are never cut or wrapped (`executio…`, `ServiceUn/available/…`):
    # counts sit in a narrow borderless table, and each error type gets its own row below.
    table = Table(title="By backend", box=box.SIMPLE_HEAD)
    for col in ("backend", "attempts", "completed", "executions", "skipped", "breaker"):
        table.add_column(col, no_wrap=True, min_width=len(col))
    states = {0: "closed", 1: "half-open", 2: "open"}
    errors = Table(title="Errors by backend", box=box.SIMPLE_HEAD)
    for col in ("backend", "error", "attempts"):
        errors.add_column(col, no_wrap=True, min_width=len(col))
    for name, r in report.by_backend.items():
        breaker = "-" if name == report.classical_backend else states[r.breaker_state]
        table.add_row(
            name,
            str(r.attempts),
            str(r.completed),
            str(r.executions),
            str(r.skipped),
            breaker,
        )
        for kind, n in sorted(r.errors.items()):
            errors.add_row(name, kind, str(n))
    console.print(table)
    if errors.row_count:
        console.print(errors)
    if report.failures:
        reasons = Counter(f["reason"] for f in report.failures)
        fails = Table(title="Failed jobs by reason")
        fails.add_column("jobs")
        fails.add_column("reason")
        for reason, n in reasons.most_common(10):
            fails.add_row(str(n), reason)
        console.print(fails)


def run_cli(path: Path, *, as_json: bool, echo=None) -> int:
    """``qobserve gameday``: 0 when some jobs succeeded, nothing was lost or duplicated
    and the budget held; 1 otherwise (every job failed, or the executor broke an
    invariant), with the reasons on one stderr line; 2 for an invalid scenario."""
    import json

    import typer

    echo = echo or typer.echo
    try:
        scenario = load_scenario(path)
        report = run_gameday(scenario)
    except ScenarioError as exc:
        message = str(exc)
        where = "" if message.startswith(str(path)) else f"{path}: "
        echo(f"error: invalid scenario: {where}{message}", err=True)
        return 2
    if as_json:
        echo(json.dumps(report.to_dict(), indent=2, sort_keys=True))
    else:
        render(report)
    if not report.ok:
        echo(f"error: game day {path} failed: {', '.join(report.problems)}", err=True)
        return 1
    return 0
