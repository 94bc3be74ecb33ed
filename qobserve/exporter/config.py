"""Exporter configuration: YAML validated by pydantic, errors naming the field.

    listen: 127.0.0.1:9464          # bind wider (0.0.0.0:9464) only in a pod/network you control
    backends:
      - {name: manila, backend: "qiskit:fake_manila"}
      - {name: sv, backend: "braket:local"}
      - name: ibm
        backend: "qiskit:ibm_brisbane"
        credentials: {ibm_token: {file: /var/run/secrets/qobserve/ibm-token}}   # see .credentials
    probes:
      calibration: {interval: 5m}
      status: {interval: 30s}
      rb: {interval: 6h, qubits: [0], samples: 20, shots: 256, max_cost_usd: 5, max_daily_cost_usd: 20}
      # Interleaved RB of one gate (x, sx on one qubit; cx, cz, ecr on two) and the
      # last decay plot per backend at /probes/<name>/rb.png (needs qobserve[plot]):
      # rb: {interval: 6h, qubits: [0, 1], interleave: cx, plot: true}
      # Adaptive RB: stop at ±5 % on EPC instead of running fixed samples (budget in shots):
      # rb: {interval: 6h, qubits: [0], target_precision: 0.05, max_shots: 200000}
    otlp: {endpoint: "http://otel-collector:4318"}
    web: {tls_cert_file: cert.pem, tls_key_file: key.pem, basic_auth_users: {prom: "$2b$12$…"}}
    state_dir: /var/lib/qobserve    # default $QOBSERVE_STATE_DIR, then the XDG state directory

Numbers are checked for range as well as type: a ``.nan`` or ``.inf`` interval, a
negative count or a billion shots is refused at load, naming the field.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

from pydantic import (
    AfterValidator,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from qobserve import _validation
from qobserve._validation import StrictModel, at_most, read_yaml, validation_message
from qobserve.backends import BackendKind, BackendSpec, parse_backend
from qobserve.exporter.credentials import SECRET_KEYS, Credentials, resolve

__all__ = ["ConfigError", "ExporterConfig", "load_config"]


class ConfigError(ValueError):
    """A config file that cannot be used; the message is one line naming the field."""


#: Probe intervals and timeouts: a month at most (a longer wait is a typo).
Duration = Annotated[_validation.Duration, AfterValidator(at_most("30d"))]
Usd = Annotated[float, Field(ge=0, le=1e6, allow_inf_nan=False)]


class BackendEntry(StrictModel):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    backend: str
    noise: str | None = None
    credentials_env: list[str] = Field(
        default=[],
        description=(
            "Environment variables that must be set (values unused by qobserve); prefer credentials."
        ),
    )
    credentials: Credentials | None = Field(
        default=None,
        description=(
            "Per-backend credentials from {env: NAME} or {file: PATH}, re-read on SIGHUP."
        ),
    )
    _secrets: dict[str, str] = PrivateAttr(default_factory=dict)  # resolved at load; part of ==

    @field_validator("backend")
    @classmethod
    def _backend(cls, spec: str) -> str:
        parse_backend(spec, field="")  # offline: no SDK object is built here
        return spec

    @model_validator(mode="after")
    def _noise(self) -> BackendEntry:
        spec = parse_backend(self.backend, self.noise, field="noise")
        if self.credentials is not None:
            self.credentials.check_backend(spec)
        return self

    @field_validator("credentials_env")
    @classmethod
    def _credentials_present(cls, names: list[str]) -> list[str]:
        # Only the variable's name is ever shown, never its value.
        missing = [n for n in names if not os.environ.get(n)]
        if missing:
            raise ValueError(
                f"environment variable {missing[0]} is not set; export it before starting"
            )
        return names

    @property
    def spec(self) -> BackendSpec:
        return parse_backend(self.backend, self.noise)

    @property
    def resolved_credentials(self) -> dict[str, str]:
        """Values read by :func:`load_config` (empty before); never log them."""
        return dict(self._secrets)

    @property
    def secret_values(self) -> list[str]:
        """The strings to redact: secret credentials and the credentials_env values."""
        return [v for k, v in self._secrets.items() if k in SECRET_KEYS] + [
            os.environ.get(n, "") for n in self.credentials_env
        ]

    def load_credentials(self) -> None:
        """Read the configured credentials now (at load, so SIGHUP re-reads rotated secrets).

        Raises:
            ValueError: ``credentials.<key>.<env|file>: problem``.
        """
        try:
            self._secrets = resolve(self.credentials)
        except ValueError as exc:
            raise ValueError(f"credentials.{exc}") from None


class ProbeSchedule(StrictModel):
    interval: Duration
    timeout: Duration = 60.0
    enabled: bool = True

    @property
    def stale_after(self) -> float:
        """Seconds without a finished run after which the probe counts as stale."""
        return 2 * self.interval + self.timeout


class RBProbeConfig(ProbeSchedule):
    interval: Duration = 6 * 3600.0
    timeout: Duration = 600.0
    qubits: list[Annotated[int, Field(ge=0, le=10_000)]] = Field(
        default=[0], min_length=1, max_length=2
    )
    lengths: list[Annotated[int, Field(ge=1, le=100_000)]] | None = Field(
        default=None, max_length=100
    )
    samples: int = Field(default=20, ge=2, le=10_000)
    shots: int = Field(default=256, ge=1, le=1_000_000)
    max_cost_usd: Usd | None = None
    max_daily_cost_usd: Usd | None = None
    interleave: str | None = Field(
        default=None,
        description=(
            "Also run interleaved RB of this gate (x, sx; cx, cz, ecr on two qubits) and export "
            'quantum_backend_gate_error_ratio{source="rb"}; doubles the probe\'s circuits.'
        ),
    )
    target_precision: float | None = Field(
        default=None,
        gt=0,
        lt=1,
        description=(
            "Adaptive design instead of fixed lengths and samples: rounds until the 95% "
            "interval's relative half-width on EPC (on the gate error when interleaving) is "
            "at most this, e.g. 0.05; lengths and samples then only set max_shots' default."
        ),
    )
    max_shots: int | None = Field(
        default=None,
        ge=1,
        le=10_000_000,
        description=(
            "Shot budget of an adaptive run, pilot included (default: samples x lengths x "
            "shots, what the fixed design would spend). Needs target_precision."
        ),
    )
    plot: bool = Field(
        default=False,
        description=(
            "Keep the last probe's decay plot per backend, served at /probes/<name>/rb.png (needs qobserve[plot])."
        ),
    )

    @model_validator(mode="after")
    def _interleave(self) -> RBProbeConfig:
        from qobserve.benchmarking.cliffords import INTERLEAVABLE

        gate = self.interleave
        if gate is not None and gate not in INTERLEAVABLE:
            raise ValueError(
                f"interleave: expected one of {', '.join(INTERLEAVABLE)}, got {gate!r}"
            )
        if gate is not None and INTERLEAVABLE[gate] != len(self.qubits):
            raise ValueError(
                f"interleave: {gate} acts on {INTERLEAVABLE[gate]} qubit(s) but qubits "
                f"has {len(self.qubits)}; give as many qubits as the gate acts on"
            )
        self._check_adaptive()
        if self.plot:
            from qobserve.benchmarking.plot import PLOT_EXTRA, _figure_class

            try:
                _figure_class()
            except ImportError:
                raise ValueError(
                    f"plot: needs matplotlib; pip install '{PLOT_EXTRA}' or set plot: false"
                ) from None
        return self

    @property
    def shot_budget(self) -> int:
        """Shots a run may spend: ``max_shots``, else the fixed design's total."""
        if self.max_shots is not None:
            return self.max_shots
        from qobserve.benchmarking import DEFAULT_LENGTHS

        lengths = self.lengths or DEFAULT_LENGTHS[len(self.qubits)]
        return (2 if self.interleave else 1) * len(lengths) * self.samples * self.shots

    def _check_adaptive(self) -> None:
        from qobserve.benchmarking.adaptive import minimum_shots

        if self.target_precision is None:
            if self.max_shots is not None:
                raise ValueError(
                    "max_shots: only used with target_precision; drop it or set "
                    "target_precision (e.g. 0.05)"
                )
            return
        floor = minimum_shots(len(self.qubits), self.shots, interleave=bool(self.interleave))
        if self.shot_budget < floor:
            raise ValueError(
                f"max_shots: the adaptive pilot and a first round need at least {floor:,} "
                f"shots at shots={self.shots}, got {self.shot_budget:,}; raise max_shots "
                "(or samples) or lower shots"
            )


