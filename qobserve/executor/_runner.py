"""One submission interface over Qiskit backends, Braket devices and Cirq samplers.

The executor only needs four things from a backend: submit a circuit and get
a handle, wait for the handle with a timeout, cancel it (knowing whether it had
already finished), and read calibration/status for the gates. :class:`Backend`
is that interface; :func:`adapt` wraps an SDK object in it. Anything else that
implements it, such as :class:`qobserve.chaos.ChaosBackend`, is a target too.

Optional extras a backend may have: ``remote`` (True for a cloud service),
``connect(timeout)`` (build the connection before the first job; raises
:class:`~qobserve.executor._cloud.TargetUnreachableError`) and
``find(client_id, since)`` (the :class:`Submission` of a job already sent with
that client id, or None), which the executor uses when a submission's outcome
is unknown. Cloud specs are adapted lazily: nothing touches the network until
``connect``.

Counts are returned in Qiskit's convention whatever the SDK: one character per
classical bit, bit 0 rightmost.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Protocol, runtime_checkable

from qobserve.backends import BackendKind, BackendSpec, parse_backend
from qobserve.calibration import BackendStatus, Calibration
from qobserve.errors import transport_failure
from qobserve.executor import _cloud
from qobserve.executor._cloud import TargetUnreachableError
from qobserve.executor._convert import convert
from qobserve.semconv import Attr, Provider

__all__ = ["Backend", "Submission", "adapt"]

log = logging.getLogger("qobserve.executor")

_CLIENT_ID = Attr.CLIENT_JOB_ID.value


@runtime_checkable
class Submission(Protocol):
    """An accepted job."""

    job_id: str

    def wait(self, timeout: float | None) -> dict[str, int]:
        """Counts of the finished job; raises TimeoutError if not done in time."""

    def cancel(self) -> bool:
        """True when the job is confirmed cancelled (it will not run); False when
        it had already finished (its result can be adopted). Raises when unsure."""


@runtime_checkable
class Backend(Protocol):
    """A place to run circuits."""

    provider: Provider
    name: str

    def prepare(self, circuit: Any) -> Any:
        """The circuit in this backend's SDK, ready to submit (may raise ConversionError)."""

    def submit(self, prepared: Any, shots: int, *, client_id: str) -> Submission:
        """Send one job; ``client_id`` is the logical job's stable id."""

    def calibration(self) -> Calibration | None:
        """Calibration snapshot, or None when the backend cannot say."""

    def status(self) -> BackendStatus | None:
        """Operational state and queue, or None when the backend cannot say."""


class _SdkBackend:
    """Shared parts of the SDK adapters: identity, conversion, device readings,
    and the lazy, bounded build of a cloud target's SDK object."""

    def __init__(
        self,
        native: Any,
        spec: BackendSpec | None,
        provider: Provider,
        name: str,
        loader: Callable[[], Any] | None = None,
    ) -> None:
        self._native = native
        self._loader = loader
        self._building: Future | None = None
        self._build_lock = threading.Lock()
        self.spec = spec
        self.provider = provider
        self.name = name
        self.remote = spec is not None and spec.kind is BackendKind.CLOUD

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.provider.value}:{self.name}>"

    @property
    def native(self) -> Any:
        """The SDK object (built on first use for cloud targets)."""
        if self._native is None:
            self.connect(None)
        return self._native

    def connect(self, timeout: float | None) -> None:
        """Build the SDK object if not yet built, waiting at most ``timeout`` seconds.

        Raises:
            TargetUnreachableError: the provider's API did not answer in time, or
                the connection failed (a build still running is reused next time).
        """
        if self._native is not None or self._loader is None:
            return
        with self._build_lock:
            building = self._building
            if building is None:
                building = self._building = Future()
                threading.Thread(
                    target=self._build,
                    args=(building, self._loader),
                    daemon=True,
                    name=f"qobserve-connect-{self.name}",
                ).start()
        try:
            self._native = building.result(timeout)
        except TimeoutError:
            raise TargetUnreachableError(self.name, f"no answer within {timeout:g}s") from None
        except Exception as exc:
            why = transport_failure(exc)
            if why is None:
                raise
            raise TargetUnreachableError(self.name, why) from exc

    def _build(self, future: Future, loader: Callable[[], Any]) -> None:
        try:
            future.set_result(loader())
        except BaseException as exc:  # handed to the waiting caller
            with self._build_lock:
                self._building = None  # the next job tries again
            future.set_exception(exc)

    def prepare(self, circuit: Any) -> Any:
        return convert(circuit, self.provider)

    def calibration(self) -> Calibration | None:
        return self._read("read_calibration")

    def status(self) -> BackendStatus | None:
        return self._read("read_status")

    def _read(self, fn: str):
        if self.spec is None:
            return None
        try:
            from qobserve import calibration

            return getattr(calibration, fn)(self.spec, self.native)
        except (ImportError, AttributeError, NotImplementedError):
            return None  # the SDK's device module does not report this


