"""No call waits forever: default deadline and attempt timeout, lazy bounded cloud connections."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from qobserve.chaos import ChaosBackend, Faults
from qobserve.errors import ErrorKind, classify
from qobserve.executor import (
    ConnectionPolicy,
    ExecutorPolicy,
    JobFailedError,
    ResilientExecutor,
    RetryPolicy,
)
from qobserve.executor._cloud import TargetUnreachableError
from qobserve.executor._policies import DEFAULT_ATTEMPT_TIMEOUT, DEFAULT_DEADLINE

SV1 = "braket:arn:aws:braket:::device/quantum-simulator/amazon/sv1"
ARIA = "braket:arn:aws:braket:us-east-1::device/qpu/ionq/Aria-1"


def test_default_bounds_are_finite_and_documented():
    """The defaults: 24 h per logical job, 6 h per accepted job, bounded API calls."""
    assert DEFAULT_DEADLINE == 86400.0 and DEFAULT_ATTEMPT_TIMEOUT == 21600.0
    assert ExecutorPolicy().deadline == DEFAULT_DEADLINE
    assert RetryPolicy().attempt_timeout == DEFAULT_ATTEMPT_TIMEOUT
    c = ConnectionPolicy()
    assert (c.connect_timeout, c.read_timeout, c.max_attempts, c.setup_timeout) == (
        5.0,
        30.0,
        2,
        60.0,
    )
    ex = ResilientExecutor(["cirq:simulator"])
    assert ex.deadline == DEFAULT_DEADLINE and ex.retry.attempt_timeout == DEFAULT_ATTEMPT_TIMEOUT
    assert ResilientExecutor(["cirq:simulator"], deadline=None).deadline == DEFAULT_DEADLINE


@pytest.mark.parametrize("bad", [0, -1, float("inf"), float("nan")])
def test_deadline_must_be_finite(bad):
    """An infinite or non-positive deadline is refused, naming the field."""
    with pytest.raises(ValueError, match="deadline"):
        ResilientExecutor(["cirq:simulator"], deadline=bad)


def test_hung_job_returns_within_the_deadline(bell):
    """A job that never finishes ends at the deadline (the default policy, scaled down)."""
    ex = ResilientExecutor(
        [ChaosBackend("qiskit:aer", Faults(timeout_rate=1.0))],
        retry=RetryPolicy(max_attempts=1),
        deadline=0.5,
    )
    t0 = time.monotonic()
    with pytest.raises(JobFailedError):
        ex.run(bell, shots=10)
    assert time.monotonic() - t0 < 3.0  # 0.5 s, with room for a loaded CI machine


def test_constructor_never_touches_the_network(monkeypatch):
    """Cloud targets are adapted without a single connection attempt."""

    def refuse(*args, **kwargs):
        raise AssertionError("network touched in the constructor")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    t0 = time.monotonic()
    ex = ResilientExecutor([ARIA, "qiskit:ibm_brisbane", "cirq:simulator"])
    assert time.monotonic() - t0 < 1.0
    assert [b.name for b in ex.backends] == ["Aria-1", "ibm_brisbane", "cirq_simulator"]


class BlackHole:
    """A TCP listener on 127.0.0.1 that accepts every connection and never answers."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            self._held.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self._held:
            conn.close()


