"""AWS Braket tasks through the real AwsDevice / AwsQuantumTask / AwsSession code,
with botocore Stubber answering the braket and s3 clients."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import boto3
import numpy as np
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.response import StreamingBody
from botocore.stub import Stubber
from braket.aws import AwsDevice, AwsSession
from braket.circuits import Circuit

from qobserve.backends import parse_backend
from qobserve.calibration import read_calibration, read_status
from qobserve.errors import ErrorKind, classify
from qobserve.instrumentation.braket import BraketInstrumentor
from qobserve.semconv import Attr

REGION = "eu-north-1"
DEVICE_ARN = f"arn:aws:braket:{REGION}::device/qpu/iqm/Garnet"
TASK_ARN = f"arn:aws:braket:{REGION}:123456789012:quantum-task/5f3c1c9e-task"
BUCKET, PREFIX = "amazon-braket-test", "results"
SHOTS = 100
CALIBRATED_AT = "2026-11-20T08:30:00+00:00"
CREATED = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)


def _capabilities(n_qubits: int = 4) -> str:
    one_qubit = {
        str(q): {
            "T1": {"value": 40.0 + q, "standardError": None, "unit": "us"},
            "T2": {"value": 20.0 + q, "standardError": None, "unit": "us"},
            "oneQubitFidelity": [
                {"fidelityType": {"name": "RANDOMIZED_BENCHMARKING"}, "fidelity": 0.999},
                {"fidelityType": {"name": "READOUT"}, "fidelity": 0.97 - q / 100},
            ],
        }
        for q in range(n_qubits)
    }
    return json.dumps(
        {
            "braketSchemaHeader": {
                "name": "braket.device_schema.iqm.iqm_device_capabilities",
                "version": "1",
            },
            "service": {
                "braketSchemaHeader": {
                    "name": "braket.device_schema.device_service_properties",
                    "version": "1",
                },
                "executionWindows": [
                    {
                        "executionDay": "Everyday",
                        "windowStartHour": "00:00",
                        "windowEndHour": "23:59:59",
                    }
                ],
                "shotsRange": [1, 20000],
                "updatedAt": CALIBRATED_AT,
            },
            "action": {
                "braket.ir.openqasm.program": {
                    "actionType": "braket.ir.openqasm.program",
                    "version": ["1"],
                    "supportedOperations": ["h", "cnot", "x", "cz", "prx"],
                    "supportedResultTypes": [],
                }
            },
            "paradigm": {
                "braketSchemaHeader": {
                    "name": "braket.device_schema.gate_model_qpu_paradigm_properties",
                    "version": "1",
                },
                "qubitCount": n_qubits,
                "nativeGateSet": ["cz", "prx"],
                "connectivity": {"fullyConnected": True, "connectivityGraph": {}},
            },
            "deviceParameters": {},
            "standardized": {
                "braketSchemaHeader": {
                    "name": "braket.device_schema.standardized_gate_model_qpu_device_properties",
                    "version": "1",
                },
                "oneQubitProperties": one_qubit,
                "twoQubitProperties": {},
            },
        }
    )


def _device_response(status: str = "ONLINE", queue: tuple[str, str] = ("7", ">4000")) -> dict:
    return {
        "deviceArn": DEVICE_ARN,
        "deviceName": "Garnet",
        "providerName": "IQM",
        "deviceType": "QPU",
        "deviceStatus": status,
        "deviceCapabilities": _capabilities(),
        "deviceQueueInfo": [
            {"queue": "QUANTUM_TASKS_QUEUE", "queueSize": queue[0], "queuePriority": "Normal"},
            {"queue": "QUANTUM_TASKS_QUEUE", "queueSize": queue[1], "queuePriority": "Priority"},
            {"queue": "JOBS_QUEUE", "queueSize": "0"},
        ],
    }


def _task_response(
    status: str, *, ended: bool = False, reason: str | None = None, created: datetime = CREATED
) -> dict:
    response = {
        "quantumTaskArn": TASK_ARN,
        "status": status,
        "deviceArn": DEVICE_ARN,
        "deviceParameters": "{}",
        "shots": SHOTS,
        "outputS3Bucket": BUCKET,
        "outputS3Directory": f"{PREFIX}/5f3c1c9e-task",
        "createdAt": created,
        "actionMetadata": {"actionType": "braket.ir.openqasm.program"},
    }
    if ended:
        response["endedAt"] = created + timedelta(seconds=42)
    if reason:
        response["failureReason"] = reason
    return response


def _result_body(seed: int = 7) -> StreamingBody:
    # A Bell state measured SHOTS times: 00 or 11 with probability 1/2 each.
    bits = np.random.default_rng(seed).integers(0, 2, SHOTS)
    result = json.dumps(
        {
            "braketSchemaHeader": {
                "name": "braket.task_result.gate_model_task_result",
                "version": "1",
            },
            "measurements": [[int(b), int(b)] for b in bits],
            "measuredQubits": [0, 1],
            "taskMetadata": {
                "braketSchemaHeader": {"name": "braket.task_result.task_metadata", "version": "1"},
                "id": TASK_ARN,
                "shots": SHOTS,
                "deviceId": DEVICE_ARN,
            },
            "additionalMetadata": {
                "action": {
                    "braketSchemaHeader": {"name": "braket.ir.openqasm.program", "version": "1"},
                    "source": "OPENQASM 3.0;",
                }
            },
        }
    ).encode()
    return StreamingBody(io.BytesIO(result), len(result))


class _Session(boto3.Session):
    """A boto3 session that hands out the stubbed clients (resources build on them too)."""

    def __init__(self, clients: dict) -> None:
        super().__init__(
            region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        self._stubbed = clients

    def client(self, service_name, *args, **kwargs):
        return self._stubbed.get(service_name) or super().client(service_name, *args, **kwargs)


@pytest.fixture
def aws():
    """Stubbed braket and s3 clients, an AwsSession on them, and a Garnet AwsDevice."""
    config = Config(retries={"total_max_attempts": 1})  # the test scripts every response
    boto = boto3.Session(
        region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    braket, s3 = boto.client("braket", config=config), boto.client("s3", config=config)
    stubs = {"braket": Stubber(braket), "s3": Stubber(s3)}
    session = AwsSession(boto_session=_Session({"braket": braket, "s3": s3}), braket_client=braket)
    stubs["braket"].add_response("get_device", _device_response(), {"deviceArn": DEVICE_ARN})
    for stub in stubs.values():
        stub.activate()
    device = AwsDevice(DEVICE_ARN, aws_session=session)
    yield device, stubs
    for stub in stubs.values():
        stub.deactivate()


@pytest.fixture
def instrumented(instrument_with):
    """BraketInstrumentor on in-memory providers (the ``otel`` fixture), removed afterwards."""
    return instrument_with(BraketInstrumentor())


def _script(stubs, *task_responses) -> None:
    """Queue a successful CreateQuantumTask, then one GetQuantumTask answer per response."""
    stubs["braket"].add_response("create_quantum_task", {"quantumTaskArn": TASK_ARN})
    for response in task_responses:
        stubs["braket"].add_response("get_quantum_task", response)


def _run(device):
    return device.run(
        Circuit().h(0).cnot(0, 1),
        s3_destination_folder=(BUCKET, PREFIX),
        shots=SHOTS,
        poll_interval_seconds=0.001,
        poll_timeout_seconds=5,
        quiet=True,
    )


def _expected_cost(status: str) -> float:
    from qobserve.cost import job_cost

    return float(job_cost("braket", "Garnet", shots=SHOTS, tasks=1, status=status))


def test_completed_task_records_span_metrics_and_cost(aws, instrumented):
    """A task seen QUEUED, RUNNING, COMPLETED yields one completed span with queue/execution time and cost."""
    device, stubs = aws
    braket = stubs["braket"]
    created = datetime.now(UTC)  # AWS stamps the task as it is created
    done = _task_response("COMPLETED", ended=True, created=created)
    _script(
        stubs,
        _task_response("QUEUED", created=created),
        _task_response("RUNNING", created=created),
        done,
    )
    stubs["s3"].add_response(
        "get_object",
        {"Body": _result_body()},
        {"Bucket": BUCKET, "Key": f"{PREFIX}/5f3c1c9e-task/results.json"},
    )
    braket.add_response("get_quantum_task", done)

    counts = _run(device).result().measurement_counts
    assert set(counts) <= {"00", "11"} and sum(counts.values()) == SHOTS
    braket.assert_no_pending_responses()

    otel = instrumented
    (span,) = otel.spans()
    assert span.name == "braket Garnet run"
    assert span.attributes[Attr.JOB_ID] == TASK_ARN
    assert span.attributes[Attr.JOB_STATUS] == "completed"
    assert [e.name for e in span.events] == ["queued", "running", "completed"]
    # The span ends at endedAt, 42 s after createdAt. RUNNING was first seen by
    # the second poll, within a second of submission, so queue ∈ [0, 1) s and
    # execution = endedAt − that moment ∈ (41, 42] s.
    ended = created.timestamp() + 42
    assert span.end_time == int(ended * 1e9)
    labels = {Attr.PROVIDER: "braket", Attr.BACKEND: "Garnet"}
    assert otel.value("quantum.jobs", **labels, **{Attr.JOB_STATUS: "completed"}) == 1
    assert otel.value("quantum.job.shots", **labels) == SHOTS
    (queue,) = otel.points("quantum.job.queue.duration")
    (execution,) = otel.points("quantum.job.execution.duration")
    assert 0 <= queue.sum < 1
    assert 41 < execution.sum <= 42
    cost = _expected_cost("completed")
    assert cost > 0  # a QPU task is billed per task and per shot
    assert span.attributes[Attr.JOB_COST_USD] == pytest.approx(cost)
    assert otel.value("quantum.job.cost_usd", **labels) == pytest.approx(cost)


def test_failed_task_result_none_records_failure(aws, instrumented):
    """result() returns None for a FAILED task; the span is failed with the reason, priced as failed."""
    device, stubs = aws
    _script(
        stubs,
        _task_response("QUEUED"),
        _task_response("FAILED", ended=True, reason="Device calibration failed"),
    )

    assert _run(device).result() is None
    otel = instrumented
    (span,) = otel.spans()
    assert span.attributes[Attr.JOB_STATUS] == "failed"
    assert span.attributes[Attr.ERROR_TYPE] == "QuantumTaskFailed"
    assert span.attributes[Attr.JOB_FAILURE_REASON] == "Device calibration failed"
    assert not span.status.is_ok
    assert (
        otel.value(
            "quantum.jobs", **{Attr.JOB_STATUS: "failed", Attr.ERROR_TYPE: "QuantumTaskFailed"}
        )
        == 1
    )
    # RUNNING was never observed, so the queue/running split is unknown.
    assert otel.points("quantum.job.queue.duration") == []
    assert span.attributes[Attr.JOB_COST_USD] == pytest.approx(_expected_cost("failed"))


def test_cancelled_task(aws, instrumented):
    """cancel() then state() CANCELLED finishes the span as cancelled, without an error type."""
    device, stubs = aws
    braket = stubs["braket"]
    braket.add_response("create_quantum_task", {"quantumTaskArn": TASK_ARN})
    braket.add_response(
        "cancel_quantum_task", {"quantumTaskArn": TASK_ARN, "cancellationStatus": "CANCELLING"}
    )
    braket.add_response("get_quantum_task", _task_response("CANCELLED", ended=True))

    task = _run(device)
    task.cancel()
    assert task.state() == "CANCELLED"
    (span,) = instrumented.spans()
    assert span.attributes[Attr.JOB_STATUS] == "cancelled"
    assert Attr.ERROR_TYPE.value not in span.attributes
    assert (
        instrumented.value("quantum.jobs", **{Attr.JOB_STATUS: "cancelled", Attr.ERROR_TYPE: ""})
        == 1
    )


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("ThrottlingException", ErrorKind.TRANSIENT),
        ("DeviceOfflineException", ErrorKind.REROUTE),
        ("ValidationException", ErrorKind.PERMANENT),
    ],
)
def test_failed_create_is_a_failed_job(aws, instrumented, code, kind):
    """A CreateQuantumTask error raises to the caller and counts one failed job labelled with its code."""
    device, stubs = aws
    stubs["braket"].add_client_error(
        "create_quantum_task", service_error_code=code, service_message="nope", http_status_code=400
    )
    with pytest.raises(ClientError) as raised:
        _run(device)
    assert classify(raised.value).kind is kind
    (span,) = instrumented.spans()
    assert span.attributes[Attr.ERROR_TYPE] == code
    assert (
        instrumented.value("quantum.jobs", **{Attr.JOB_STATUS: "failed", Attr.ERROR_TYPE: code})
        == 1
    )


def test_poll_timeout_keeps_span_open(aws, instrumented):
    """result() returning None on a poll timeout leaves the job open (it still runs at AWS)."""
    device, stubs = aws
    _script(stubs, *[_task_response("QUEUED")] * 50)
    task = device.run(
        Circuit().h(0).cnot(0, 1),
        s3_destination_folder=(BUCKET, PREFIX),
        shots=SHOTS,
        poll_interval_seconds=0.001,
        poll_timeout_seconds=0.01,
        quiet=True,
    )
    assert task.result() is None
    assert instrumented.spans() == []
    assert instrumented.points("quantum.jobs") == []
    assert len(BraketInstrumentor._aws_tasks) == 1


def test_device_calibration_and_status(aws):
    """calibration() reads service.updatedAt and standardized T1/T2/readout; status() reads status and queue."""
    device, stubs = aws
    spec = parse_backend(f"braket:{DEVICE_ARN}")
    cal = read_calibration(spec, device)
    assert cal.timestamp == datetime.fromisoformat(CALIBRATED_AT).timestamp()
    assert cal.qubits[2].t1_seconds == pytest.approx(42e-6)
    assert cal.qubits[2].t2_seconds == pytest.approx(22e-6)
    assert cal.qubits[2].readout_error == pytest.approx(0.05)
    stubs["braket"].add_response("get_device", _device_response("OFFLINE", ("7", ">4000")))
    stubs["braket"].add_response("get_device", _device_response("OFFLINE", ("7", ">4000")))
    status = read_status(spec, device)
    assert status.operational is False
    assert status.pending_jobs == 7 + 4000  # ">4000" counts as its lower bound


def test_botocore_spans_nest_under_the_job_span(aws, instrumented):
    """With opentelemetry-instrumentation-botocore on, each API call keeps its own span,
    nested under the one job span; qobserve adds no span per poll."""
    botocore_instrumentation = pytest.importorskip("opentelemetry.instrumentation.botocore")
    device, stubs = aws
    _script(
        stubs,
        _task_response("RUNNING"),
        _task_response("FAILED", ended=True, reason="Device error"),
    )
    boto_inst = botocore_instrumentation.BotocoreInstrumentor()
    boto_inst.instrument(tracer_provider=instrumented.tracer_provider)
    try:
        assert _run(device).result() is None
    finally:
        boto_inst.uninstrument()
    spans = instrumented.spans()
    (job,) = [s for s in spans if s.name.startswith("braket ")]
    calls = [s for s in spans if s is not job]
    assert sorted(s.name for s in calls) == [
        "Braket.CreateQuantumTask",
        "Braket.GetQuantumTask",
        "Braket.GetQuantumTask",
    ]
    assert all(s.parent.span_id == job.context.span_id for s in calls)
