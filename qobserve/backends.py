"""Backend specs: one string names a backend everywhere (CLI, configs, code).

``qiskit:aer``, ``qiskit:fake_manila``, ``qiskit:ibm_brisbane``, ``braket:local``,
``braket:local_dm``, ``braket:arn:aws:braket:…``, ``cirq:simulator``,
``cirq:density_matrix``, ``cirq_google:willow_pink``. Parsing is pure and
offline; :meth:`BackendSpec.load` imports the SDK and builds its object only
when asked, so an estimate or a config check never calls a cloud API.

A noise spec (``depolarizing:0.01``) injects noise into simulators for
validation; ``depolarizing:λ`` is the channel ρ → (1−λ)ρ + λ·I/d (Qiskit Aer's
``depolarizing_error(λ)``), converted for the other SDKs by :class:`NoiseSpec`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from qobserve.semconv import Provider

__all__ = ["BackendKind", "BackendSpec", "NoiseSpec", "parse_backend", "parse_noise"]


class BackendKind(StrEnum):
    SIMULATOR = "simulator"  # local, free, offline
    VIRTUAL = "virtual"  # local emulation of a device (fake backend, virtual engine)
    CLOUD = "cloud"  # a provider's service: needs credentials and network


@dataclass(frozen=True)
class NoiseSpec:
    """A depolarizing strength λ in [0, 1] in Aer's convention."""

    kind: str
    strength: float

    def pauli_probability(self, num_qubits: int = 1) -> float:
        """λ as the total Pauli-error probability p of Cirq's ``depolarize(p)`` and
        Braket's ``Depolarizing(p)``: p = λ(d²−1)/d² (3λ/4 for one qubit, 15λ/16 for two)."""
        d2 = 4**num_qubits
        return self.strength * (d2 - 1) / d2

    def __str__(self) -> str:
        return f"{self.kind}:{self.strength:g}"


def parse_noise(text: str | None, *, field: str = "noise") -> NoiseSpec | None:
    """Parse ``depolarizing:λ``.

    Raises:
        ValueError: naming ``field`` and the accepted form.
    """
    if text is None or text == "":
        return None
    kind, _, value = str(text).partition(":")
    if kind != "depolarizing" or not value:
        raise ValueError(f"{field}: expected 'depolarizing:<λ in [0,1]>', got {text!r}")
    try:
        strength = float(value)
    except ValueError:
        raise ValueError(
            f"{field}: {value!r} is not a number; use e.g. depolarizing:0.01"
        ) from None
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"{field}: depolarizing strength must be in [0, 1], got {strength}")
    return NoiseSpec(kind, strength)


_QISKIT_SIMULATORS = {"aer": "aer_simulator"}
_BRAKET_LOCAL = {"local": "braket_sv", "local_sv": "braket_sv", "local_dm": "braket_dm"}
_CIRQ_LOCAL = {"simulator": "cirq_simulator", "density_matrix": "cirq_density_matrix"}
_FORMS = (
    "qiskit:aer, qiskit:fake_<name>, qiskit:ibm_<name>, braket:local, braket:local_dm, "
    "braket:arn:aws:braket:..., cirq:simulator, cirq:density_matrix, cirq_google:<processor>"
)


def _braket_device_name(arn: str) -> str:
    """The device name AWS reports (``SV1``, ``Aria-1``), from the ARN alone (offline).
    Amazon's managed simulators have lower-case ARNs but upper-case names."""
    last = arn.rsplit("/", 1)[-1]
    return last.upper() if "/quantum-simulator/amazon/" in arn else last


@dataclass(frozen=True)
class BackendSpec:
    """A parsed backend spec.

    Attributes:
        spec: the text it was parsed from.
        provider: SDK family, the ``quantum_provider`` label.
        name: device name, the ``quantum_backend`` label.
        kind: simulator, virtual device or cloud service.
        target: the provider-specific part (fake backend name, ARN, processor id).
        noise: injected simulator noise, if any.
    """

    spec: str
    provider: Provider
    name: str
    kind: BackendKind
    target: str
    noise: NoiseSpec | None = None

    def __str__(self) -> str:
        return self.spec if self.noise is None else f"{self.spec} (noise {self.noise})"

    def load(self, *, seed: int | None = None, credentials: Mapping[str, str] | None = None) -> Any:
        """Build the SDK object: a Qiskit backend, a Braket device, or a Cirq sampler.

        Args:
            seed: simulator seed.
            credentials: explicit cloud credentials (keys of
                :class:`qobserve.exporter.credentials.Credentials`: ``ibm_token``,
                ``ibm_instance``, ``aws_profile``, ``aws_access_key_id``, …); without
                them the SDK's own environment variables and files are used.

        Raises:
            ImportError: naming the extra to install when the SDK is missing.
        """
        creds = dict(credentials or {})
        try:
            if self.provider is Provider.QISKIT:
                return _load_qiskit(self, seed, creds)
            if self.provider is Provider.BRAKET:
                return _load_braket(self, creds)
            return _load_cirq(self, seed)
        except ModuleNotFoundError as exc:
            raise ImportError(
                f"backend {self.spec!r} needs the {self.provider.value} SDK: "
                f"pip install 'qobserve[{self.provider.value}]' ({exc.name} is missing)"
            ) from exc


