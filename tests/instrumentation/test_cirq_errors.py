"""Classification of Quantum Engine job failures and RPC errors."""

from __future__ import annotations

import pytest
from cirq_google.cloud import quantum
from cirq_google.engine.engine_job import _raise_on_failure
from google.api_core import exceptions as gexc

from qobserve.errors import CLASSIFIERS, ErrorInfo, ErrorKind, classify
from qobserve.instrumentation.cirq.errors import classify_cirq, classify_failure_code

State = quantum.ExecutionStatus.State
Code = quantum.ExecutionStatus.Failure.Code


def _engine_error(state, code=None) -> RuntimeError:
    """The RuntimeError cirq_google's own EngineJob raises for a job in ``state``."""
    status = quantum.ExecutionStatus(state=state, processor_name="willow_pink")
    if code is not None:
        status.failure = quantum.ExecutionStatus.Failure(error_code=code, error_message="detail")
    job = quantum.QuantumJob(name="projects/p/programs/prog/jobs/job-1", execution_status=status)
    with pytest.raises(RuntimeError) as raised:
        _raise_on_failure(job)
    return raised.value


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (Code.SYSTEM_ERROR, ErrorKind.TRANSIENT),
        (Code.SCHEDULING_EXPIRED, ErrorKind.TRANSIENT),
        (Code.FAILED_PRECONDITION, ErrorKind.REROUTE),
        (Code.INVALID_PROGRAM, ErrorKind.PERMANENT),
        (Code.READ_PROGRAM_PERMISSION_DENIED, ErrorKind.PERMANENT),
    ],
)
def test_failed_job_codes(code, kind):
    """A FAILURE job's code is the error_type and decides the reaction."""
    info = classify(_engine_error(State.FAILURE, code))
    assert (info.kind, info.error_type) == (kind, code.name)
    assert classify_failure_code(code.name) == info  # same answer from job.failure()


def test_cancelled_and_timed_out_jobs():
    """A cancelled job is not retried; a job still running at the deadline is a timeout."""
    assert classify(_engine_error(State.CANCELLED)) == ErrorInfo(ErrorKind.PERMANENT, "CANCELLED")
    assert classify(_engine_error(State.RUNNING)).error_type == "timeout"


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (gexc.ResourceExhausted("quota"), ErrorKind.TRANSIENT),
        (gexc.ServiceUnavailable("down"), ErrorKind.TRANSIENT),
        (gexc.PermissionDenied("no"), ErrorKind.PERMANENT),
        (gexc.FailedPrecondition("offline"), ErrorKind.REROUTE),
    ],
)
def test_rpc_errors(exc, kind):
    """google.api_core errors, bare or as the cause of another error, are classified by class."""
    assert classify(exc).kind is kind
    wrapped = RuntimeError("engine call failed")
    wrapped.__cause__ = exc
    assert classify(wrapped) == classify(exc)


def test_registered_and_ignores_foreign_errors():
    """The classifier is registered and leaves unrelated RuntimeErrors alone."""
    classify(KeyError("load classifiers"))
    assert classify_cirq in CLASSIFIERS
    assert classify_cirq(RuntimeError("something else")) is None
