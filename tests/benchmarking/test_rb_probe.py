"""Probe telemetry: gauges and a span with the fit on success; a state, not a number, on a bad fit."""

from __future__ import annotations

import pytest
from opentelemetry.trace import StatusCode

from qobserve.backends import parse_backend
from qobserve.benchmarking import FitStatus, run_rb
from qobserve.benchmarking.probe import _calibration_timestamp
from qobserve.semconv import METRICS, Attr


def _gauge(otel, prom_name, **labels):
    return [
        p
        for p in otel.points(METRICS[prom_name].otel_name)
        if all(p.attributes.get(k) == v for k, v in labels.items())
    ]


def test_good_fit_sets_gauges_and_span(otel):
    """EPC and fidelity gauges carry provider/backend/qubits (+method=rb); the span has the fit."""
    result = run_rb(
        "stim",
        (0, 1),
        lengths=(1, 5, 10, 20),
        num_samples=8,
        shots=256,
        seed=1,
        noise="depolarizing:0.02",
        **otel.providers,
    )
    labels = {"quantum.provider": "stim", "quantum.backend": "stim", "quantum.qubits": "0_1"}
    [epc] = _gauge(otel, "quantum_rb_error_per_clifford", **labels)
    [fid] = _gauge(otel, "quantum_fidelity_ratio", method="rb", **labels)
    assert epc.value == pytest.approx(result.fit.epc)
    assert fid.value == pytest.approx(1 - result.fit.epc)
    [span] = otel.spans()
    assert span.name == "stim stim rb"
    attrs = span.attributes
    assert attrs[Attr.RB_FIT_STATUS] == "ok"
    assert attrs[Attr.RB_ALPHA] == pytest.approx(result.fit.alpha)
    assert attrs[Attr.RB_EPC_CI_LOW] <= attrs[Attr.RB_EPC] <= attrs[Attr.RB_EPC_CI_HIGH]
    assert attrs[Attr.QUBITS] == "0_1" and attrs[Attr.METHOD] == "rb"


def test_bad_fit_sets_no_gauge_and_marks_the_span(otel):
    """Too few lengths: status on the span, span in error, no EPC or fidelity gauge."""
    result = run_rb("stim", (0,), lengths=(1, 5), num_samples=2, shots=16, seed=1, **otel.providers)
    assert result.fit.status is FitStatus.TOO_FEW_LENGTHS
    assert result.to_json()["epc"] is None and result.to_json()["status"] == "too_few_lengths"
    assert not _gauge(otel, "quantum_rb_error_per_clifford")
    assert not _gauge(otel, "quantum_fidelity_ratio")
    [span] = otel.spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes[Attr.RB_FIT_STATUS] == "too_few_lengths"


def test_span_carries_the_calibration_timestamp_of_the_backend(otel):
    """On a fake backend the probe span records the calibration time its SDK device module reports."""
    spec = parse_backend("qiskit:fake_manila")
    device = spec.load()
    expected = _calibration_timestamp(spec, device)
    assert expected is not None  # the Qiskit device module reads fake backends' properties
    run_rb(
        spec,
        (0,),
        lengths=(1, 4, 8),
        num_samples=2,
        shots=64,
        seed=2,
        device=device,
        **otel.providers,
    )
    rb_spans = [s for s in otel.spans() if s.name.endswith(" rb")]
    assert rb_spans[0].attributes.get(Attr.CALIBRATION_TIMESTAMP) == expected
    assert rb_spans[0].attributes[Attr.BACKEND] == "fake_manila"


def test_missing_device_module_means_no_timestamp(monkeypatch):
    """When an SDK's device module is not importable the probe runs without a timestamp."""
    import qobserve.calibration as calibration

    def missing(spec):
        raise ModuleNotFoundError("No module named 'qobserve.instrumentation.qiskit.device'")

    monkeypatch.setattr(calibration, "_device_module", missing)
    assert _calibration_timestamp(parse_backend("qiskit:aer"), object()) is None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"backend": "qiskit:aer", "readout_error": 0.1}, "readout_error"),
        ({"backend": "stim", "shots": 0}, "shots"),
        ({"backend": "stim", "noise": "thermal:1"}, "noise"),
        ({"backend": "qiskit:nope"}, "backend"),
        ({"backend": "cirq_google:willow_pink", "noise": "depolarizing:0.01"}, "noise"),
    ],
)
def test_bad_arguments_name_the_field(kwargs, field):
    """Bad probe arguments raise a ValueError that names the field."""
    with pytest.raises(ValueError, match=f"^{field}"):
        run_rb(**kwargs)


def test_injected_noise_is_applied_once_even_with_a_caller_device():
    """A device from spec.load() (per-gate noise) is replaced, so EPC stays λ/2 (±35%)."""
    spec = parse_backend("qiskit:aer", noise="depolarizing:0.04")
    result = run_rb(
        spec,
        (0,),
        lengths=(1, 5, 10, 20, 40),
        num_samples=6,
        shots=400,
        seed=5,
        device=spec.load(seed=5),
    )
    assert result.fit.epc == pytest.approx(0.02, rel=0.35)


def test_interleaving_sets_the_gate_error_gauge_and_span(otel):
    """--interleave cz: quantum_backend_gate_error_ratio{gate="cz", source="rb"} and the span's gate error."""
    result = run_rb(
        "stim",
        (0, 1),
        lengths=(1, 5, 10, 20),
        num_samples=8,
        shots=256,
        seed=1,
        noise="depolarizing:0.02",
        interleave="cz",
        **otel.providers,
    )
    assert result.interleaved.ok
    [gauge] = _gauge(
        otel,
        "quantum_backend_gate_error_ratio",
        gate="cz",
        source="rb",
        **{"quantum.qubits": "0_1"},
    )
    assert gauge.value == pytest.approx(result.interleaved.gate_error)
    [span] = otel.spans()
    assert span.attributes["quantum.rb.gate"] == "cz"
    assert span.attributes["quantum.rb.gate_error"] == pytest.approx(result.interleaved.gate_error)