class _Done:
    """A submission that completed synchronously (Cirq samplers, local Braket)."""

    def __init__(self, job_id: str, counts: dict[str, int]) -> None:
        self.job_id = job_id
        self._counts = counts

    def wait(self, timeout: float | None) -> dict[str, int]:
        return self._counts

    def cancel(self) -> bool:
        return False


class _QiskitJob:
    def __init__(self, job: Any, *, primitive: bool = False) -> None:
        self.job = job
        self.job_id = str(job.job_id())
        self.primitive = primitive

    def wait(self, timeout: float | None) -> dict[str, int]:
        result = self.job.result(timeout=timeout)
        if self.primitive:  # SamplerV2: one pub, counts joined over classical registers
            counts = result[0].join_data().get_counts()
        else:
            counts = result.get_counts()
            if isinstance(counts, list):
                counts = counts[0]
        return {k.replace(" ", ""): int(v) for k, v in counts.items()}

    def cancel(self) -> bool:
        if self.job.done():
            return False
        self.job.cancel()
        return not self.job.done() or self.job.status().name == "CANCELLED"


class QiskitBackend(_SdkBackend):
    """A Qiskit ``BackendV2``: circuits are transpiled once per target when it has
    a restricted instruction set (fake and IBM devices), then ``backend.run``."""

    def __init__(
        self, native: Any, spec: BackendSpec | None = None, loader: Callable[[], Any] | None = None
    ) -> None:
        name = spec.name if spec else str(getattr(native, "name", type(native).__name__))
        super().__init__(native, spec, Provider.QISKIT, name, loader)
        self._simulator = (
            type(native).__name__ == "AerSimulator"
            and spec is not None
            and spec.kind.value == "simulator"
        )

    def prepare(self, circuit: Any) -> Any:
        qc = convert(circuit, Provider.QISKIT)
        if not self._simulator:
            from qiskit import transpile

            qc = transpile(qc, self.native, seed_transpiler=0, optimization_level=1)
        return qc

    def submit(self, prepared: Any, shots: int, *, client_id: str) -> Submission:
        if self.spec is not None and self.spec.kind.value == "cloud":
            # IBM Quantum runs circuits through primitives; job tags carry the client id.
            from qiskit_ibm_runtime import SamplerV2

            sampler = SamplerV2(mode=self.native)
            sampler.options.environment.job_tags = [f"{Attr.CLIENT_JOB_ID.value}={client_id}"]
            return _QiskitJob(sampler.run([prepared], shots=shots), primitive=True)
        # Aer and fake backends have no job tags: the circuit metadata carries the id
        # (on a shallow copy: the prepared circuit is shared by concurrent jobs).
        circuit = _shallow_copy(prepared)
        circuit.metadata = {**(prepared.metadata or {}), _CLIENT_ID: client_id}
        return _QiskitJob(self.native.run(circuit, shots=shots))

    def find(self, client_id: str, since: float) -> Submission | None:
        """The IBM Quantum job tagged with ``client_id`` (cloud targets only)."""
        if not self.remote:
            return None
        job = _cloud.ibm_find(self.native, client_id, since)
        return None if job is None else _QiskitJob(job, primitive=True)


def _shallow_copy(obj: Any) -> Any:
    """What ``copy.copy`` makes of a plain object (same class, same ``__dict__`` values)
    without its ``__reduce_ex__`` round trip, a fifth of a small job's overhead."""
    clone = object.__new__(type(obj))
    clone.__dict__.update(obj.__dict__)
    return clone


_BRAKET_TERMINAL = ("COMPLETED", "FAILED", "CANCELLED")
_BRAKET_POLL = 1.0  # seconds between state polls of a cloud task


class _BraketTask:
    def __init__(self, task: Any) -> None:
        self.task = task
        self.job_id = str(task.id)

    def wait(self, timeout: float | None) -> dict[str, int]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while str(self.task.state()) not in _BRAKET_TERMINAL:
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"task {self.job_id} not finished after {timeout:.3g}s")
            time.sleep(_BRAKET_POLL)
        return _reverse(self.task.result().measurement_counts)

    def cancel(self) -> bool:
        if str(self.task.state()) in _BRAKET_TERMINAL:
            return False
        self.task.cancel()
        return True