class Probes(StrictModel):
    calibration: ProbeSchedule = ProbeSchedule(interval=300.0)
    status: ProbeSchedule = ProbeSchedule(interval=30.0, timeout=20.0)
    rb: RBProbeConfig | None = None


class Otlp(StrictModel):
    endpoint: str = Field(pattern=r"^https?://")


def _bcrypt_hash(hashed: str) -> str:
    import bcrypt

    ok = hashed.startswith(("$2a$", "$2b$", "$2y$"))
    if ok:
        try:
            bcrypt.checkpw(b"", hashed.encode())  # raises on a malformed salt or cost
        except ValueError:
            ok = False
    if not ok:
        raise ValueError(
            "not a valid bcrypt hash; make one with htpasswd -nBC 10 USER "
            "(or python -c 'import bcrypt; print(bcrypt.hashpw(b\"PW\", bcrypt.gensalt()).decode())')"
        )
    return hashed


BcryptHash = Annotated[str, AfterValidator(_bcrypt_hash)]


class Web(StrictModel):
    """TLS and basic auth, following Prometheus' web.yml (bcrypt hashes only)."""

    tls_cert_file: Path | None = Field(
        default=None, description="PEM certificate (chain); checked readable at load"
    )
    tls_key_file: Path | None = Field(
        default=None, description="PEM private key; checked readable at load"
    )
    basic_auth_users: dict[str, BcryptHash] = {}
    health_requires_auth: bool = Field(
        default=False,
        description=(
            "Ask basic auth on /healthz and /readyz too (default: open, for orchestrator probes)."
        ),
    )
    handshake_timeout: Duration = Field(
        default=10.0,
        description=(
            "Per-connection limit for the TLS handshake and each read; idle clients are dropped after it."
        ),
    )
    max_connections: int = Field(
        default=64,
        ge=1,
        le=10_000,
        description=("Connections served at once; more are closed immediately."),
    )

    @model_validator(mode="after")
    def _pairs(self) -> Web:
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("tls_cert_file and tls_key_file go together; set both or neither")
        return self


