"""Classification of Qiskit / IBM Quantum errors into transient, permanent, reroute, unknown."""

from __future__ import annotations

import pytest

pytest.importorskip("qiskit_ibm_runtime")

import requests
from qiskit.exceptions import QiskitError
from qiskit.providers.exceptions import QiskitBackendNotFoundError
from qiskit_ibm_runtime.api.exceptions import RequestsApiError
from qiskit_ibm_runtime.exceptions import (
    IBMError,
    IBMInputValueError,
    IBMNotAuthorizedError,
    IBMRuntimeError,
    RuntimeInvalidStateError,
    RuntimeJobFailureError,
    RuntimeJobMaxTimeoutError,
    RuntimeJobTimeoutError,
)

from qobserve.errors import ErrorKind, classify
from qobserve.instrumentation.qiskit.errors import reason_code_info


def _http_error(status: int, retry_after: str | None = None) -> requests.HTTPError:
    response = requests.Response()
    response.status_code = status
    if retry_after is not None:
        response.headers["Retry-After"] = retry_after
    return requests.HTTPError(f"{status} Client Error: for url: https://x/jobs", response=response)


def _wrapped_like_sdk(status: int, retry_after: str | None = None) -> IBMRuntimeError:
    """An IBMRuntimeError raised ``from None`` around a RequestsApiError, as service._run does."""
    try:
        try:
            raise RequestsApiError(str(_http_error(status)), status) from _http_error(
                status, retry_after
            )
        except RequestsApiError as inner:
            raise IBMRuntimeError(f"Failed to run program: {inner}") from None
    except IBMRuntimeError as outer:
        return outer


def test_failure_errors_are_not_ibm_errors():
    """The SDK facts the classifier relies on: job failure/timeout errors are not IBMError."""
    assert not issubclass(RuntimeJobFailureError, IBMError)
    assert not issubclass(RuntimeJobTimeoutError, IBMError)


@pytest.mark.parametrize(
    "exc,kind,error_type",
    [
        (
            RuntimeJobFailureError("Unable to retrieve job result. Error code 1002; invalid"),
            ErrorKind.PERMANENT,
            "1002",
        ),
        (
            RuntimeJobFailureError("Unable to retrieve job result. Error code 1003; transpile"),
            ErrorKind.PERMANENT,
            "1003",
        ),
        (
            RuntimeJobFailureError("Unable to retrieve job result. Error code 1005; basis"),
            ErrorKind.PERMANENT,
            "1005",
        ),
        (
            RuntimeJobFailureError("Unable to retrieve job result. Error code 1007; not found"),
            ErrorKind.PERMANENT,
            "1007",
        ),
        (
            RuntimeJobFailureError("Unable to retrieve job result. Error code 1004; unavailable"),
            ErrorKind.REROUTE,
            "1004",
        ),
        (
            RuntimeJobFailureError("Unable to retrieve job result. Error code 1011; queue"),
            ErrorKind.TRANSIENT,
            "1011",
        ),
        (
            RuntimeJobFailureError("Unable to retrieve job result. something odd"),
            ErrorKind.UNKNOWN,
            "RuntimeJobFailureError",
        ),
        (RuntimeJobMaxTimeoutError("Error code 1305; ran too long"), ErrorKind.PERMANENT, "1305"),
        (
            RuntimeJobTimeoutError("Timed out waiting for job"),
            ErrorKind.TRANSIENT,
            "RuntimeJobTimeoutError",
        ),
        (RuntimeInvalidStateError("cancelled"), ErrorKind.PERMANENT, "RuntimeInvalidStateError"),
        (IBMInputValueError("not ISA"), ErrorKind.PERMANENT, "IBMInputValueError"),
        (IBMNotAuthorizedError("401 Client Error"), ErrorKind.PERMANENT, "IBMNotAuthorizedError"),
        (
            QiskitBackendNotFoundError("No backend matches"),
            ErrorKind.REROUTE,
            "QiskitBackendNotFoundError",
        ),
        (RequestsApiError("boom", 502), ErrorKind.TRANSIENT, "502"),
        (
            RequestsApiError(
                "Unexpected response received from server. Please check if the service "
                "is in maintenance mode"
            ),
            ErrorKind.REROUTE,
            "503",
        ),
        (RequestsApiError("400 Client Error: Bad Request", 400), ErrorKind.PERMANENT, "400"),
        (_wrapped_like_sdk(504), ErrorKind.TRANSIENT, "504"),
        (QiskitError("something else"), ErrorKind.UNKNOWN, "QiskitError"),
    ],
)
def test_classification(exc, kind, error_type):
    """Each SDK error maps to its reaction and a low-cardinality error_type."""
    info = classify(exc)
    assert (info.kind, info.error_type) == (kind, error_type)


def test_429_in_message_only_is_transient_with_retry_after():
    """429 is not retried by the SDK: transient, with Retry-After from the chained response."""
    info = classify(_wrapped_like_sdk(429, retry_after="7"))
    assert (info.kind, info.error_type, info.retry_after) == (ErrorKind.TRANSIENT, "429", 7.0)


def test_error_type_never_carries_the_message():
    """Messages (which may hold URLs, ids or tokens) never become the error_type."""
    secret = "token=abc123"
    for exc in (
        RuntimeJobFailureError(f"failed {secret}"),
        IBMRuntimeError(f"x {secret}"),
        RequestsApiError(f"y {secret}", 418),
    ):
        assert secret not in classify(exc).error_type


def test_foreign_exceptions_are_left_to_other_classifiers():
    """A non-Qiskit exception is not claimed by the Qiskit classifier."""
    from qobserve.instrumentation.qiskit.errors import classify_qiskit

    assert classify_qiskit(KeyError("x")) is None


@pytest.mark.parametrize(
    "code,kind",
    [
        (1002, ErrorKind.PERMANENT),
        ("1305", ErrorKind.PERMANENT),
        (9999, ErrorKind.UNKNOWN),
        (None, ErrorKind.UNKNOWN),
    ],
)
def test_reason_code_info(code, kind):
    """Reason codes from a job's state map to a kind; unknown codes stay unknown."""
    assert reason_code_info(code).kind == kind
