"""QiskitInstrumentor on IBM Quantum jobs: the real service, backend and RuntimeJobV2 classes
over a stubbed HTTP transport (``responses`` replaces requests' adapter, the lowest layer the
SDK's RetrySession and the IAM authenticator share)."""

from __future__ import annotations

import json
import logging
import re
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

import pytest

pytest.importorskip("qiskit_ibm_runtime")
responses = pytest.importorskip("responses")
jwt = pytest.importorskip("jwt")

import qiskit_ibm_runtime  # noqa: E402
from qiskit import QuantumCircuit, transpile  # noqa: E402
from qiskit.primitives import BackendSamplerV2  # noqa: E402
from qiskit_ibm_runtime import Batch, QiskitRuntimeService, SamplerV2, Session  # noqa: E402
from qiskit_ibm_runtime.exceptions import RuntimeInvalidStateError, RuntimeJobFailureError  # noqa: E402
from qiskit_ibm_runtime.executor_sampler import Sampler as ExecutorSampler  # noqa: E402
from qiskit_ibm_runtime.fake_provider import FakeManilaV2  # noqa: E402
from qiskit_ibm_runtime.json import RuntimeEncoder  # noqa: E402

from qobserve.errors import classify  # noqa: E402
from qobserve.semconv import METRICS, Attr  # noqa: E402

TOKEN = "qobserve-test-SECRET-api-key-7f3a"
CRN = "crn:v1:bluemix:public:quantum-computing:us-east:a/0123abcd:instance-1::"
API = "https://quantum.cloud.ibm.com/api/v1"
BACKEND = "ibm_manila"
JOB_ID = "d1cloudjob0001"
FAKE_DIR = Path(qiskit_ibm_runtime.__file__).parent / "fake_provider" / "backends" / "manila"

JOBS = METRICS["quantum_jobs_total"].otel_name
QUEUE = METRICS["quantum_job_queue_duration_seconds"].otel_name
EXECUTION = METRICS["quantum_job_execution_duration_seconds"].otel_name
COST = METRICS["quantum_job_cost_usd_total"].otel_name
CALIBRATION = METRICS["quantum_backend_calibration_timestamp_seconds"].otel_name


def _json(status: int, body) -> tuple:
    return status, {"Content-Type": "application/json"}, json.dumps(body, cls=RuntimeEncoder)


class IBMQuantumStub:
    """The IBM Quantum REST endpoints one job touches, with a scripted job lifecycle."""

    def __init__(self, mock: responses.RequestsMock) -> None:
        self.states: list[dict] = []
        self.submit_response = (200, {"id": JOB_ID, "backend": BACKEND})
        self.cancelled = False
        self.requests: list[str] = []
        self.result = None
        conf = json.loads((FAKE_DIR / "conf_manila.json").read_text())
        conf["backend_name"] = BACKEND
        props = json.loads((FAKE_DIR / "props_manila.json").read_text())
        props["backend_name"] = BACKEND
        # The service sends UTC; the SDK's utc_to_local() discards any other offset.
        calibrated = datetime.fromisoformat(props["last_update_date"]).astimezone(UTC)
        props["last_update_date"] = calibrated.isoformat().replace("+00:00", "Z")
        self.calibrated = calibrated.timestamp()
        self.props = props
        token = jwt.encode(
            {"exp": int(time.time()) + 3600, "iat": int(time.time())}, "k", algorithm="HS256"
        )
        routes = {
            ("POST", r"https://iam\.cloud\.ibm\.com/identity/token"): lambda r: _json(
                200,
                {
                    "access_token": token,
                    "refresh_token": "r",
                    "token_type": "Bearer",
                    "expires_in": 3600,
                    "expiration": int(time.time()) + 3600,
                },
            ),
            ("GET", rf"{API}/backends(\?.*)?$"): lambda r: _json(
                200, {"devices": [{"name": BACKEND}]}
            ),
            ("GET", rf"{API}/backends/{BACKEND}/configuration.*"): lambda r: _json(200, conf),
            ("GET", rf"{API}/backends/{BACKEND}/properties.*"): lambda r: _json(200, props),
            ("GET", rf"{API}/backends/{BACKEND}/status.*"): lambda r: _json(
                200, {"state": True, "status": "active", "length_queue": 3}
            ),
            ("GET", rf"{API}/instances/usage.*"): lambda r: _json(
                200, {"usage_consumed_seconds": 0}
            ),
            ("POST", rf"{API}/jobs$"): lambda r: _json(*self.submit_response),
            ("GET", rf"{API}/jobs/{JOB_ID}(\?.*)?$"): self._job,
            ("GET", rf"{API}/jobs/{JOB_ID}/results.*"): lambda r: (
                200,
                {},
                json.dumps(self.result, cls=RuntimeEncoder),
            ),
            ("GET", rf"{API}/jobs/{JOB_ID}/metrics.*"): lambda r: _json(
                200,
                {
                    "timestamps": {
                        "created": "2026-01-05T10:00:00Z",
                        "running": "2026-01-05T10:00:30Z",
                        "finished": "2026-01-05T10:00:34Z",
                    },
                    "usage": {"quantum_seconds": 2, "seconds": 2},
                },
            ),
            ("POST", rf"{API}/jobs/{JOB_ID}/cancel.*"): self._cancel,
            ("POST", rf"{API}/sessions$"): lambda r: _json(
                200, {"id": "session-1", "mode": "dedicated"}
            ),
            ("GET", rf"{API}/sessions/session-1$"): lambda r: _json(
                200, {"id": "session-1", "mode": "dedicated", "state": "open"}
            ),
            ("PATCH", rf"{API}/sessions/session-1.*"): lambda r: (204, {}, ""),
            ("DELETE", rf"{API}/sessions/session-1.*"): lambda r: (204, {}, ""),
        }
        for (method, pattern), handler in routes.items():
            mock.add_callback(method, re.compile(pattern), callback=self._logged(handler))

    def _logged(self, handler):
        def callback(request):
            self.requests.append(f"{request.method} {request.url}")
            return handler(request)

        return callback

    def _job(self, request):
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        return _json(
            200,
            {
                "id": JOB_ID,
                "backend": BACKEND,
                "state": state,
                "status": state["status"],
                "created": "2026-01-05T10:00:00Z",
            },
        )

    def _cancel(self, request):
        self.cancelled = True
        return 204, {}, ""


