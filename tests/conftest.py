"""Shared fixtures: in-memory OpenTelemetry providers, fresh per test."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


class Otel:
    """In-memory tracer and meter providers with helpers to read what was recorded."""

    def __init__(self) -> None:
        self.spans_exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans_exporter))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])

    @property
    def providers(self) -> dict:
        return {"tracer_provider": self.tracer_provider, "meter_provider": self.meter_provider}

    def spans(self):
        return list(self.spans_exporter.get_finished_spans())

    def points(self, otel_name: str) -> list:
        """Data points of one metric (by OpenTelemetry name) from a fresh collection."""
        data = self.reader.get_metrics_data()
        found = []
        for rm in data.resource_metrics if data else ():
            for sm in rm.scope_metrics:
                for m in sm.metrics:
                    if m.name == otel_name:
                        found.extend(m.data.data_points)
        return found

    def value(self, otel_name: str, **labels) -> float:
        """Sum (counters, gauges) or count (histograms) of the points matching ``labels``."""
        total = 0.0
        for p in self.points(otel_name):
            if all(p.attributes.get(k) == v for k, v in labels.items()):
                total += getattr(p, "value", None) if hasattr(p, "value") else p.count
        return total


@pytest.fixture
def otel() -> Otel:
    """Fresh in-memory providers; pass ``**otel.providers`` to instrumentors."""
    o = Otel()
    yield o
    o.tracer_provider.shutdown()
    o.meter_provider.shutdown()


@pytest.fixture
def instrument_with(otel):
    """``instrument_with(SomeInstrumentor())`` instruments on ``otel``'s providers and
    returns ``otel``; every instrumentor it was given is uninstrumented afterwards."""
    applied = []

    def apply(instrumentor) -> Otel:
        instrumentor.instrument(**otel.providers)
        applied.append(instrumentor)
        return otel

    yield apply
    for instrumentor in reversed(applied):
        instrumentor.uninstrument()
