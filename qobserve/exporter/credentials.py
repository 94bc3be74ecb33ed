"""Per-backend credentials from environment variables or files, never logged.

    backends:
      - name: ibm
        backend: qiskit:ibm_brisbane
        credentials:
          ibm_token: {file: /var/run/secrets/qobserve/ibm-token}   # a Kubernetes Secret mount
          ibm_instance: "crn:v1:bluemix:public:quantum-computing:…"
      - name: sv1
        backend: braket:arn:aws:braket:::device/quantum-simulator/amazon/sv1
        credentials:
          aws_access_key_id: {env: AWS_ACCESS_KEY_ID}
          aws_secret_access_key: {file: /var/run/secrets/qobserve/aws-secret-access-key}
          aws_role_arn: arn:aws:iam::123456789012:role/braket-probe
          aws_region: us-east-1

Secret keys (``ibm_token``, ``aws_access_key_id``, ``aws_secret_access_key``,
``aws_session_token``) take only ``{env: NAME}`` or ``{file: PATH}``, so a
secret never sits in a config file; the others also take a plain string. Values
are read by :func:`resolve` when the config is loaded, so SIGHUP re-reads a
rotated Secret; they live outside the pydantic fields (never in a repr or a
dump) and :func:`redact` blanks them out of every log line of the process.
How each SDK receives them: :meth:`qobserve.backends.BackendSpec.load`.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from pydantic import Field, model_validator

from qobserve._validation import StrictModel
from qobserve.backends import BackendKind, BackendSpec

__all__ = ["Credentials", "RedactingFilter", "SecretRef", "redact", "resolve", "set_secrets"]

SECRET_KEYS = ("ibm_token", "aws_access_key_id", "aws_secret_access_key", "aws_session_token")
_FAMILY = {
    "ibm": ("qiskit:ibm_*", lambda s: s.spec.startswith("qiskit:") and s.kind is BackendKind.CLOUD),
    "aws": ("braket:arn:…", lambda s: s.spec.startswith("braket:") and s.kind is BackendKind.CLOUD),
    "google": ("cirq_google:…", lambda s: s.spec.startswith("cirq_google:")),
}


class SecretRef(StrictModel):
    """Where a value comes from: ``{env: NAME}`` or ``{file: PATH}`` (trailing newline stripped)."""

    env: str | None = None
    file: Path | None = None

    @model_validator(mode="after")
    def _one(self) -> SecretRef:
        if (self.env is None) == (self.file is None):
            raise ValueError("give exactly one of env: VARIABLE or file: /path/to/secret")
        return self

    def read(self) -> str:
        """The value now (re-read at every config load).

        Raises:
            ValueError: naming the variable or file and the fix; never the value.
        """
        if self.env is not None:
            value = os.environ.get(self.env, "")
            if not value:
                raise ValueError(
                    f"env: environment variable {self.env} is not set; export it before starting"
                )
            return value.strip()
        assert self.file is not None  # exactly one of env and file is set
        try:
            value = Path(self.file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ValueError(
                f"file: cannot read {self.file} ({exc.strerror or exc}); "
                "mount the secret there or fix the path"
            ) from None
        except UnicodeDecodeError:
            raise ValueError(
                f"file: {self.file} is not UTF-8 text; store the secret as text"
            ) from None
        if not value:
            raise ValueError(f"file: {self.file} is empty; put the secret in it")
        return value


Value = str | SecretRef


class Credentials(StrictModel):
    """Credentials for one backend; each key applies to one provider family."""

    ibm_token: SecretRef | None = Field(
        default=None, description="secret; QiskitRuntimeService(token=...)"
    )
    ibm_instance: Value | None = Field(
        default=None, description="QiskitRuntimeService(instance=...)"
    )
    aws_profile: Value | None = Field(default=None, description="boto3 Session(profile_name=...)")
    aws_access_key_id: SecretRef | None = Field(
        default=None, description="secret; with aws_secret_access_key"
    )
    aws_secret_access_key: SecretRef | None = Field(default=None, description="secret")
    aws_session_token: SecretRef | None = Field(default=None, description="secret; temporary keys")
    aws_role_arn: Value | None = Field(
        default=None, description=("assumed with STS on first use, refreshed before expiry")
    )
    aws_region: Value | None = Field(default=None, description="boto3 Session(region_name=...)")
    google_project: Value | None = Field(
        default=None,
        description=(
            "Google Cloud project (the bundled cirq_google specs are virtual engines and need none)"
        ),
    )
    google_credentials_file: Path | None = Field(
        default=None, description=("service-account key file, checked readable at load")
    )

    @model_validator(mode="after")
    def _pairs(self) -> Credentials:
        if (self.aws_access_key_id is None) != (self.aws_secret_access_key is None):
            raise ValueError(
                "aws_access_key_id and aws_secret_access_key go together; set both or neither"
            )
        if self.aws_profile is not None and self.aws_access_key_id is not None:
            raise ValueError("set aws_profile or aws_access_key_id/aws_secret_access_key, not both")
        if self.aws_session_token is not None and self.aws_access_key_id is None:
            raise ValueError("aws_session_token needs aws_access_key_id and aws_secret_access_key")
        return self

    def check_backend(self, spec: BackendSpec) -> None:
        """Raise ValueError when a key does not apply to ``spec``'s provider."""
        for key in self.model_fields_set:
            if getattr(self, key) is None:
                continue
            forms, applies = _FAMILY[key.split("_", 1)[0]]
            if not applies(spec):
                raise ValueError(
                    f"credentials.{key} applies to {forms} backends, not {spec.spec!r}; remove it"
                )


def resolve(credentials: Credentials | None) -> dict[str, str]:
    """Read every configured value now.

    Raises:
        ValueError: ``<key>.<env|file>: problem`` (never the value).
    """
    if credentials is None:
        return {}
    values: dict[str, str] = {}
    for key in Credentials.model_fields:
        ref = getattr(credentials, key)
        if ref is None:
            continue
        if key == "google_credentials_file":
            try:
                with open(ref, "rb"):
                    pass
            except OSError as exc:
                raise ValueError(
                    f"{key}: cannot read {ref} ({exc.strerror or exc}); "
                    "mount the key file there or fix the path"
                ) from None
            values[key] = str(ref)
        elif isinstance(ref, SecretRef):
            try:
                values[key] = ref.read()
            except ValueError as exc:
                raise ValueError(f"{key}.{exc}") from None
        else:
            values[key] = ref
    return values


_secrets_lock = threading.Lock()
_secrets: tuple[str, ...] = ()


def set_secrets(values) -> None:
    """Replace the set of strings :func:`redact` blanks out (longest first)."""
    global _secrets
    with _secrets_lock:
        _secrets = tuple(sorted({v for v in values if v and len(v) >= 4}, key=len, reverse=True))


def redact(text: str) -> str:
    """``text`` with every known secret replaced by ``***``."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, "***")
    return text


class RedactingFilter(logging.Filter):
    """A handler filter that renders each record and blanks out known secrets."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _secrets:
            try:
                message = record.getMessage()
            except Exception:  # a malformed record is the logging module's to report
                return True
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.msg, record.args = redact(message), None
            if record.exc_text:
                record.exc_text = redact(record.exc_text)
        return True