@pytest.fixture
def ibm(monkeypatch):
    """A stubbed IBM Quantum Platform; QISKIT_FUNCTIONS_EXPERIMENTAL skips the IBM Cloud
    instance search (Global Search/Catalog), which the SDK allows for exactly this."""
    monkeypatch.setenv("QISKIT_FUNCTIONS_EXPERIMENTAL", "1")
    with (
        responses.RequestsMock(assert_all_requests_are_fired=False) as mock,
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")
        yield IBMQuantumStub(mock)


def _bell() -> QuantumCircuit:
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure_all()
    return qc


def _submit(ibm: IBMQuantumStub, mode: str = "job"):
    """Submit a 64-shot Bell sampler job through the real service in the given mode."""
    service = QiskitRuntimeService(channel="ibm_quantum_platform", token=TOKEN, instance=CRN)
    backend = service.backend(BACKEND)
    isa = transpile(_bell(), backend)
    ibm.result = BackendSamplerV2(backend=FakeManilaV2()).run([isa], shots=64).result()
    if mode in ("session", "batch"):
        with (Session if mode == "session" else Batch)(backend=backend) as s:
            return SamplerV2(mode=s).run([isa], shots=64)
    if mode == "executor":
        return ExecutorSampler(mode=backend).run([isa], shots=64)
    return SamplerV2(mode=backend).run([isa], shots=64)


def _state(status: str, code: int | None = None) -> dict:
    state = {"status": status}
    if code is not None:
        state.update(
            reason="Ran too long" if code == 1305 else "Validation failed", reason_code=code
        )
    return state


@pytest.mark.parametrize("mode", ["job", "session", "batch", "executor"])
def test_cloud_job_queued_running_done(qiskit_otel, ibm, mode):
    """Polling a RuntimeJobV2 through queued → running → done gives events, split and cost."""
    ibm.states = [_state("Queued"), _state("Running"), _state("Completed")]
    job = _submit(ibm, mode)
    assert job.status() == "QUEUED"
    assert job.status() == "RUNNING"
    if mode == "executor":  # its result is an executor payload; the state is what matters here
        job.wait_for_final_state()
    else:
        assert job.result()[0].data.meas.num_shots == 64
    (span,) = qiskit_otel.spans()
    assert span.name == f"qiskit {BACKEND} sampler"
    assert [e.name for e in span.events] == ["queued", "running", "completed"]
    assert span.attributes[Attr.JOB_ID] == JOB_ID
    assert span.attributes[Attr.JOB_SHOTS] == 64
    labels = {Attr.PROVIDER.value: "qiskit", Attr.BACKEND.value: BACKEND}
    assert qiskit_otel.value(JOBS, **labels, **{Attr.JOB_STATUS.value: "completed"}) == 1
    # metrics(): created 10:00:00, running 10:00:30, finished 10:00:34
    (queue,) = qiskit_otel.points(QUEUE)
    (execution,) = qiskit_otel.points(EXECUTION)
    assert queue.sum == pytest.approx(30.0) and execution.sum == pytest.approx(4.0)
    cost = span.attributes.get(Attr.JOB_COST_USD)
    assert cost is not None and cost >= 0  # priced from 2 billed quantum seconds
    assert qiskit_otel.value(CALIBRATION, **labels) == ibm.calibrated


def test_cloud_job_error_with_reason_code(qiskit_otel, ibm):
    """A job failing with reason code 1002 is a failed span labelled with the code, classified
    permanent; result() raises the SDK's RuntimeJobFailureError unchanged."""
    ibm.states = [_state("Running"), _state("Failed", 1002)]
    ibm.result = "Traceback: validation failed"
    job = _submit(ibm)
    ibm.result = "Traceback: validation failed"
    with pytest.raises(RuntimeJobFailureError) as raised:
        job.result()
    (span,) = qiskit_otel.spans()
    assert span.attributes[Attr.ERROR_TYPE] == "1002"
    assert span.status.status_code.name == "ERROR"
    assert (
        qiskit_otel.value(JOBS, **{Attr.JOB_STATUS.value: "failed", Attr.ERROR_TYPE.value: "1002"})
        == 1
    )
    assert classify(raised.value).kind == "permanent"


def test_cloud_job_max_time_is_failed_1305(qiskit_otel, ibm):
    """A job the service cancelled for running too long (1305) counts as failed, not cancelled."""
    ibm.states = [_state("Cancelled", 1305)]
    job = _submit(ibm)
    ibm.result = "Traceback: too long"
    assert job.status() == "ERROR"
    (span,) = qiskit_otel.spans()
    assert span.attributes[Attr.JOB_STATUS] == "failed"
    assert span.attributes[Attr.ERROR_TYPE] == "1305"


def test_cloud_job_cancelled(qiskit_otel, ibm):
    """cancel() on a queued job ends its span as cancelled at once."""
    ibm.states = [_state("Queued")]
    job = _submit(ibm)
    job.cancel()
    assert ibm.cancelled
    (span,) = qiskit_otel.spans()
    assert span.attributes[Attr.JOB_STATUS] == "cancelled"
    assert [e.name for e in span.events][-1] == "cancelled"
    with pytest.raises(RuntimeInvalidStateError):
        job.result()
    assert qiskit_otel.value(JOBS, **{Attr.JOB_STATUS.value: "cancelled"}) == 1


def test_throttled_submission_is_transient_failure(qiskit_otel, ibm):
    """HTTP 429 on job submission is recorded as a failed job with error_type 429 (transient)."""
    ibm.submit_response = (429, {"errors": [{"message": "Too many requests", "code": 1202}]})
    ibm.states = [_state("Queued")]
    with pytest.raises(Exception) as raised:
        _submit(ibm)
    info = classify(raised.value)
    assert (info.kind, info.error_type) == ("transient", "429")
    (span,) = qiskit_otel.spans()
    assert span.attributes[Attr.ERROR_TYPE] == "429"


def test_api_token_never_exported(qiskit_otel, ibm, caplog):
    """The API token given to the SDK appears in no span, metric point or log record."""
    caplog.set_level(logging.DEBUG)
    ibm.states = [_state("Queued"), _state("Running"), _state("Completed")]
    _submit(ibm).result()
    ibm.states = [_state("Failed", 1002)]
    ibm.submit_response = (200, {"id": JOB_ID, "backend": BACKEND})
    with pytest.raises(RuntimeJobFailureError):
        _submit(ibm).result()
    spans = qiskit_otel.spans()
    assert len(spans) == 2
    exported = "".join(s.to_json() for s in spans)
    exported += qiskit_otel.reader.get_metrics_data().to_json()
    exported += "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert TOKEN not in exported
    assert any("qobserve" in r.name for r in caplog.records)  # the job log lines were captured