@pytest.fixture
def black_hole(monkeypatch):
    """AWS credentials for nobody and the Braket endpoint pointed at a black hole."""
    import braket.aws  # noqa: F401  (imported here: the timings below measure the network)
    import cirq  # noqa: F401

    hole = BlackHole()
    monkeypatch.setenv("BRAKET_ENDPOINT", f"http://127.0.0.1:{hole.port}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    yield hole
    hole.close()


def test_unreachable_cloud_target_falls_back_within_its_timeouts(bell, black_hole, otel):
    """A Braket endpoint that never answers is skipped after read_timeout × attempts; the
    local simulator runs the job, and the skip says why (provenance and a span event)."""
    policy = ConnectionPolicy(
        connect_timeout=0.5, read_timeout=0.5, max_attempts=1, setup_timeout=5
    )
    ex = ResilientExecutor([SV1, "cirq:simulator"], connection=policy, **otel.providers)
    t0 = time.monotonic()
    result = ex.run(bell, shots=20)
    elapsed = time.monotonic() - t0
    assert result.provenance.backend == "cirq_simulator"
    (skip,) = result.provenance.skipped
    assert skip.backend == "SV1" and skip.reason.startswith("unreachable: ReadTimeout")
    assert black_hole.accepted == 1  # one GetDevice request, no SDK retry (max_attempts=1)
    # That request's 0.5 s read timeout, then the simulator: under setup_timeout (5 s).
    assert 0.5 <= elapsed < 4.0
    (job,) = [sp for sp in otel.spans() if sp.name == "qobserve executor job"]
    (event,) = [e for e in job.events if e.name == "target_skipped"]
    assert event.attributes["quantum.backend"] == "SV1"
    assert event.attributes["qobserve.skip_reason"] == skip.reason


def test_setup_timeout_bounds_a_connection_whatever_the_sdk_does(bell, black_hole):
    """Even with long SDK timeouts, setup_timeout skips the target on time."""
    policy = ConnectionPolicy(
        connect_timeout=30, read_timeout=30, max_attempts=3, setup_timeout=0.5
    )
    ex = ResilientExecutor([SV1, "cirq:simulator"], connection=policy)
    t0 = time.monotonic()
    result = ex.run(bell, shots=20)
    # 0.5 s plus the fallback's run, not the SDK's 3 × 30 s: a generous bound keeps a
    # loaded CI machine from failing it while a missing timeout still does.
    assert time.monotonic() - t0 < 30.0
    assert result.provenance.skipped[0].reason == "unreachable: no answer within 0.5s"
    assert result.provenance.backend == "cirq_simulator"


def test_unreachable_is_not_an_invalid_token():
    """An SDK error that blames the token but wraps a failed connection is classified unreachable."""
    import requests
    from qiskit_ibm_runtime.accounts.exceptions import InvalidAccountError

    try:
        try:
            raise requests.exceptions.ConnectTimeout("connect timed out")
        except requests.exceptions.ConnectTimeout as cause:
            raise InvalidAccountError(
                "Unable to retrieve instances. Please check that you are using a valid API token."
            ) from cause
    except InvalidAccountError as exc:
        info = classify(exc)
    assert (info.kind, info.error_type) == (ErrorKind.REROUTE, "unreachable")
    assert classify(TargetUnreachableError("ibm_brisbane", "x")).error_type == "unreachable"
    plain = classify(InvalidAccountError("Please check that you are using a valid API token."))
    assert plain.kind is ErrorKind.PERMANENT


def test_unreachable_target_opens_its_breaker(bell, black_hole):
    """Repeated unreachable connections open the breaker: later jobs skip without waiting."""
    policy = ConnectionPolicy(read_timeout=2, max_attempts=1, setup_timeout=2)
    ex = ResilientExecutor(
        [SV1, "cirq:simulator"], connection=policy, breaker={"failure_threshold": 1, "cooldown": 60}
    )
    ex.run(bell, shots=10)
    t0 = time.monotonic()
    result = ex.run(bell, shots=10)
    assert time.monotonic() - t0 < 1.0  # no 2 s wait on the black hole
    assert result.provenance.skipped[0].reason == "breaker open"


def test_null_in_a_policy_file_means_the_default_bound(tmp_path):
    """`deadline: null` keeps the 24 h default; `attempt_timeout: null` waits up to the deadline."""
    from qobserve.executor import load_policy

    path = tmp_path / "policy.yaml"
    path.write_text("deadline: null\nretry: {attempt_timeout: null}\n")
    ex = ResilientExecutor.from_policy(["cirq:simulator"], load_policy(path))
    assert ex.deadline == DEFAULT_DEADLINE and ex.retry.attempt_timeout is None


def test_a_cloud_wait_is_bounded_even_if_the_sdk_hangs(bell):
    """A cloud job whose status poll never returns (no HTTP read timeout) is treated as late."""
    import threading as th

    from qobserve.semconv import Provider

    release = th.Event()

    class Hangs:
        job_id = "stuck"

        def wait(self, timeout):
            release.wait()  # ignores its timeout, as an SDK blocked on a socket read would
            return {"00": 1}

        def cancel(self):
            return True

    class Cloud:
        provider, name, remote = Provider.QISKIT, "ibm_stuck", True

        def prepare(self, c):
            return c

        def submit(self, prepared, shots, *, client_id):
            return Hangs()

        def calibration(self):
            return None

        def status(self):
            return None

    ex = ResilientExecutor(
        [Cloud()],
        retry=RetryPolicy(max_attempts=1, attempt_timeout=0.2),
        connection=ConnectionPolicy(setup_timeout=0.3),
    )
    t0 = time.monotonic()
    with pytest.raises(JobFailedError):
        ex.run(bell, shots=10)
    release.set()
    assert time.monotonic() - t0 < 3.0  # 0.2 s wait + 0.3 s bound, then a confirmed cancel


def test_unreachable_ibm_quantum_falls_back_not_invalid_token(bell, monkeypatch):
    """IBM Quantum behind a proxy that never answers: skipped as unreachable after setup_timeout
    (not 62 s and an 'invalid API token' error), and the simulator runs the job."""
    import qiskit_ibm_runtime  # noqa: F401  (import time is not the network's)

    hole = BlackHole()
    for var in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
        monkeypatch.setenv(var, f"http://127.0.0.1:{hole.port}")
    for var in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("QISKIT_IBM_TOKEN", "not-a-real-token")
    monkeypatch.setenv(
        "QISKIT_IBM_INSTANCE", "crn:v1:bluemix:public:quantum-computing:us-east:a/0:i::"
    )
    try:
        ex = ResilientExecutor(
            ["qiskit:ibm_brisbane", "cirq:simulator"], connection=ConnectionPolicy(setup_timeout=1)
        )
        t0 = time.monotonic()
        result = ex.run(bell, shots=10)
        elapsed = time.monotonic() - t0
    finally:
        hole.close()
    assert result.provenance.backend == "cirq_simulator"
    assert result.provenance.skipped[0].reason == "unreachable: no answer within 1s"
    assert hole.accepted >= 1 and elapsed < 4.0
    assert "token" not in repr(result.provenance).lower()


def test_a_status_read_that_hangs_skips_the_target(bell):
    """The operational gate's status read on a cloud target is bounded like a connection."""
    import threading as th

    from qobserve.semconv import Provider

    release = th.Event()

    class SlowStatus:
        provider, name, remote = Provider.QISKIT, "ibm_silent", True

        def prepare(self, c):
            return c

        def submit(self, prepared, shots, *, client_id):
            raise AssertionError("a target whose status never came must not get the job")

        def calibration(self):
            return None

        def status(self):
            release.wait()  # an HTTP read without a timeout

    ex = ResilientExecutor(
        [SlowStatus(), "cirq:simulator"], connection=ConnectionPolicy(setup_timeout=0.3)
    )
    t0 = time.monotonic()
    result = ex.run(bell, shots=10)
    release.set()
    assert time.monotonic() - t0 < 3.0
    assert result.provenance.skipped[0].reason == "unreachable: no status within 0.3s"
    assert result.provenance.backend == "cirq_simulator"
