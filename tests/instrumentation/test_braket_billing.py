"""Braket managed simulators are charged the billed duration their result reports (3 s minimum)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from botocore.response import StreamingBody
from braket.circuits import Circuit

from qobserve.cost import job_cost
from qobserve.instrumentation.braket import BraketInstrumentor
from qobserve.semconv import Attr

SV1 = "arn:aws:braket:::device/quantum-simulator/amazon/sv1"  # tests/conftest.py braket_sv1
TASK = "arn:aws:braket:us-east-1:123456789012:quantum-task/sv1-billing"
BUCKET, PREFIX, SHOTS = "amazon-braket-test", "results", 100
SV1_PER_SECOND = Decimal("0.075") / 60  # $0.075 per minute, billed per millisecond


def _task(status: str) -> dict:
    created = datetime.now(UTC)
    return {
        "quantumTaskArn": TASK,
        "status": status,
        "deviceArn": SV1,
        "deviceParameters": "{}",
        "shots": SHOTS,
        "outputS3Bucket": BUCKET,
        "outputS3Directory": f"{PREFIX}/sv1-billing",
        "createdAt": created,
        "endedAt": created + timedelta(seconds=20),
        "actionMetadata": {"actionType": "braket.ir.openqasm.program"},
    }


def _result(execution_ms: int) -> StreamingBody:
    body = json.dumps(
        {
            "braketSchemaHeader": {
                "name": "braket.task_result.gate_model_task_result",
                "version": "1",
            },
            "measurements": [[0, 0]] * (SHOTS // 2) + [[1, 1]] * (SHOTS // 2),
            "measuredQubits": [0, 1],
            "taskMetadata": {
                "braketSchemaHeader": {"name": "braket.task_result.task_metadata", "version": "1"},
                "id": TASK,
                "shots": SHOTS,
                "deviceId": SV1,
            },
            "additionalMetadata": {
                "action": {
                    "braketSchemaHeader": {"name": "braket.ir.openqasm.program", "version": "1"},
                    "source": "OPENQASM 3.0;",
                },
                "simulatorMetadata": {
                    "braketSchemaHeader": {
                        "name": "braket.task_result.simulator_metadata",
                        "version": "1",
                    },
                    "executionDuration": execution_ms,
                },
            },
        }
    ).encode()
    return StreamingBody(io.BytesIO(body), len(body))


@pytest.fixture
def sv1(braket_sv1, instrument_with):
    """The stubbed SV1 device with BraketInstrumentor on: (device, (braket, s3) stubs, otel)."""
    otel = instrument_with(BraketInstrumentor())
    return braket_sv1.device, (braket_sv1.braket, braket_sv1.s3), otel


def _run(device):
    return device.run(
        Circuit().h(0).cnot(0, 1),
        s3_destination_folder=(BUCKET, PREFIX),
        shots=SHOTS,
        poll_interval_seconds=0.001,
        poll_timeout_seconds=5,
        quiet=True,
    )


@pytest.mark.parametrize(
    ("execution_ms", "billed_seconds"),
    [
        (12_345, Decimal("12.345")),  # billed as run, to the millisecond
        (1_200, Decimal("3")),  # under the 3 s minimum per task
    ],
)
def test_completed_simulator_task_is_charged_its_billed_duration(sv1, execution_ms, billed_seconds):
    """SV1 cost = max(executionDuration, 3 s) × $0.075/min, not the 3 s estimate."""
    device, (braket, s3), otel = sv1
    braket.add_response("create_quantum_task", {"quantumTaskArn": TASK})
    for _ in range(3):
        braket.add_response("get_quantum_task", _task("COMPLETED"))
    s3.add_response(
        "get_object",
        {"Body": _result(execution_ms)},
        {"Bucket": BUCKET, "Key": f"{PREFIX}/sv1-billing/results.json"},
    )
    assert sum(_run(device).result().measurement_counts.values()) == SHOTS
    expected = float(billed_seconds * SV1_PER_SECOND)  # 12.345 s → $0.01543125; 3 s → $0.00375
    (span,) = otel.spans()
    assert span.attributes[Attr.JOB_STATUS] == "completed"
    assert span.attributes[Attr.JOB_COST_USD] == pytest.approx(expected)
    assert otel.value("quantum.job.cost_usd", **{Attr.BACKEND: "SV1"}) == pytest.approx(expected)


def test_failed_simulator_task_is_free(sv1):
    """A FAILED SV1 task has no result and no billed duration: $0, as the Braket cost tracker charges it."""
    device, (braket, _), otel = sv1
    braket.add_response("create_quantum_task", {"quantumTaskArn": TASK})
    braket.add_response("get_quantum_task", {**_task("FAILED"), "failureReason": "out of memory"})
    assert _run(device).result() is None
    (span,) = otel.spans()
    assert span.attributes[Attr.JOB_STATUS] == "failed"
    assert span.attributes.get(Attr.JOB_COST_USD, 0.0) == 0.0
    assert job_cost("braket", "SV1", shots=SHOTS, status="failed") == 0
    assert job_cost("braket", "TN1", shots=SHOTS, status="cancelled") == 0