class BraketBackend(_SdkBackend):
    """A Braket ``Device``: OpenQASM 3 programs; cloud tasks carry the client id as a tag."""

    def __init__(
        self, native: Any, spec: BackendSpec | None = None, loader: Callable[[], Any] | None = None
    ) -> None:
        name = spec.name if spec else str(getattr(native, "name", "braket"))
        super().__init__(native, spec, Provider.BRAKET, name, loader)
        self._cloud = self.remote or type(native).__name__ == "AwsDevice"

    def submit(self, prepared: Any, shots: int, *, client_id: str) -> Submission:
        if self._cloud:
            _cloud.send_client_tokens(self.native.aws_session.braket_client)
            return _BraketTask(
                self.native.run(prepared, shots=shots, tags={Attr.CLIENT_JOB_ID.value: client_id})
            )
        task = self.native.run(prepared, shots=shots)
        return _Done(str(task.id), _reverse(task.result().measurement_counts))

    def find(self, client_id: str, since: float) -> Submission | None:
        """The AWS task tagged with ``client_id`` (cloud devices only)."""
        if not self._cloud:
            return None
        task = _cloud.braket_find(self.native, client_id, since)
        return None if task is None else _BraketTask(task)


class CirqBackend(_SdkBackend):
    """A Cirq ``Sampler`` (simulators, virtual-engine processors): ``run`` is synchronous."""

    def __init__(self, native: Any, spec: BackendSpec | None = None) -> None:
        super().__init__(native, spec, Provider.CIRQ, spec.name if spec else type(native).__name__)
        self._n = 0

    def submit(self, prepared: Any, shots: int, *, client_id: str) -> Submission:
        result = self.native.run(prepared, repetitions=shots)
        self._n += 1
        return _Done(f"{self.name}-{self._n}", _cirq_counts(prepared, result))


def _reverse(counts: Any) -> dict[str, int]:
    """Braket lists qubit 0 leftmost; Qiskit's convention puts bit 0 rightmost."""
    return {k[::-1]: int(v) for k, v in Counter(counts).items()}


def _cirq_counts(circuit: Any, result: Any) -> dict[str, int]:
    """Measurement keys in natural order (``c_0, c_1, … c_10``, as QASM import names
    them per bit) become bits 0, 1, …; a multi-qubit key contributes its bits in order."""
    import numpy as np

    keys = sorted(result.measurements, key=_natural)
    bits = np.concatenate([result.measurements[k] for k in keys], axis=1)[:, ::-1]
    return dict(Counter("".join(map(str, row)) for row in bits.tolist()))


def _natural(key: str) -> tuple[str, int]:
    m = re.match(r"^(.*?)(\d+)$", key)
    return (m.group(1), int(m.group(2))) if m else (key, -1)


_ADAPTERS = {
    Provider.QISKIT: QiskitBackend,
    Provider.BRAKET: BraketBackend,
    Provider.CIRQ: CirqBackend,
}


def adapt(
    target: Any, *, seed: int | None = None, field: str = "targets", connection=None
) -> Backend:
    """A :class:`Backend` for a backend spec string, a :class:`BackendSpec`, an SDK
    backend object, or something already implementing the interface.

    A cloud spec (``braket:arn:…``, ``qiskit:ibm_…``) is adapted without any
    network call: its SDK object is built by ``connect`` (or the first use),
    bounded by ``connection`` (a :class:`~qobserve.executor.ConnectionPolicy`).

    Raises:
        ValueError: naming ``field`` for an unknown spec or object.
    """
    if isinstance(target, Backend):
        return target
    if isinstance(target, str):
        target = parse_backend(target, field=field)
    if isinstance(target, BackendSpec):
        if target.kind is BackendKind.CLOUD and target.provider in (
            Provider.BRAKET,
            Provider.QISKIT,
        ):
            from qobserve.executor._policies import ConnectionPolicy

            policy = connection or ConnectionPolicy()
            spec = target
            load = _cloud.load_braket if spec.provider is Provider.BRAKET else _cloud.load_ibm
            return _ADAPTERS[spec.provider](None, spec, lambda: load(spec.target, policy))
        return _ADAPTERS[target.provider](target.load(seed=seed), target)
    family = type(target).__module__.split(".", 1)[0]
    provider = {
        "qiskit": Provider.QISKIT,
        "qiskit_aer": Provider.QISKIT,
        "qiskit_ibm_runtime": Provider.QISKIT,
        "braket": Provider.BRAKET,
        "cirq": Provider.CIRQ,
        "cirq_google": Provider.CIRQ,
    }.get(family)
    if provider is None:
        raise ValueError(
            f"{field}: {type(target).__name__} is not a backend; pass a spec such "
            "as 'qiskit:aer', a Qiskit/Braket/Cirq backend object, or a Backend"
        )
    return _ADAPTERS[provider](target, None)
