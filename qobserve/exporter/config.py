"""Exporter configuration: YAML validated by pydantic, errors naming the field.

    listen: 127.0.0.1:9464          # bind wider (0.0.0.0:9464) only in a pod/network you control
    backends:
      - {name: manila, backend: "qiskit:fake_manila"}
      - {name: sv, backend: "braket:local"}
      - {name: ibm, backend: "qiskit:ibm_brisbane", credentials_env: [QISKIT_IBM_TOKEN]}
    probes:
      calibration: {interval: 5m}
      status: {interval: 30s}
      rb: {interval: 6h, qubits: [0], samples: 20, shots: 256, max_cost_usd: 5, max_daily_cost_usd: 20}
    otlp: {endpoint: "http://otel-collector:4318"}
    web: {tls_cert_file: cert.pem, tls_key_file: key.pem, basic_auth_users: {prom: "$2b$12$…"}}
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from qobserve._validation import parse_duration, read_yaml, validation_message
from qobserve.backends import BackendSpec, parse_backend

__all__ = ["ConfigError", "ExporterConfig", "load_config"]

class ConfigError(ValueError):
    """A config file that cannot be used; the message is one line naming the field."""


Duration = Annotated[float, BeforeValidator(parse_duration)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BackendEntry(_Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    backend: str
    noise: str | None = None
    credentials_env: list[str] = []

    @field_validator("backend")
    @classmethod
    def _backend(cls, spec: str) -> str:
        parse_backend(spec, field="")  # offline: no SDK object is built here
        return spec

    @model_validator(mode="after")
    def _noise(self) -> "BackendEntry":
        parse_backend(self.backend, self.noise, field="noise")
        return self

    @field_validator("credentials_env")
    @classmethod
    def _credentials_present(cls, names: list[str]) -> list[str]:
        # Only the variable's name is ever shown, never its value.
        missing = [n for n in names if not os.environ.get(n)]
        if missing:
            raise ValueError(f"environment variable {missing[0]} is not set; export it before starting")
        return names

    @property
    def spec(self) -> BackendSpec:
        return parse_backend(self.backend, self.noise)


class ProbeSchedule(_Strict):
    interval: Duration
    timeout: Duration = 60.0
    enabled: bool = True


class RBProbeConfig(ProbeSchedule):
    interval: Duration = 6 * 3600.0
    timeout: Duration = 600.0
    qubits: list[int] = Field(default=[0], min_length=1, max_length=2)
    lengths: list[Annotated[int, Field(ge=1)]] | None = None
    samples: int = Field(default=20, ge=2)
    shots: int = Field(default=256, ge=1)
    max_cost_usd: float | None = Field(default=None, ge=0)
    max_daily_cost_usd: float | None = Field(default=None, ge=0)


class Probes(_Strict):
    calibration: ProbeSchedule = ProbeSchedule(interval=300.0)
    status: ProbeSchedule = ProbeSchedule(interval=30.0, timeout=20.0)
    rb: RBProbeConfig | None = None


class Otlp(_Strict):
    endpoint: str = Field(pattern=r"^https?://")


class Web(_Strict):
    """TLS and basic auth, following Prometheus' web.yml (bcrypt hashes only)."""

    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    basic_auth_users: dict[str, str] = {}

    @model_validator(mode="after")
    def _pairs(self) -> "Web":
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("tls_cert_file and tls_key_file go together; set both or neither")
        for user, hashed in self.basic_auth_users.items():
            if not hashed.startswith(("$2a$", "$2b$", "$2y$")):
                raise ValueError(f"basic_auth_users.{user}: expected a bcrypt hash (htpasswd -nBC 10 {user})")
        return self


class ExporterConfig(_Strict):
    listen: str = Field(default="127.0.0.1:9464", pattern=r"^[^:\s]*:\d{1,5}$")
    backends: list[BackendEntry] = Field(min_length=1)
    probes: Probes = Probes()
    otlp: Otlp | None = None
    web: Web = Web()

    @field_validator("backends")
    @classmethod
    def _unique(cls, backends: list[BackendEntry]) -> list[BackendEntry]:
        names: set[str] = set()
        devices: dict[tuple[str, str], str] = {}
        for b in backends:
            if b.name in names:
                raise ValueError(f"duplicate backend name {b.name!r}; names must be unique")
            names.add(b.name)
            # Series are labelled by device name, so two entries for one device would collide.
            key = (b.spec.provider.value, b.spec.name)
            if key in devices:
                raise ValueError(f"{b.name!r} and {devices[key]!r} both probe {b.spec.name}; "
                                 "list each device once")
            devices[key] = b.name
        return backends

    @property
    def address(self) -> tuple[str, int]:
        host, _, port = self.listen.rpartition(":")
        return host or "0.0.0.0", int(port)


def load_config(path: str | Path) -> ExporterConfig:
    """Read and validate an exporter config file.

    Raises:
        ConfigError: one line naming the file, the field and the problem.
    """
    data = read_yaml(path, ConfigError, expect="a mapping with 'backends' and 'probes'")
    try:
        return ExporterConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {validation_message(exc)}") from None
