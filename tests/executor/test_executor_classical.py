"""The classical fallback: the last target answers only when every quantum target failed."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qobserve.chaos import ChaosBackend, Faults, Ledger
from qobserve.cli import app
from qobserve.executor import ClassicalTarget, JobFailedError, ResilientExecutor
from qobserve.executor._classical import toy_model
from qobserve.gameday import ScenarioError, load_scenario, run_gameday
from qobserve.semconv import Attr, SpanEvent

_DOWN = Faults(outage={"after_jobs": 0, "for_jobs": 1000})
_NO_GATES = {"require_operational": False}


class Model:
    """A classical model that records its calls and answers with fixed counts."""

    def __init__(self, answer=None, error: Exception | None = None) -> None:
        self.calls: list[tuple[object, int]] = []
        self.answer = answer if answer is not None else {"00": 1}
        self.error = error

    def __call__(self, circuit, shots):
        self.calls.append((circuit, shots))
        if self.error is not None:
            raise self.error
        return {k: v * shots for k, v in self.answer.items()}


def _down_executor(model, otel=None, **kwargs):
    providers = otel.providers if otel is not None else {}
    return ResilientExecutor(
        [
            ChaosBackend("qiskit:aer", _DOWN, ledger=Ledger()),
            ChaosBackend("braket:local", _DOWN, ledger=Ledger()),
            ClassicalTarget("classical", model),
        ],
        gates=_NO_GATES,
        retry={"max_attempts": 1},
        **providers,
        **kwargs,
    )


def test_classical_answers_when_every_quantum_target_fails(bell, otel):
    """Both QPUs offline: the classical model answers, provenance and the fallback counter say so."""
    model = Model()
    result = _down_executor(model, otel).run(bell, shots=50)
    p = result.provenance
    assert result.counts == {"00": 50}
    assert model.calls == [(bell, 50)]
    assert (p.backend, p.provider, p.classical) == ("classical", "classical", True)
    assert "aer_simulator" in p.classical_reason and "braket_sv" in p.classical_reason
    assert p.fallbacks == 2 and p.cost_usd == 0 and p.reason is None
    assert [a.backend for a in p.attempts] == ["aer_simulator", "braket_sv", "classical"]
    assert (
        otel.value("quantum.job.fallbacks", from_backend="braket_sv", to_backend="classical") == 1
    )
    (job,) = [s for s in otel.spans() if s.name == "qobserve executor job"]
    (event,) = [e for e in job.events if e.name == SpanEvent.CLASSICAL_FALLBACK.value]
    assert event.attributes[Attr.FALLBACK_REASON.value] == p.classical_reason
    assert job.attributes[Attr.BACKEND.value] == "classical"


def test_classical_answers_when_every_quantum_target_is_skipped(bell, otel):
    """Open breakers skip every QPU: the classical model answers with the skip reasons."""
    model = Model()
    ex = ResilientExecutor(
        ["qiskit:aer", ClassicalTarget("classical", model)],
        breaker={"failure_threshold": 1, "cooldown": 3600},
        **otel.providers,
    )
    ex.breaker("aer_simulator").failure()
    p = ex.run(bell, shots=10).provenance
    assert p.backend == "classical" and p.classical_reason == "aer_simulator: breaker open"
    assert (
        otel.value("quantum.job.fallbacks", from_backend="aer_simulator", to_backend="classical")
        == 1
    )


def test_quantum_success_never_touches_the_classical_model(bell, otel):
    """A healthy QPU answers; the classical model is never called and nothing falls back."""
    model = Model()
    ex = ResilientExecutor(["qiskit:aer", ClassicalTarget("classical", model)], **otel.providers)
    result = ex.run(bell, shots=20)
    assert len(model.calls) == 0
    assert result.provenance.backend == "aer_simulator" and not result.provenance.classical
    assert otel.value("quantum.job.fallbacks", to_backend="classical") == 0


def test_quantum_fallback_comes_before_classical(bell):
    """The first QPU is down, the second answers: the classical model stays unused."""
    model = Model()
    result = ResilientExecutor(
        [ChaosBackend("qiskit:aer", _DOWN), "braket:local", ClassicalTarget("classical", model)],
        gates=_NO_GATES,
    ).run(bell, shots=10)
    assert result.provenance.backend == "braket_sv" and len(model.calls) == 0


@pytest.mark.parametrize("position", [0, 1])
def test_classical_target_must_come_last(position):
    """A ClassicalTarget anywhere but last is refused, naming its position and the rule."""
    targets = ["qiskit:aer", "braket:local"]
    targets.insert(position, ClassicalTarget("classical", Model()))
    with pytest.raises(
        ValueError, match=rf"targets\[{position}\]: a ClassicalTarget must be the last"
    ):
        ResilientExecutor(targets)


def test_classical_target_alone_is_refused():
    """A classical model with no quantum target before it is a configuration mistake."""
    with pytest.raises(
        ValueError, match=r"targets\[0\]: a ClassicalTarget needs at least one quantum"
    ):
        ResilientExecutor([ClassicalTarget("classical", Model())])


def test_classical_error_fails_the_job_with_quantum_reasons(bell, otel):
    """The model raising fails the job once (no retry), quantum reasons and model error attached."""
    model = Model(error=RuntimeError("model not loaded"))
    with pytest.raises(JobFailedError) as info:
        _down_executor(model, otel).run(bell, shots=10)
    err = info.value
    assert len(model.calls) == 1
    assert (
        "aer_simulator" in err.reason and "classical: RuntimeError: model not loaded" in err.reason
    )
    assert isinstance(err.__cause__, RuntimeError)
    assert (
        err.provenance.backend is None and err.provenance.attempts[-1].error_type == "RuntimeError"
    )


def test_classical_answer_spends_no_budget(bell):
    """The classical answer reserves nothing: a budget too small for any QPU still serves."""
    from qobserve.executor import Price, Target

    class Budget:
        name = "tiny"

        def reserve(self, usd):
            from qobserve.cost import BudgetExceededError

            raise BudgetExceededError(self.name, Decimal(0), Decimal(0), usd)

    model = Model()
    ex = ResilientExecutor(
        [Target("qiskit:aer", price=Price(per_task_usd=1)), ClassicalTarget("classical", model)],
        budget=Budget(),
    )
    p = ex.run(bell, shots=10).provenance
    assert p.backend == "classical" and p.cost_usd == 0 and "budget exceeded" in p.classical_reason


def test_classical_target_rejects_a_non_callable():
    """fn must be callable; the error says how it is called."""
    with pytest.raises(ValueError, match=r"fn must be callable as fn\(circuit, shots\)"):
        ClassicalTarget("classical", "model.pkl")


_EXAMPLE = Path(__file__).parents[2] / "examples" / "gamedays" / "classical-fallback.yaml"


def test_game_day_all_qpus_down_classical_answers_every_job(otel):
    """The shipped game day: every QPU down, every job answered by the model, ground truth matching."""
    report = run_gameday(_EXAMPLE, **otel.providers)
    jobs = report.jobs
    assert report.ok, report.problems
    assert (report.succeeded, report.failed, report.lost, report.duplicate_executions) == (
        jobs,
        0,
        0,
        0,
    )
    assert report.answered_by == {"classical": jobs}
    assert report.classical_answers == report.classical_model_calls == jobs
    assert report.by_backend["classical"].executions == jobs
    assert sum(r.executions for n, r in report.by_backend.items() if n != "classical") == 0
    assert report.spent_usd == 0
    assert (
        otel.value("quantum.job.fallbacks", from_backend="secondary", to_backend="classical")
        == jobs
    )


def test_game_day_cli_shows_the_classical_answers():
    """``qobserve gameday`` on the example exits 0 and reports who answered."""
    out = CliRunner().invoke(app, ["gameday", "--scenario", str(_EXAMPLE), "--json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.output)
    assert (
        report["answered_by"] == {"classical": report["jobs"]}
        and report["classical_answers"] == report["jobs"]
    )


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"model": "forest"}, "classical_fallback.model: Input should be 'uniform' or 'zeros'"),
        ({"name": "a"}, "classical_fallback.name: 'a' is already a backend name"),
        ({"modle": "uniform"}, "classical_fallback.modle: unknown key"),
    ],
)
def test_bad_classical_fallback_names_the_field(section, message):
    """A bad classical_fallback section is one line naming the field."""
    data = {
        "jobs": 2,
        "backends": [{"name": "a", "backend": "qiskit:aer"}],
        "classical_fallback": section,
    }
    with pytest.raises(ScenarioError) as err:
        load_scenario(data)
    assert message in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("model", "counts"), [("uniform", {"00": 3, "01": 3, "10": 2, "11": 2}), ("zeros", {"00": 10})]
)
def test_toy_models_answer_counts_for_the_circuit_width(bell, model, counts):
    """The built-in toy models return counts over the circuit's classical bits, summing to shots."""
    assert toy_model(model)(bell, 10) == counts
