"""Classification of botocore errors raised through the Braket SDK."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from qobserve.errors import CLASSIFIERS, ErrorKind, classify
from qobserve.instrumentation.braket.errors import classify_braket


def _client_error(code: str, headers: dict | None = None) -> ClientError:
    response = {
        "Error": {"Code": code, "Message": "secret-free message"},
        "ResponseMetadata": {"HTTPHeaders": headers or {}},
    }
    return ClientError(response, "CreateQuantumTask")


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("ThrottlingException", ErrorKind.TRANSIENT),
        ("InternalServiceException", ErrorKind.TRANSIENT),
        ("DeviceOfflineException", ErrorKind.REROUTE),
        ("ValidationException", ErrorKind.PERMANENT),
        ("ServiceQuotaExceededException", ErrorKind.PERMANENT),
        ("AccessDeniedException", ErrorKind.PERMANENT),
        ("DeviceRetiredException", ErrorKind.PERMANENT),
        ("SomethingNewException", ErrorKind.UNKNOWN),
    ],
)
def test_client_error_codes(code, kind):
    """Each Braket API error code maps to its reaction and is its own error_type."""
    info = classify(_client_error(code))
    assert (info.kind, info.error_type) == (kind, code)


def test_retry_after_header_is_kept():
    """A Retry-After header on a throttled call becomes retry_after."""
    assert classify(_client_error("ThrottlingException", {"retry-after": "3"})).retry_after == 3.0


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (
            EndpointConnectionError(endpoint_url="https://braket.us-east-1.amazonaws.com"),
            ErrorKind.TRANSIENT,
        ),
        (NoCredentialsError(), ErrorKind.PERMANENT),
    ],
)
def test_transport_errors(exc, kind):
    """Connection failures are transient, missing credentials permanent."""
    info = classify(exc)
    assert (info.kind, info.error_type) == (kind, type(exc).__name__)


def test_registered_and_ignores_foreign_errors():
    """The classifier is registered and leaves other exceptions to the next one."""
    classify(RuntimeError("load classifiers"))
    assert classify_braket in CLASSIFIERS
    assert classify_braket(KeyError("x")) is None
