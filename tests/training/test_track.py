"""track_training as decorator and context manager: spans, metrics, metadata, bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
from opentelemetry import trace

import qobserve
from qobserve.semconv import METRICS, Attr
from qobserve.training import StopTraining, current_run, track_training

EXP = {Attr.EXPERIMENT.value: "exp"}


def _otel(prom: str) -> str:
    return METRICS[prom].otel_name


def _by_name(spans, name):
    return [s for s in spans if s.name == name]


def test_context_manager_exports_every_step_metric(otel):
    """A step with gradient samples sets loss, norm, SNR, variance and shot variance gauges."""
    samples = np.array([[1.0, 2.0], [3.0, 2.5], [2.0, 1.5]])
    with track_training("exp", **otel.providers) as run:
        run.record_step(loss=0.5, gradient_samples=samples, shot_variance=[0.01, 0.03])
        run.record_step(loss=0.25, gradient=[0.1, -0.1], gradient_stderr=[0.05, 0.2])
        run.record_validation(accuracy=0.9, loss=0.3)
    assert otel.value(_otel("quantum_training_steps_total"), **EXP) == 2
    assert otel.value(_otel("quantum_training_loss"), **EXP) == 0.25
    assert otel.value(_otel("quantum_training_gradient_norm"), **EXP) == pytest.approx(
        np.sqrt(0.02)
    )
    assert otel.value(_otel("quantum_training_gradient_variance"), **EXP) == pytest.approx(0.01)
    # median of |0.1|/0.05 = 2 and |−0.1|/0.2 = 0.5 is 1.25
    assert otel.value(_otel("quantum_training_gradient_snr"), **EXP) == pytest.approx(1.25)
    assert otel.value(_otel("quantum_training_shot_variance"), **EXP) == pytest.approx(0.02)
    score = _otel("quantum_training_validation_score")
    assert otel.value(score, metric="accuracy", **EXP) == 0.9
    assert otel.value(score, metric="loss", **EXP) == 0.3


def test_jobs_run_inside_a_step_become_its_children(otel):
    """Auto step spans: a span started before record_step(n) is a child of step n's span."""
    tracer = otel.tracer_provider.get_tracer("sdk")
    with track_training(
        "exp",
        seed=3,
        ansatz="ry",
        depth=2,
        qubits=4,
        backend="aer_simulator",
        shots=100,
        code_version="v1",
        **otel.providers,
    ) as run:
        for i in range(2):
            with tracer.start_as_current_span(f"job {i}"):
                pass
            run.record_step(loss=1.0 - i)
    spans = otel.spans()
    (run_span,) = _by_name(spans, "training exp")
    steps = _by_name(spans, "training step")
    assert [s.attributes[Attr.TRAINING_STEP.value] for s in steps] == [1, 2, 3]
    assert steps[-1].attributes[Attr.TRAINING_STEP_RECORDED.value] is False
    for i in range(2):
        (job,) = _by_name(spans, f"job {i}")
        assert job.parent.span_id == steps[i].context.span_id
        assert steps[i].parent.span_id == run_span.context.span_id
    attrs = run_span.attributes
    assert (
        attrs[Attr.TRAINING_SEED.value],
        attrs[Attr.TRAINING_ANSATZ.value],
        attrs[Attr.TRAINING_ANSATZ_DEPTH.value],
        attrs[Attr.CIRCUIT_QUBITS.value],
        attrs[Attr.BACKEND.value],
        attrs[Attr.TRAINING_SHOTS.value],
        attrs[Attr.TRAINING_CODE_VERSION.value],
        attrs[Attr.TRAINING_STEPS.value],
    ) == (3, "ry", 2, 4, "aer_simulator", 100, "v1", 2)
    assert not trace.get_current_span().get_span_context().is_valid  # context restored


def test_explicit_steps_link_jobs_and_leave_no_trailing_span(otel):
    """With step_spans='explicit', `with run.step()` makes the step current for its block."""
    tracer = otel.tracer_provider.get_tracer("sdk")
    with track_training("exp", step_spans="explicit", **otel.providers) as run:
        with run.step():
            with tracer.start_as_current_span("job"):
                pass
            run.record_step(loss=1.0)
            with tracer.start_as_current_span("after"):
                pass
    spans = otel.spans()
    (step,) = _by_name(spans, "training step")
    for name in ("job", "after"):
        assert _by_name(spans, name)[0].parent.span_id == step.context.span_id


