"""Every semconv metric exports under its contract name through the real Prometheus exporter."""

from __future__ import annotations

import math

import pytest
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from qobserve import semconv
from qobserve.instrumentation._job import JobTelemetry
from qobserve.semconv import METRICS, Instrument, Metric


class _Budget:
    name, limit_usd = "x", 0.5

    def spent(self) -> float:
        return 0.5


@pytest.fixture(scope="module")
def exposition() -> dict[str, list]:
    """Record one point on every semconv instrument and scrape the exporter's registry.

    Returns:
        sample name → samples, as a Prometheus server would parse them.
    """
    registry = CollectorRegistry()
    reader = PrometheusMetricReader(scope_info_enabled=False, registry=registry)
    provider = MeterProvider(metric_readers=[reader])
    telemetry = JobTelemetry(meter_provider=provider)
    for m in METRICS.values():
        attrs = {a: "x" for a in m.attributes}
        inst = telemetry[m.prom_name]
        if m.kind is Instrument.COUNTER:
            inst.add(2, attrs)
        elif m.kind is Instrument.HISTOGRAM:
            inst.record(0.3, attrs)
        elif hasattr(inst, "set"):
            inst.set(0.5, attrs)
    budget = _Budget()  # the budget gauges are observed from live budgets at scrape time
    telemetry.watch_budget(budget)
    text = generate_latest(registry).decode()
    provider.shutdown()
    samples: dict[str, list] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples.setdefault(s.name, []).append(s)
    return samples


def _series(m: Metric) -> str:
    return f"{m.prom_name}_count" if m.kind is Instrument.HISTOGRAM else m.prom_name


@pytest.mark.parametrize("m", list(METRICS.values()), ids=lambda m: m.prom_name)
def test_otel_name_exports_as_contract_name(exposition, m):
    """The exporter turns the OTel name and unit into exactly the listed Prometheus name."""
    assert _series(m) in exposition, f"{m.otel_name} did not export as {m.prom_name}"
    (sample,) = exposition[_series(m)]
    assert set(sample.labels) == set(m.labels), "label names must match the contract"
    expected = {Instrument.COUNTER: 2, Instrument.HISTOGRAM: 1, Instrument.GAUGE: 0.5}[m.kind]
    assert sample.value == expected


@pytest.mark.parametrize(
    "m", [m for m in METRICS.values() if m.kind is Instrument.HISTOGRAM], ids=lambda m: m.prom_name
)
def test_histogram_bucket_advice_applied(exposition, m):
    """Histograms use the semconv bucket boundaries, not the OTel millisecond defaults."""
    buckets = exposition[f"{m.prom_name}_bucket"]
    bounds = sorted(float(s.labels["le"]) for s in buckets)
    assert bounds == sorted([*m.buckets, math.inf])
    # 0.3 s lands in the first bucket at or above it (0.5) and every larger one.
    first = min(b for b in m.buckets if b >= 0.3)
    counts = {float(s.labels["le"]): s.value for s in buckets}
    assert all(counts[b] == (1 if b >= first else 0) for b in counts)


def test_no_scope_labels_or_extra_series(exposition):
    """No otel_scope_* labels leak into series, which would break the contract's label sets."""
    for samples in exposition.values():
        for s in samples:
            assert not any(k.startswith("otel_scope") for k in s.labels)


def test_label_table_matches_attributes():
    """Each attribute's label is its dotted key with dots as underscores."""
    for attr, label in semconv.LABEL.items():
        assert label == attr.replace(".", "_")


@pytest.mark.parametrize("m", list(METRICS.values()), ids=lambda m: m.prom_name)
def test_every_metric_has_its_plain_string_constant(m):
    """Code names a metric through one constant, named after and equal to its Prometheus name."""
    assert getattr(semconv, m.prom_name.upper()) == m.prom_name
    assert m.prom_name.upper() in semconv.__all__


def test_attribute_and_label_constants_agree():
    """ATTR_X is the attribute key, X_LABEL its Prometheus label, Attr.X the same key."""
    attrs = {k.removeprefix("ATTR_"): v for k, v in vars(semconv).items() if k.startswith("ATTR_")}
    assert len(attrs) >= 17
    for name, key in attrs.items():
        assert getattr(semconv, f"{name}_LABEL") == semconv.LABEL[key]
        assert semconv.Attr[name] == key and type(key) is str


def test_every_metric_label_is_a_named_constant():
    """No metric declares a label that has no constant: queries and rules can spell each one way."""
    labels = {v for k, v in vars(semconv).items() if k.endswith("_LABEL") and isinstance(v, str)}
    for m in METRICS.values():
        assert set(m.labels) <= labels, m.prom_name