class ExporterConfig(StrictModel):
    listen: str = Field(default="127.0.0.1:9464", pattern=r"^[^:\s]*:\d{1,5}$")
    backends: list[BackendEntry] = Field(min_length=1)
    probes: Probes = Probes()
    otlp: Otlp | None = None
    web: Web = Web()
    state_dir: Path | None = Field(
        default=None,
        description=(
            "Where the exporter persists state (RB probe spend); default $QOBSERVE_STATE_DIR, "
            "then the XDG state directory."
        ),
    )

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
                raise ValueError(
                    f"{b.name!r} and {devices[key]!r} both probe {b.spec.name}; "
                    "list each device once"
                )
            devices[key] = b.name
        return backends

    @property
    def address(self) -> tuple[str, int]:
        host, _, port = self.listen.rpartition(":")
        return host or "0.0.0.0", int(port)


def load_config(path: str | Path) -> ExporterConfig:
    """Read and validate an exporter config file, then check the files it names
    (TLS, credentials) and read the credentials.

    Raises:
        ConfigError: one line naming the file, the field and the problem.
    """
    try:
        data = read_yaml(path, ConfigError, expect="a mapping with 'backends' and 'probes'")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8"
        ) from None
    except ValueError as exc:  # e.g. a NUL byte or an out-of-range YAML value
        raise ConfigError(f"{path}: cannot read: {str(exc).splitlines()[0]}") from None
    try:
        config = ExporterConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {validation_message(exc)}") from None
    except (
        ValueError,
        TypeError,
        RecursionError,
    ) as exc:  # a validator outside pydantic's wrapping
        raise ConfigError(
            f"{path}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        ) from None
    for name in ("tls_cert_file", "tls_key_file"):
        file = getattr(config.web, name)
        if file is not None and not (file.is_file() and os.access(file, os.R_OK)):
            raise ConfigError(
                f"{path}: web.{name}: cannot read {file}; give the path of a readable PEM file"
            )
    for i, entry in enumerate(config.backends):
        where = f"{path}: backends[{i}]"
        try:
            entry.load_credentials()
        except ValueError as exc:
            raise ConfigError(f"{where}.{exc}") from None
        if entry.spec.kind is BackendKind.VIRTUAL and entry.backend.startswith("qiskit:"):
            problem = _unknown_fake_backend(entry.spec.target)
            if problem:
                raise ConfigError(f"{where}.backend: {problem}")
    return config


def _unknown_fake_backend(name: str) -> str | None:
    """Why ``name`` is not a Qiskit fake backend (None when it is, or Qiskit is absent)."""
    try:
        import qiskit_ibm_runtime.fake_provider as fake_provider
    except ImportError:
        return None  # the probe will say which extra to install
    known = sorted(
        n
        for n in (
            getattr(getattr(fake_provider, a), "backend_name", None)
            for a in dir(fake_provider)
            if a.startswith("Fake")
        )
        if isinstance(n, str)
    )
    if name in known:
        return None
    import difflib

    close = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean qiskit:{close[0]}?" if close else "see qiskit_ibm_runtime.fake_provider"
    return f"no Qiskit fake backend named {name!r}; {hint}"