def test_decorator_passes_run_and_records_code_version(otel):
    """Each call of a decorated function is one run; `run` is injected and current_run() finds it."""

    @track_training("exp", **otel.providers)
    def train(steps, run):
        assert current_run() is run
        for i in range(steps):
            run.record_step(loss=float(i))
        return run.steps

    assert train(3) == 3 and train(2) == 2
    runs = _by_name(otel.spans(), "training exp")
    assert len(runs) == 2
    assert runs[0].attributes[Attr.TRAINING_CODE_VERSION.value]  # git describe of this checkout
    assert current_run() is None
    assert qobserve.track_training is track_training


def test_exception_in_loop_marks_run_and_open_step_as_errors(otel):
    """An exception propagates; the run span and the step it interrupted get error status."""
    with pytest.raises(RuntimeError, match="boom"):
        with track_training("exp", **otel.providers) as run:
            run.record_step(loss=1.0)
            raise RuntimeError("boom")
    spans = otel.spans()
    assert _by_name(spans, "training exp")[0].status.status_code.name == "ERROR"
    assert _by_name(spans, "training step")[-1].status.status_code.name == "ERROR"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"gradient_samples": np.ones((3,))}, "gradient_samples: expected shape (k, P)"),
        ({"gradient": [1.0, np.nan]}, "gradient: contains 1 NaN"),
        (
            {"gradient": [1.0, 2.0], "gradient_stderr": [0.1, -1.0]},
            "gradient_stderr: standard errors must be >= 0",
        ),
        ({"gradient": [1.0, 2.0], "gradient_stderr": [0.1]}, "does not match gradient shape"),
        ({"shot_variance": -1.0}, "shot_variance: must be finite and >= 0"),
        ({"loss": "high"}, "loss: expected a number"),
    ],
)
def test_bad_inputs_are_anomalies_or_errors_in_strict_mode(otel, kwargs, message):
    """Bad step inputs are recorded as anomalies (step still counted); strict=True raises."""
    kwargs = {"loss": 1.0, **kwargs}
    with track_training("exp", **otel.providers) as run:
        record = run.record_step(**kwargs)
        run.record_step(loss=0.5, gradient=[0.1, 0.2])  # the loop carries on
    assert record.index == 1 and run.steps == 2
    assert any(message in a for a in run.anomalies)
    events = [e for s in otel.spans() for e in s.events if e.name == "anomaly"]
    assert any(message in e.attributes["message"] for e in events)
    with pytest.raises(ValueError, match=message.split(":")[0]):
        with track_training("exp", strict=True, **otel.providers) as run:
            run.record_step(**kwargs)


def test_bad_validation_scores_are_skipped(otel):
    """A non-finite validation score is an anomaly and is not exported; good ones are."""
    with track_training("exp", **otel.providers) as run:
        run.record_validation(accuracy=0.8, f1=float("nan"), auc="x")
    assert len(run.anomalies) == 2
    points = otel.points(_otel("quantum_training_validation_score"))
    assert [p.attributes["metric"] for p in points] == ["accuracy"]


def test_tracker_arguments_are_validated():
    """Bad tracker arguments fail at decoration time with the field name."""
    with pytest.raises(ValueError, match="experiment"):
        track_training("")
    with pytest.raises(ValueError, match="step_spans"):
        track_training("exp", step_spans="sometimes")
    with pytest.raises(ValueError, match="detectors"):
        track_training("exp", detectors=[object()])
    with pytest.raises(ValueError, match="shots"):
        track_training("exp", shots=-5)


def test_stop_training_from_loop_is_a_clean_stop(otel):
    """StopTraining raised inside the run ends it without error status."""

    @track_training("exp", **otel.providers)
    def train(run):
        run.record_step(loss=1.0)
        raise StopTraining

    assert train() is None
    assert _by_name(otel.spans(), "training exp")[0].status.status_code.name == "UNSET"


