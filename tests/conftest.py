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


SV1_ARN = "arn:aws:braket:::device/quantum-simulator/amazon/sv1"


@pytest.fixture
def braket_sv1():
    """An SV1 ``AwsDevice`` on the real Braket SDK over botocore Stubbers.

    Yields a namespace: ``device``, ``client`` (the braket client, for event hooks),
    ``braket`` and ``s3`` (their Stubbers, active; GetDevice already answered),
    ``bucket`` (the session's default results bucket).
    """
    import json
    from types import SimpleNamespace

    import boto3
    from botocore.config import Config
    from botocore.stub import Stubber
    from braket.aws import AwsDevice, AwsSession

    config = Config(retries={"total_max_attempts": 1})  # every response is scripted
    creds = {
        "region_name": "us-east-1",
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
    }
    braket_client = boto3.Session(**creds).client("braket", config=config)
    s3_client = boto3.Session(**creds).client("s3", config=config)

    class StubbedSession(boto3.Session):  # S3 resources are built from session.client too
        def client(self, service_name, *args, **kwargs):
            stubbed = {"braket": braket_client, "s3": s3_client}.get(service_name)
            return stubbed or super().client(service_name, *args, **kwargs)

    def schema(name: str) -> dict:
        return {"name": f"braket.device_schema.{name}", "version": "1"}

    always = {"executionDay": "Everyday", "windowStartHour": "00:00", "windowEndHour": "23:59:59"}
    program = "braket.ir.openqasm.program"
    capabilities = {
        "braketSchemaHeader": schema("simulators.gate_model_simulator_device_capabilities"),
        "service": {
            "braketSchemaHeader": schema("device_service_properties"),
            "executionWindows": [always],
            "shotsRange": [0, 100000],
        },
        "action": {
            program: {
                "actionType": program,
                "version": ["1"],
                "supportedOperations": ["h", "cnot", "x", "U", "gphase"],
                "supportedResultTypes": [],
            }
        },
        "paradigm": {
            "braketSchemaHeader": schema("simulators.gate_model_simulator_paradigm_properties"),
            "qubitCount": 34,
        },
        "deviceParameters": {},
    }
    braket, s3 = Stubber(braket_client), Stubber(s3_client)
    braket.add_response(
        "get_device",
        {
            "deviceArn": SV1_ARN,
            "deviceName": "SV1",
            "providerName": "Amazon Braket",
            "deviceType": "SIMULATOR",
            "deviceStatus": "ONLINE",
            "deviceCapabilities": json.dumps(capabilities),
        },
        {"deviceArn": SV1_ARN},
    )
    braket.activate()
    s3.activate()
    bucket = "amazon-braket-test"
    session = AwsSession(
        boto_session=StubbedSession(**creds), braket_client=braket_client, default_bucket=bucket
    )
    yield SimpleNamespace(
        device=AwsDevice(SV1_ARN, aws_session=session),
        client=braket_client,
        braket=braket,
        s3=s3,
        bucket=bucket,
    )
    braket.deactivate()
    s3.deactivate()
