"""Classify Qiskit / IBM Quantum Compute errors for retries and the ``error_type`` label.

Facts this relies on (qiskit-ibm-runtime 0.51):

* ``RuntimeJobFailureError`` and ``RuntimeJobTimeoutError`` are *not*
  ``IBMError`` subclasses (they derive from ``qiskit.providers.JobError``).
* A failed job's reason code is only in the message: ``RuntimeJobV2`` formats
  it as ``"Error code 1305; ..."``.
* HTTP errors surface as ``RequestsApiError(status_code=...)``, but wrappers
  such as ``IBMRuntimeError("Failed to run program: ...")`` keep the status
  only in the message (``"429 Client Error: ..."``) and the chained
  ``requests`` exception; the SDK's urllib3 retry does not retry 429.

Reason codes: https://quantum.cloud.ibm.com/docs/errors
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from qobserve.errors import UNREACHABLE, ErrorInfo, ErrorKind, register_classifier, unreachable

__all__ = ["classify_qiskit", "reason_code_info"]

T, P, R = ErrorKind.TRANSIENT, ErrorKind.PERMANENT, ErrorKind.REROUTE

# IBM Quantum reason codes → what to do. Validation and limits never get
# better on retry; "retry the action" codes are transient; backend
# unavailability moves the job elsewhere.
_REASON_CODES: dict[int, ErrorKind] = {
    1002: P,
    1003: P,
    1005: P,
    1007: P,  # validation / transpilation / basis gates / backend not found
    1004: R,
    1009: R,  # backend not available / backend information missing
    1006: T,
    1008: T,
    1010: T,
    1011: T,  # "retry the action"
    1200: P,
    1201: P,  # not authorised / invalid credentials
    1202: T,  # too many requests
    1305: P,  # ran longer than max_execution_time
}

_TRANSIENT_HTTP = frozenset({408, 425, 429, 500, 502, 504, 520, 521, 522, 524})
_REROUTE_HTTP = frozenset({503})  # planned maintenance of the whole service
_HTTP_IN_MESSAGE = re.compile(r"\b([45]\d\d) (?:Client|Server) Error\b")
_CODE_IN_MESSAGE = re.compile(r"\bError code:? (\d{4})\b")


def reason_code_info(code: int | str | None, fallback: str = "RuntimeJobFailureError") -> ErrorInfo:
    """ErrorInfo for an IBM Quantum job reason code (``job._reason_code``)."""
    try:
        number = int(code) if code is not None else None
    except (TypeError, ValueError):
        number = None
    if number is None:
        return ErrorInfo(ErrorKind.UNKNOWN, fallback)
    return ErrorInfo(_REASON_CODES.get(number, ErrorKind.UNKNOWN), str(number))


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _http_status(exc: BaseException) -> tuple[int | None, float | None]:
    """HTTP status and Retry-After seconds from the exception chain or its message."""
    status = retry_after = None
    for e in _chain(exc):
        response = getattr(e, "response", None)
        code = getattr(e, "status_code", None) or getattr(response, "status_code", None)
        if status is None and isinstance(code, int) and code > 0:
            status = code
        header = getattr(response, "headers", None) or {}
        if retry_after is None and header.get("Retry-After"):
            try:
                retry_after = float(header["Retry-After"])
            except ValueError:  # an HTTP date: no reliable clock skew, ignore
                pass
        if status is None and (m := _HTTP_IN_MESSAGE.search(str(e))):
            status = int(m.group(1))
    return status, retry_after


@register_classifier
def classify_qiskit(exc: BaseException) -> ErrorInfo | None:
    """Classify exceptions from qiskit, qiskit-ibm-runtime and qiskit-aer; None if not ours."""
    module = type(exc).__module__ or ""
    if not module.startswith(("qiskit", "qiskit_ibm_runtime", "qiskit_aer")):
        return None
    name = type(exc).__name__
    message = str(exc)
    if name == "RuntimeJobMaxTimeoutError":
        return ErrorInfo(P, "1305")
    if name == "RuntimeJobFailureError":
        m = _CODE_IN_MESSAGE.search(message)
        return reason_code_info(m.group(1) if m else None)
    if name == "RuntimeJobTimeoutError":  # the client stopped waiting; the job still runs
        return ErrorInfo(T, name)
    if name in ("InvalidAccountError", "IBMNotAuthorizedError", "IBMAccountError") and unreachable(
        exc
    ):
        # The SDK reports a failed connection as a bad token: believe the transport.
        return ErrorInfo(R, UNREACHABLE)
    if name in (
        "RuntimeInvalidStateError",
        "IBMInputValueError",
        "IBMBackendValueError",
        "IBMAccountError",
        "InvalidAccountError",
        "IBMNotAuthorizedError",
        "RuntimeProgramNotFound",
        "TranspilerError",
        "CircuitError",
    ):
        return ErrorInfo(P, name)
    if name == "QiskitBackendNotFoundError":
        return ErrorInfo(R, name)
    status, retry_after = _http_status(exc)
    if status is not None:
        if status in _TRANSIENT_HTTP:
            return ErrorInfo(T, str(status), retry_after)
        if status in _REROUTE_HTTP or "maintenance" in message:
            return ErrorInfo(R, str(status), retry_after)
        return ErrorInfo(P if 400 <= status < 500 else ErrorKind.UNKNOWN, str(status))
    if "maintenance mode" in message:  # the SDK's 503 message drops the status code
        return ErrorInfo(R, "503")
    return None  # the generic rules (timeouts, OSError, ValueError, else unknown) apply