def test_works_from_a_scipy_optimize_callback(otel):
    """A scipy.optimize.minimize callback can record every iteration of a numpy cost."""
    from scipy.optimize import minimize

    def cost(x):
        return float(np.cos(x[0]) * np.cos(x[1]))

    def grad(x):
        return np.array([-np.sin(x[0]) * np.cos(x[1]), -np.cos(x[0]) * np.sin(x[1])])

    with track_training("exp", **otel.providers) as run:
        result = minimize(
            cost,
            [0.3, 0.2],
            jac=grad,
            method="BFGS",
            callback=lambda xk: run.record_step(loss=np.float64(cost(xk)), gradient=grad(xk)),
        )
    assert run.steps == result.nit > 0 and run.anomalies == []
    assert otel.value(_otel("quantum_training_steps_total"), **EXP) == result.nit
    assert otel.value(_otel("quantum_training_loss"), **EXP) == pytest.approx(result.fun)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_instrumented_qiskit_jobs_are_children_of_their_step(otel):
    """With the Qiskit instrumentor on, each parameter-shift Estimator job nests under its step span."""
    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter
    from qiskit.quantum_info import SparsePauliOp
    from qiskit_aer import AerSimulator
    from qiskit_ibm_runtime import EstimatorV2

    from qobserve.instrumentation.qiskit import QiskitInstrumentor
    from qobserve.training import parameter_shift, qiskit_expectation

    qc = QuantumCircuit(1)
    qc.ry(Parameter("a"), 0)
    # Runtime local mode: a traced submission path (Aer's own primitives are not traced).
    cost = qiskit_expectation(
        EstimatorV2(mode=AerSimulator()), qc, SparsePauliOp("Z"), precision=0.05
    )
    instrumentor = QiskitInstrumentor()
    instrumentor.instrument(**otel.providers)
    try:
        with track_training("exp", **otel.providers) as run:
            for _ in range(2):
                run.record_step(estimate=parameter_shift(cost, [0.3]))
    finally:
        instrumentor.uninstrument()
    spans = otel.spans()
    steps = {s.context.span_id: s for s in _by_name(spans, "training step")}
    jobs = [s for s in spans if s.name.startswith("qiskit ")]
    assert len(jobs) == 2
    assert [steps[j.parent.span_id].attributes[Attr.TRAINING_STEP.value] for j in jobs] == [1, 2]


def test_metrics_are_throttled_and_flushed_at_run_end(otel):
    """With a long metrics_interval steps wait for the worker; flush_metrics() and the
    run's end work them out and export them."""
    counter = _otel("quantum_training_steps_total")
    with track_training("exp", metrics_interval=3600, **otel.providers) as run:
        for i in range(3):
            run.record_step(loss=float(i))
        assert otel.value(counter, **EXP) == 0  # the worker wakes once an hour
        run.flush_metrics()
        assert otel.value(counter, **EXP) == 3
        record = run.record_step(loss=3.0)
        assert record.loss == 3.0 and record.firing == frozenset()  # worked out when read
        assert otel.value(_otel("quantum_training_loss"), **EXP) == 2.0
    assert otel.value(counter, **EXP) == 4
    assert otel.value(_otel("quantum_training_loss"), **EXP) == 3.0


def test_worker_exports_steps_in_the_background(otel):
    """With a short metrics_interval the worker exports steps while the loop runs."""
    import time

    counter = _otel("quantum_training_steps_total")
    with track_training("exp", metrics_interval=0.05, **otel.providers) as run:
        run.record_step(loss=1.0, gradient=[0.1, 0.2], gradient_stderr=[0.01, 0.02])
        deadline = time.monotonic() + 30
        while otel.value(counter, **EXP) != 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert otel.value(counter, **EXP) == 1
        assert otel.value(_otel("quantum_training_gradient_snr"), **EXP) == pytest.approx(10.0)


def test_foreign_current_span_stops_linking_without_clobbering_context(otel):
    """If the loop makes its own span current around record_step, the run stops linking and says so."""
    tracer = otel.tracer_provider.get_tracer("user")
    with track_training("exp", **otel.providers) as run:
        with tracer.start_as_current_span("user step") as mine:
            run.record_step(loss=1.0)
            assert trace.get_current_span() is mine
        run.record_step(loss=0.5)
    assert run.steps == 2 and any("no longer the current span" in a for a in run.anomalies)
    assert not trace.get_current_span().get_span_context().is_valid