def parse_backend(
    spec: str, noise: str | NoiseSpec | None = None, *, field: str = "backend"
) -> BackendSpec:
    """Parse a backend spec string (no SDK import, no network).

    Raises:
        ValueError: naming ``field``, the bad spec and the accepted forms.
    """
    where = f"{field}: " if field else ""
    if not isinstance(spec, str) or ":" not in spec:
        raise ValueError(f"{where}{spec!r} is not a backend spec; expected one of {_FORMS}")
    family, _, target = spec.partition(":")
    noise_spec = (
        noise if isinstance(noise, NoiseSpec) else parse_noise(noise, field=field or "noise")
    )
    kind: BackendKind
    if family == "qiskit" and target in _QISKIT_SIMULATORS:
        provider, name, kind = Provider.QISKIT, _QISKIT_SIMULATORS[target], BackendKind.SIMULATOR
    elif family == "qiskit" and target.startswith("fake_") and len(target) > 5:
        provider, name, kind = Provider.QISKIT, target, BackendKind.VIRTUAL
    elif family == "qiskit" and target.startswith("ibm_") and len(target) > 4:
        provider, name, kind = Provider.QISKIT, target, BackendKind.CLOUD
    elif family == "braket" and target in _BRAKET_LOCAL:
        provider, name, kind = Provider.BRAKET, _BRAKET_LOCAL[target], BackendKind.SIMULATOR
    elif family == "braket" and target.startswith("arn:aws:braket:"):
        provider, name, kind = Provider.BRAKET, _braket_device_name(target), BackendKind.CLOUD
    elif family == "cirq" and target in _CIRQ_LOCAL:
        provider, name, kind = Provider.CIRQ, _CIRQ_LOCAL[target], BackendKind.SIMULATOR
    elif family == "cirq_google" and target:
        provider, name, kind = Provider.CIRQ, target, BackendKind.VIRTUAL
    else:
        raise ValueError(f"{where}unknown backend spec {spec!r}; expected one of {_FORMS}")
    if noise_spec is not None and kind is BackendKind.CLOUD:
        raise ValueError(f"{where}noise can only be injected into simulators, not {spec!r}")
    return BackendSpec(spec, provider, name, kind, target, noise_spec)


def _load_qiskit(spec: BackendSpec, seed: int | None, creds: dict[str, str]):
    if spec.kind is BackendKind.CLOUD:
        from qiskit_ibm_runtime import QiskitRuntimeService

        # Explicit credentials when given, else the SDK's own environment
        # variables or saved account; qobserve never logs the token.
        explicit = {k: creds[f"ibm_{k}"] for k in ("token", "instance") if creds.get(f"ibm_{k}")}
        return QiskitRuntimeService(
            channel=os.environ.get("QISKIT_IBM_CHANNEL", "ibm_quantum_platform"), **explicit
        ).backend(spec.target)
    from qiskit_aer import AerSimulator

    if spec.kind is BackendKind.VIRTUAL:
        device = _fake_backend(spec.target)
        if spec.noise is None:
            return device
        sim = AerSimulator.from_backend(device, noise_model=_qiskit_noise(spec.noise))
    else:
        sim = AerSimulator(noise_model=_qiskit_noise(spec.noise)) if spec.noise else AerSimulator()
    if seed is not None:
        sim.set_options(seed_simulator=seed)
    return sim


def _fake_backend(name: str):
    """Instantiate one fake backend by name; the fake provider would build all ~70 of them."""
    import qiskit_ibm_runtime.fake_provider as fake_provider
    from qiskit.providers import BackendV2

    for attr in dir(fake_provider):
        cls = getattr(fake_provider, attr)
        if (
            isinstance(cls, type)
            and issubclass(cls, BackendV2)
            and getattr(cls, "backend_name", None) == name
        ):
            return cls()
    raise ValueError(
        f"backend: no Qiskit fake backend named {name!r}; "
        "see qiskit_ibm_runtime.fake_provider for the list"
    )


def _qiskit_noise(noise: NoiseSpec):
    from qiskit_aer.noise import NoiseModel, depolarizing_error

    model = NoiseModel()
    model.add_all_qubit_quantum_error(
        depolarizing_error(noise.strength, 1),
        ["x", "y", "z", "h", "s", "sdg", "sx", "rx", "ry", "rz", "u"],
    )
    model.add_all_qubit_quantum_error(depolarizing_error(noise.strength, 2), ["cx", "cz", "ecr"])
    return model


def _load_braket(spec: BackendSpec, creds: dict[str, str]):
    if spec.kind is BackendKind.CLOUD:
        from braket.aws import AwsDevice

        if any(k.startswith("aws_") for k in creds):
            from qobserve._aws import aws_session

            return AwsDevice(spec.target, aws_session=aws_session(creds))
        return AwsDevice(spec.target)
    from braket.devices import LocalSimulator

    backend = "braket_dm" if spec.noise is not None else spec.name
    return LocalSimulator(backend)


def _load_cirq(spec: BackendSpec, seed: int | None):
    import cirq

    if spec.kind is BackendKind.VIRTUAL:
        import cirq_google

        engine = cirq_google.engine.create_default_noisy_quantum_virtual_machine(
            spec.target, cirq.Simulator
        )
        return engine.get_processor(spec.target).get_sampler()
    noise = None if spec.noise is None else cirq.depolarize(spec.noise.pauli_probability(1))
    if spec.name == "cirq_simulator" and noise is None:
        return cirq.Simulator(seed=seed)
    return cirq.DensityMatrixSimulator(noise=noise, seed=seed)
