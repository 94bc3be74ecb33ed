"""Cloud targets: lazy, bounded connections and look-ups by client id.

Building ``AwsDevice(arn)`` or ``QiskitRuntimeService().backend(name)`` calls
the provider's API (device metadata, IAM authentication, instance discovery),
with the SDKs' own timeouts and retries: minutes against an endpoint that
accepts connections and never answers. So the executor builds a cloud
target's SDK object only when a job first reaches it, with the
:class:`~qobserve.executor.ConnectionPolicy` bounds:

* Braket: an ``AwsSession`` whose Braket, S3 and STS clients carry a botocore
  ``Config(connect_timeout, read_timeout, retries={"mode": "standard",
  "total_max_attempts": n})``, in the device's own region so the SDK never copies it
  into an unbounded session;
* IBM Quantum: the SDK has no timeout parameters, so the whole build runs on a
  helper thread bounded by ``setup_timeout`` (the same bound covers Braket).

Past the bound the target is skipped for that job as unreachable (the build
goes on in the background and a later job reuses it).

A submission whose request timed out after it was sent may have created a
job. Before anything is resubmitted the executor looks for it by the client
id it carried: Braket ``SearchQuantumTasks`` on the device since the
submission, matched on the ``qobserve.client_job_id`` tag (CreateQuantumTask
also gets a deterministic ``clientToken``, so AWS itself returns the first
task if the same submission is sent again); IBM Quantum ``jobs(job_tags=…)``.
"""

from __future__ import annotations

import contextvars
import hashlib
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, datetime
from typing import Any

from qobserve.errors import UNREACHABLE, ErrorInfo, ErrorKind, register_classifier
from qobserve.semconv import Attr

__all__ = [
    "TargetUnreachableError",
    "bounded",
    "braket_find",
    "client_token",
    "ibm_find",
    "load_braket",
    "load_ibm",
    "send_client_tokens",
]

_TAG = Attr.CLIENT_JOB_ID.value
# Clocks of client and service differ: search a little before the submission.
_SEARCH_SLACK = 300.0

#: The clientToken of the CreateQuantumTask being sent by this thread.
_token: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "qobserve_client_token", default=None
)


class TargetUnreachableError(ConnectionError):
    """A cloud target's API did not answer (connect failed or timed out); nothing was sent."""

    def __init__(self, backend: str, why: str) -> None:
        super().__init__(f"{backend}: unreachable ({why})")
        self.backend = backend
        self.why = why


@register_classifier
def _classify(exc: BaseException) -> ErrorInfo | None:
    if isinstance(exc, TargetUnreachableError):
        return ErrorInfo(ErrorKind.REROUTE, UNREACHABLE)
    return None


def bounded(fn: Callable[[], Any], timeout: float | None, what: str) -> Any:
    """``fn()`` on a helper thread; TimeoutError naming ``what`` when it takes longer
    than ``timeout`` seconds (the call goes on in the background)."""
    if timeout is None:
        return fn()
    future: Future = Future()

    def run() -> None:
        try:
            future.set_result(fn())
        except BaseException as exc:  # handed to the waiting caller
            future.set_exception(exc)

    threading.Thread(target=run, name=f"qobserve-{what}", daemon=True).start()
    try:
        return future.result(timeout)
    except FutureTimeout:
        raise TimeoutError(f"{what}: no answer within {timeout:g}s") from None


def client_token(client_id: str, backend: str, generation: int) -> str:
    """A CreateQuantumTask clientToken (≤ 64 characters) for one submission of a
    logical job: the same while a submission's outcome is unknown, new after a
    known outcome, so AWS deduplicates re-sends and nothing else."""
    return hashlib.sha256(f"{client_id}:{backend}:{generation}".encode()).hexdigest()[:64]


def sending_token(token: str | None):
    """Context variable token for :class:`_TokenSession` (returns the reset handle)."""
    return _token.set(token)


def reset_token(handle) -> None:
    _token.reset(handle)


def _add_token(params: dict, **kwargs) -> None:
    token = _token.get()
    if token:
        params["clientToken"] = token


def send_client_tokens(braket_client: Any) -> None:
    """Make ``braket_client`` send the executor's deterministic clientToken with
    CreateQuantumTask (once per client; other callers keep botocore's random token)."""
    braket_client.meta.events.register_first(
        "provide-client-params.braket.CreateQuantumTask",
        _add_token,
        unique_id="qobserve-client-token",
    )


def _arn_region(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else None


def load_braket(arn: str, policy) -> Any:
    """``AwsDevice(arn)`` on a session whose every client is bounded by ``policy``."""
    import os

    import boto3
    from botocore.config import Config
    from braket.aws import AwsDevice, AwsSession

    config = Config(
        connect_timeout=policy.connect_timeout,
        read_timeout=policy.read_timeout,
        retries={"mode": "standard", "total_max_attempts": policy.max_attempts},
    )

    region = (
        _arn_region(arn)
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
        or "us-east-1"
    )
    boto = boto3.Session(region_name=region)
    session = AwsSession(boto_session=boto, config=config)
    # S3 (results, default bucket) and STS (account id) clients would otherwise
    # get botocore's defaults: 60 s timeouts and legacy retries.
    session._s3 = boto.client("s3", config=config)
    session._sts = boto.client("sts", config=config)
    return AwsDevice(arn, aws_session=session)


def load_ibm(name: str, policy) -> Any:
    """The IBM Quantum backend ``name`` (credentials from the SDK's environment)."""
    import os

    from qiskit_ibm_runtime import QiskitRuntimeService

    service = QiskitRuntimeService(
        channel=os.environ.get("QISKIT_IBM_CHANNEL", "ibm_quantum_platform")
    )
    return service.backend(name)


def braket_find(device: Any, client_id: str, since: float) -> Any | None:
    """The Braket task tagged with ``client_id`` created on ``device`` since ``since``
    (Unix time), as an ``AwsQuantumTask``, or None."""
    from braket.aws import AwsQuantumTask

    session = device.aws_session
    after = datetime.fromtimestamp(since - _SEARCH_SLACK, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    filters = [
        {"name": "deviceArn", "operator": "EQUAL", "values": [device.arn]},
        {"name": "createdAt", "operator": "GTE", "values": [after]},
    ]
    kwargs: dict[str, Any] = {"filters": filters, "maxResults": 100}
    while True:
        page = session.braket_client.search_quantum_tasks(**kwargs)
        for task in page.get("quantumTasks", []):
            if (task.get("tags") or {}).get(_TAG) == client_id:
                return AwsQuantumTask(task["quantumTaskArn"], aws_session=session)
        if not page.get("nextToken"):
            return None
        kwargs["nextToken"] = page["nextToken"]


def ibm_find(backend: Any, client_id: str, since: float) -> Any | None:
    """The IBM Quantum job tagged with ``client_id`` on ``backend`` since ``since``, or None."""
    service = backend.service
    after = datetime.fromtimestamp(since - _SEARCH_SLACK).astimezone()
    jobs = service.jobs(
        limit=10, backend_name=backend.name, job_tags=[f"{_TAG}={client_id}"], created_after=after
    )
    return jobs[0] if jobs else None