def test_options_are_typed_keyword_only_and_documented():
    """Every track_training option is keyword-only, annotated and named in the docstring."""
    import inspect

    params = list(inspect.signature(track_training).parameters.values())
    assert params[0].name == "experiment"
    options = params[1:]
    assert len(options) >= 15
    for p in options:
        assert p.kind is inspect.Parameter.KEYWORD_ONLY, p.name
        assert p.annotation is not inspect.Parameter.empty, p.name
        assert f"{p.name}:" in track_training.__doc__, p.name


def test_unknown_option_is_a_type_error():
    """A misspelt option fails at the call, not deep inside the run."""
    with pytest.raises(TypeError, match="metric_interval"):
        track_training("exp", metric_interval=0)  # type: ignore[call-arg]


def test_runs_on_one_provider_share_the_step_tracer_and_keep_their_links(otel):
    """Many runs on one provider (the SDK caches the tracer) each link jobs to their steps."""
    tracer = otel.tracer_provider.get_tracer("sdk")
    for _ in range(3):
        with track_training("exp", **otel.providers) as run:
            with tracer.start_as_current_span("job"):
                pass
            run.record_step(loss=1.0)
    spans = otel.spans()
    steps = {s.context.span_id for s in _by_name(spans, "training step")}
    jobs = _by_name(spans, "job")
    assert len(jobs) == 3 and all(j.parent.span_id in steps for j in jobs)


def test_a_reused_gradient_buffer_is_read_as_it_was_at_the_step(otel):
    """Steps are worked out later: an array changed in place after record_step does not leak in."""
    grad, stderr = np.array([0.3, 0.4]), np.array([0.1, 0.1])
    with track_training("exp", metrics_interval=3600, **otel.providers) as run:
        record = run.record_step(loss=1.0, gradient=grad, gradient_stderr=stderr)
        grad[:] = 0.0  # an optimizer reusing its buffer
    assert record.stats.norm == pytest.approx(0.5)


def test_what_the_loop_sets_on_the_current_span_lands_on_its_step(otel):
    """Auto steps: attributes and events set on the current span reach that step's span."""
    with track_training("exp", **otel.providers) as run:
        for lr in (0.1, 0.05):
            trace.get_current_span().set_attribute("user.learning_rate", lr)
            trace.get_current_span().add_event("user.checkpoint", {"lr": lr})
            run.record_step(loss=lr)
        trace.get_current_span().set_attribute("user.phase", "evaluation")
    steps = sorted(
        _by_name(otel.spans(), "training step"),
        key=lambda s: s.attributes[Attr.TRAINING_STEP.value],
    )
    assert [s.attributes.get("user.learning_rate") for s in steps] == [0.1, 0.05, None]
    assert [[e.attributes["lr"] for e in s.events if e.name == "user.checkpoint"] for s in steps][
        :2
    ] == [[0.1], [0.05]]
    assert steps[2].attributes["user.phase"] == "evaluation"  # the trailing, unrecorded step


def test_pending_steps_are_bounded_and_none_is_dropped(otel, monkeypatch):
    """Past MAX_PENDING_STEPS record_step works the queue out itself: bounded, nothing lost."""
    import qobserve.training.run as run_module

    monkeypatch.setattr(run_module, "MAX_PENDING_STEPS", 3)
    lengths = []
    with track_training("exp", metrics_interval=3600, **otel.providers) as run:
        for i in range(10):
            run.record_step(loss=1.0 / (i + 1))
            lengths.append(len(run._queue))
    assert max(lengths) <= 3
    assert len(_by_name(otel.spans(), "training step")) == 10 + 1  # + the trailing step
    assert otel.value(_otel("quantum_training_steps_total"), **EXP) == 10


def test_what_the_loop_sets_on_a_step_is_capped(otel, monkeypatch):
    """The stand-in keeps at most MAX_CURSOR_ITEMS attributes and events per step."""
    import qobserve.training.run as run_module

    monkeypatch.setattr(run_module, "MAX_CURSOR_ITEMS", 5)
    with track_training("exp", **otel.providers) as run:
        for k in range(20):
            trace.get_current_span().set_attribute(f"user.k{k}", k)
            trace.get_current_span().add_event(f"user.e{k}")
        run.record_step(loss=1.0)
    (first,) = [
        s
        for s in _by_name(otel.spans(), "training step")
        if s.attributes[Attr.TRAINING_STEP.value] == 1
    ]
    assert sum(k.startswith("user.") for k in first.attributes) == 5
    assert len([e for e in first.events if e.name.startswith("user.")]) == 5
