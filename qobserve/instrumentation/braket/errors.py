"""Classify Amazon Braket errors: botocore ``ClientError`` codes and transport failures.

Registered with :func:`qobserve.errors.register_classifier` on import
(``qobserve.errors`` imports this module itself). Codes are the error codes of
the Braket API reference (CreateQuantumTask / GetQuantumTask / GetDevice):
throttling and internal errors are worth a retry on the same device, an
offline device sends the job elsewhere, and everything about the request itself
(validation, quota, permissions, a retired device) will fail again.
"""

from __future__ import annotations

from qobserve.errors import ErrorInfo, ErrorKind, register_classifier

__all__ = ["CODE_KINDS", "QUANTUM_TASK_FAILED", "classify_braket", "classify_code"]

#: Braket API error code → how to react.
CODE_KINDS: dict[str, ErrorKind] = {
    "ThrottlingException": ErrorKind.TRANSIENT,
    "InternalServiceException": ErrorKind.TRANSIENT,
    "ServiceUnavailableException": ErrorKind.TRANSIENT,
    "RequestTimeout": ErrorKind.TRANSIENT,
    "DeviceOfflineException": ErrorKind.REROUTE,
    "ValidationException": ErrorKind.PERMANENT,
    "ServiceQuotaExceededException": ErrorKind.PERMANENT,
    "AccessDeniedException": ErrorKind.PERMANENT,
    "DeviceRetiredException": ErrorKind.PERMANENT,
    "ResourceNotFoundException": ErrorKind.PERMANENT,
    "ConflictException": ErrorKind.PERMANENT,
}

#: ``error_type`` of a task that reached FAILED (its failureReason is free text,
#: so it goes on the span, never on a label).
QUANTUM_TASK_FAILED = "QuantumTaskFailed"

_TRANSPORT_TRANSIENT = (
    "EndpointConnectionError",
    "ConnectTimeoutError",
    "ReadTimeoutError",
    "ConnectionClosedError",
)
_TRANSPORT_PERMANENT = ("NoCredentialsError", "PartialCredentialsError", "NoRegionError")


def classify_code(code: str) -> ErrorInfo:
    """ErrorInfo for a Braket API error code; unknown codes keep their name as error_type."""
    return ErrorInfo(CODE_KINDS.get(code, ErrorKind.UNKNOWN), code or "ClientError")


def _retry_after(response: dict) -> float | None:
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {}) or {}
    value = headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


@register_classifier
def classify_braket(exc: BaseException) -> ErrorInfo | None:
    """Classify botocore errors raised through the Braket SDK; None for anything else."""
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # botocore absent: nothing of ours can have been raised
        return None
    if isinstance(exc, ClientError):
        response = getattr(exc, "response", None) or {}
        code = str(response.get("Error", {}).get("Code", ""))
        info = classify_code(code)
        retry_after = _retry_after(response)
        return info if retry_after is None else ErrorInfo(info.kind, info.error_type, retry_after)
    if isinstance(exc, BotoCoreError):
        name = type(exc).__name__
        if name in _TRANSPORT_TRANSIENT:
            return ErrorInfo(ErrorKind.TRANSIENT, name)
        if name in _TRANSPORT_PERMANENT:
            return ErrorInfo(ErrorKind.PERMANENT, name)
        return ErrorInfo(ErrorKind.UNKNOWN, name)
    return None
