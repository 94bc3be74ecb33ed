"""A client id runs once; a submission whose outcome is unknown is looked up before any resubmission."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError
from botocore.response import StreamingBody

from qobserve.chaos import ChaosBackend, Faults, Ledger
from qobserve.executor import (
    ExecutionResult,
    IdempotencyPolicy,
    JobFailedError,
    ResilientExecutor,
    RetryPolicy,
    _cloud,
)
from qobserve.executor._runner import _Done
from qobserve.semconv import Attr, Provider

_FAST = RetryPolicy(max_attempts=3, initial="1ms", maximum="2ms", attempt_timeout=1)


def test_same_client_id_in_run_many_runs_once(bell):
    """Two entries with one client id in run_many: one execution, the same result twice."""
    ledger = Ledger()
    ex = ResilientExecutor([ChaosBackend("qiskit:aer", Faults(latency=0.05), ledger=ledger)])
    a, b, c = ex.run_many([bell, bell, bell], shots=10, client_ids=["job-1", "job-1", "job-2"])
    ledger.settle()
    assert ledger.executions == {"job-1": 1, "job-2": 1}
    assert a is b and isinstance(a, ExecutionResult) and c is not a


def test_second_run_with_a_client_id_returns_the_first_result(bell):
    """run() twice with one id submits once; a new id submits again."""
    ledger = Ledger()
    ex = ResilientExecutor([ChaosBackend("qiskit:aer", ledger=ledger)])
    first = ex.run(bell, shots=10, client_id="abc")
    assert ex.run(bell, shots=10, client_id="abc") is first
    ex.run(bell, shots=10, client_id="abd")
    assert ledger.executions == {"abc": 1, "abd": 1}
    assert [e[1] for e in ledger.events] == ["abc", "abd"]


def test_a_failed_job_is_not_run_again_but_an_unsent_one_is(bell):
    """A job that was submitted and failed keeps its error; one refused before any
    submission (nothing sent) may be tried again with the same id."""
    ledger = Ledger()
    ex = ResilientExecutor(
        [ChaosBackend("qiskit:aer", Faults(permanent_error_rate=1.0), ledger=ledger)], retry=_FAST
    )
    with pytest.raises(JobFailedError) as first:
        ex.run(bell, shots=10, client_id="bad")
    with pytest.raises(JobFailedError) as second:
        ex.run(bell, shots=10, client_id="bad")
    assert second.value is first.value
    assert [e[1] for e in ledger.events] == ["bad"]  # one submission in all

    offline = ResilientExecutor(
        [ChaosBackend("qiskit:aer", Faults(calibration_age=7200), ledger=ledger)],
        gates={"max_calibration_age": "1h"},
    )
    with pytest.raises(JobFailedError):
        offline.run(bell, shots=10, client_id="later")
    offline.gate.policy = offline.gate.policy.model_copy(update={"max_calibration_age": None})
    assert offline.run(bell, shots=10, client_id="later").counts


def test_remember_bounds_the_registry(bell):
    """Only the last ``remember`` ids are kept; remember=0 turns deduplication off."""
    ledger = Ledger()
    ex = ResilientExecutor(
        [ChaosBackend("qiskit:aer", ledger=ledger)], idempotency=IdempotencyPolicy(remember=2)
    )
    for cid in ("a", "b", "c", "a"):
        ex.run(bell, shots=10, client_id=cid)
    assert len(ex._seen) == 2 and ledger.executions["a"] == 2
    off = ResilientExecutor(
        [ChaosBackend("qiskit:aer", ledger=ledger)], idempotency=IdempotencyPolicy(remember=0)
    )
    off.run(bell, shots=10, client_id="z")
    off.run(bell, shots=10, client_id="z")
    assert ledger.executions["z"] == 2


class _TimesOutAfterSending:
    """A cloud backend whose first CreateJob request times out after it was sent.

    ``created`` says whether that request created the job (which ``find`` then returns).
    """

    provider = Provider.BRAKET
    name = "cloudy"
    remote = True

    def __init__(self, created: bool, lookup: bool = True) -> None:
        self.created = created
        self.submits = 0
        self.finds = 0
        self.tokens: list[str | None] = []
        self.jobs: dict[str, _Done] = {}
        if lookup:
            self.find = self._find

    def prepare(self, circuit):
        return circuit

    def calibration(self):
        return None

    def status(self):
        return None

    def submit(self, prepared, shots, *, client_id):
        self.submits += 1
        self.tokens.append(_cloud._token.get())
        job = _Done(f"job-{self.submits}", {"00": shots})
        if self.submits == 1:
            if self.created:
                self.jobs[client_id] = job
            raise ReadTimeoutError(
                endpoint_url="https://braket.us-east-1.amazonaws.com/quantum-task"
            )
        return job

    def _find(self, client_id, since):
        self.finds += 1
        return self.jobs.get(client_id)


def test_unknown_outcome_found_by_client_id_is_not_resubmitted(bell):
    """The job the timed-out request created is found and adopted: one submission."""
    backend = _TimesOutAfterSending(created=True)
    result = ResilientExecutor([backend], retry=_FAST).run(bell, shots=10)
    assert (backend.submits, backend.finds) == (1, 1)
    (attempt,) = result.provenance.attempts
    assert (
        attempt.looked_up == "found"
        and attempt.job_id == "job-1"
        and attempt.outcome == "completed"
    )


def test_unknown_outcome_not_found_is_resubmitted_with_the_same_token(bell):
    """No job carries the client id: resubmitting is safe, with the same client token."""
    backend = _TimesOutAfterSending(created=False)
    result = ResilientExecutor([backend], retry=_FAST).run(bell, shots=10)
    assert (backend.submits, backend.finds) == (2, 1)
    assert [a.outcome for a in result.provenance.attempts] == ["unknown", "completed"]
    assert backend.tokens[0] == backend.tokens[1] is not None


def test_unknown_outcome_without_lookup_is_never_resubmitted(bell):
    """A backend that cannot look a job up: no resubmission here or anywhere else."""
    backend = _TimesOutAfterSending(created=True, lookup=False)
    other = ChaosBackend("cirq:simulator")
    with pytest.raises(JobFailedError, match="not resubmitted"):
        ResilientExecutor([backend, other], retry=_FAST).run(bell, shots=10)
    assert backend.submits == 1 and sum(other.ledger.executions.values()) == 0


# --- the same against the real Braket SDK, with botocore's Stubber ----------------------------

SV1_ARN = "arn:aws:braket:::device/quantum-simulator/amazon/sv1"
TASK_ARN = "arn:aws:braket:us-east-1:123456789012:quantum-task/sv1-task-1"
BUCKET, PREFIX = "amazon-braket-test", "results"


def _task(status: str, client_id: str) -> dict:
    created = datetime.now(UTC)
    return {
        "quantumTaskArn": TASK_ARN,
        "status": status,
        "deviceArn": SV1_ARN,
        "deviceParameters": "{}",
        "shots": 10,
        "outputS3Bucket": BUCKET,
        "outputS3Directory": f"{PREFIX}/sv1-task-1",
        "createdAt": created,
        "endedAt": created,
        "tags": {Attr.CLIENT_JOB_ID.value: client_id},
    }


def _result() -> StreamingBody:
    body = json.dumps(
        {
            "braketSchemaHeader": {
                "name": "braket.task_result.gate_model_task_result",
                "version": "1",
            },
            "measurements": [[0, 0]] * 5 + [[1, 1]] * 5,
            "measuredQubits": [0, 1],
            "taskMetadata": {
                "braketSchemaHeader": {"name": "braket.task_result.task_metadata", "version": "1"},
                "id": TASK_ARN,
                "shots": 10,
                "deviceId": SV1_ARN,
            },
            "additionalMetadata": {
                "action": {
                    "braketSchemaHeader": {"name": "braket.ir.openqasm.program", "version": "1"},
                    "source": "OPENQASM 3.0;",
                }
            },
        }
    ).encode()
    return StreamingBody(io.BytesIO(body), len(body))


def test_braket_timeout_after_create_is_found_by_tag_not_resubmitted(bell, braket_sv1):
    """CreateQuantumTask times out after sending; SearchQuantumTasks finds the task by its
    client-id tag and the executor waits on it: one create, one search, counts returned."""
    from qobserve.backends import parse_backend
    from qobserve.executor._runner import BraketBackend

    braket, stub, s3_stub = braket_sv1.client, braket_sv1.braket, braket_sv1.s3
    calls = {"create": 0, "tokens": []}

    def create(params, **kwargs):
        # Runs before the Stubber: the request went out, its response never came.
        calls["create"] += 1
        calls["tokens"].append(params.get("clientToken"))
        raise ReadTimeoutError(endpoint_url="https://braket.us-east-1.amazonaws.com/quantum-task")

    braket.meta.events.register("provide-client-params.braket.CreateQuantumTask", create)
    backend = BraketBackend(braket_sv1.device, parse_backend(f"braket:{SV1_ARN}"))

    searches = []

    def search(params, **kwargs):
        searches.append(params)

    braket.meta.events.register("provide-client-params.braket.SearchQuantumTasks", search)
    client_id = "0123456789abcdef"
    stub.add_response(
        "search_quantum_tasks",
        {
            "quantumTasks": [
                {
                    "quantumTaskArn": "arn:aws:braket:us-east-1:123456789012:quantum-task/other",
                    "status": "COMPLETED",
                    "deviceArn": SV1_ARN,
                    "shots": 10,
                    "outputS3Bucket": BUCKET,
                    "outputS3Directory": "x",
                    "createdAt": datetime.now(UTC),
                    "tags": {Attr.CLIENT_JOB_ID.value: "someone-else"},
                },
                {
                    k: v
                    for k, v in _task("COMPLETED", client_id).items()
                    if k not in ("deviceParameters", "endedAt")
                },
            ]
        },
    )
    for _ in range(4):
        stub.add_response("get_quantum_task", _task("COMPLETED", client_id))
    s3_stub.add_response(
        "get_object",
        {"Body": _result()},
        {"Bucket": BUCKET, "Key": f"{PREFIX}/sv1-task-1/results.json"},
    )

    ex = ResilientExecutor([backend], retry=_FAST, gates={"require_operational": False})
    result = ex.run(bell, shots=10, client_id=client_id)

    assert calls["create"] == 1 and len(searches) == 1
    assert calls["tokens"][0] == _cloud.client_token(client_id, "SV1", 0)
    filters = {f["name"]: f for f in searches[0]["filters"]}
    assert filters["deviceArn"]["values"] == [SV1_ARN] and filters["createdAt"]["operator"] == "GTE"
    assert result.counts == {"00": 5, "11": 5}
    (attempt,) = result.provenance.attempts
    assert attempt.looked_up == "found" and attempt.job_id == TASK_ARN


def test_braket_client_token_changes_only_after_a_known_outcome():
    """Same token while an outcome is unknown, a new one after a known one (≤ 64 chars)."""
    t0 = _cloud.client_token("id", "SV1", 0)
    assert len(t0) <= 64 and t0 == _cloud.client_token("id", "SV1", 0)
    assert t0 != _cloud.client_token("id", "SV1", 1) != _cloud.client_token("id", "DM1", 1)


def test_a_throttled_then_accepted_submission_gets_a_new_token(bell):
    """A refused request (known outcome) is retried with a new client token."""
    backend = _TimesOutAfterSending(created=False)

    def refuse_first(prepared, shots, *, client_id):
        backend.submits += 1
        backend.tokens.append(_cloud._token.get())
        if backend.submits == 1:
            raise ClientError(
                {"Error": {"Code": "ThrottlingException", "Message": "slow down"}},
                "CreateQuantumTask",
            )
        return _Done("ok", {"00": shots})

    backend.submit = refuse_first
    ResilientExecutor([backend], retry=_FAST).run(bell, shots=10)
    assert backend.submits == 2 and backend.tokens[0] != backend.tokens[1]


def test_ibm_lookup_asks_for_the_client_id_tag():
    """The IBM look-up filters the backend's jobs by the qobserve.client_job_id tag since the submission."""
    asked = {}

    class Service:
        def jobs(self, **kwargs):
            asked.update(kwargs)
            return ["the-job"]

    class IbmBackend:
        name = "ibm_brisbane"
        service = Service()

    assert _cloud.ibm_find(IbmBackend(), "cid-1", since=1_800_000_000.0) == "the-job"
    assert asked["job_tags"] == [f"{Attr.CLIENT_JOB_ID.value}=cid-1"]
    assert asked["backend_name"] == "ibm_brisbane"
    assert asked["created_after"].timestamp() == 1_800_000_000.0 - 300
