"""The exporter as deployed: uid 10001, no HOME, read-only root, TLS + basic auth, real Prometheus.

The sandbox is bubblewrap (Debian ``bubblewrap``): as root, ``bwrap`` builds a
mount namespace with the whole filesystem read-only, a fresh writable /tmp
(the image's tmp emptyDir) and the state directory bound writable, then
``setpriv`` drops to the real uid/gid 10001 with no capabilities and ``env -i``
leaves no HOME, the way the image runs under ``readOnlyRootFilesystem``. Not as
root, bwrap maps uid 10001 in an unprivileged user namespace instead (the
closest a non-root developer gets). A missing ``bwrap`` fails the test.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import bcrypt
import pytest
import yaml

from qobserve.testing import Service, ServiceError
from qobserve.testing.services import free_port, wait_until

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
UID = 10001
IMAGE_ENV = {"NUMBA_CACHE_DIR": "/tmp/numba-cache", "MPLCONFIGDIR": "/tmp/matplotlib"}


def _hidden_parent(path: Path) -> Path | None:
    """The first ancestor of ``path`` that others cannot enter (e.g. /root for a pyenv Python)."""
    for parent in reversed(path.parents):
        if parent != Path("/") and not os.stat(parent).st_mode & 0o001:
            return parent
    return None


def _dirs_between(top: Path, path: Path) -> list[str]:
    """bwrap options creating the directories strictly between ``top`` and ``path`` as 0755
    (bwrap would create them 0700, and uid 10001 could not reach ``path``)."""
    out: list[str] = []
    for between in reversed(path.parents):
        if top in between.parents:
            out += ["--perms", "0755", "--dir", str(between)]
    return out


def sandbox(
    argv: list[str], *, writable: list[Path], env: dict[str, str], readable: list[Path] = ()
) -> list[str]:
    """``argv`` as uid 10001 without HOME on a read-only root with ``writable`` bound read-write
    (``readable``: directories below /tmp to show read-only, since /tmp is replaced)."""
    bwrap = shutil.which("bwrap")
    assert bwrap, "bwrap not found: apt-get install bubblewrap (scripts/test.sh installs it)"
    cmd = [
        bwrap,
        "--die-with-parent",
        "--ro-bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
        "--perms",
        "1777",
        "--tmpfs",
        "/tmp",
    ]
    # The interpreter and the checkout must stay readable for uid 10001 even when they
    # live below a private directory such as /root: shadow it, re-expose just them.
    needed = {
        Path(sys.prefix),
        Path(sys.base_prefix),
        Path(sys.executable).resolve().parent.parent,
        ROOT,
    }
    shadowed = set()
    for path in sorted(needed):
        hidden = _hidden_parent(path)
        if Path("/tmp") in path.parents:  # e.g. a CI checkout below /tmp, which is replaced
            cmd += [*_dirs_between(Path("/tmp"), path), "--ro-bind", str(path), str(path)]
        elif hidden is not None:
            if hidden not in shadowed:
                cmd += ["--perms", "0755", "--tmpfs", str(hidden)]
                shadowed.add(hidden)
            cmd += [*_dirs_between(hidden, path), "--ro-bind", str(path), str(path)]
    for path in readable:
        cmd += [*_dirs_between(Path("/tmp"), path), "--ro-bind", str(path), str(path)]
    for path in writable:
        cmd += [*_dirs_between(Path("/tmp"), path), "--bind", str(path), str(path)]
    clean_env = [
        "env",
        "-i",
        f"PATH={os.environ.get('PATH', '/usr/bin:/bin')}",
        f"PYTHONPATH={ROOT}",
        *(f"{k}={v}" for k, v in env.items()),
    ]
    if os.geteuid() == 0:
        drop = ["setpriv", f"--reuid={UID}", f"--regid={UID}", "--clear-groups", "--inh-caps=-all"]
        return [
            *cmd,
            "--cap-add",
            "CAP_SETUID",
            "--cap-add",
            "CAP_SETGID",
            "--",
            *drop,
            *clean_env,
            *argv,
        ]
    return [*cmd, "--unshare-user", "--uid", str(UID), "--gid", str(UID), "--", *clean_env, *argv]


def _child_pid(pid: int, timeout: float = 10) -> int:
    """The sandboxed process under bwrap (bwrap does not forward signals)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            children = []
        if children:
            return int(children[0])
        time.sleep(0.05)
    raise AssertionError("no sandboxed child process")


def test_sdk_imports_as_uid_without_home_on_read_only_root():
    """Braket, Qiskit and Cirq import as uid 10001 with no HOME on a read-only root, given the image's caches."""
    code = (
        "import os; assert os.getuid() == 10001 and 'HOME' not in os.environ\n"
        "import braket.devices, qiskit_aer, qiskit_ibm_runtime, cirq_google\n"
        "try:\n    open('/usr/qobserve-probe', 'w')\nexcept OSError as e:\n    print('root read-only', e.errno)\n"
        "print('imports ok')"
    )
    res = subprocess.run(
        sandbox([sys.executable, "-c", code], writable=[], env=IMAGE_ENV),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert "root read-only 30" in res.stdout and "imports ok" in res.stdout  # 30: EROFS


@pytest.fixture
def workdir():
    """A directory uid 10001 can reach (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="qobserve-prod-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _https_get(port: int, path: str, auth: str | None = None) -> tuple[int, bytes, float]:
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    req = urllib.request.Request(f"https://127.0.0.1:{port}{path}")
    if auth:
        import base64

        req.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    t0 = time.monotonic()
    with urllib.request.urlopen(req, timeout=10, context=ctx) as r:
        return r.status, r.read(), time.monotonic() - t0


def _wait(predicate, timeout: float, what: str, proc, log: Path):
    try:
        return wait_until(
            predicate,
            timeout=timeout,
            what=what,
            interval=0.25,
            service=Service("exporter", "", proc, log),
        )
    except ServiceError as exc:
        raise AssertionError(str(exc)) from None


def test_exporter_in_production_conditions(workdir, tls_files, prometheus):
    """Sandboxed exporter with TLS + basic auth: Prometheus scrapes it past an idle client, a corrupt SIGHUP is survived, RB with a cost cap runs."""
    port = free_port()
    state = workdir / "state"
    state.mkdir()
    cert, key = (Path(shutil.copy(f, workdir)) for f in tls_files)
    if os.geteuid() == 0:
        for path in (state, key):
            os.chown(path, UID, UID)
    config_path = workdir / "exporter.yaml"
    config_path.write_text(
        yaml.safe_dump(
            {
                "listen": f"127.0.0.1:{port}",
                "backends": [
                    {"name": "aer", "backend": "qiskit:aer", "noise": "depolarizing:0.02"}
                ],
                "probes": {
                    "calibration": {"interval": "2s"},
                    "status": {"interval": "2s"},
                    "rb": {
                        "interval": "1h",
                        "timeout": "3m",
                        "qubits": [0],
                        "lengths": [1, 8, 24, 48],
                        "samples": 3,
                        "shots": 100,
                        "max_cost_usd": 1,
                        "max_daily_cost_usd": 2,
                    },
                },
                "web": {
                    "tls_cert_file": str(cert),
                    "tls_key_file": str(key),
                    "handshake_timeout": "60s",
                    "basic_auth_users": {
                        "prom": bcrypt.hashpw(b"pw", bcrypt.gensalt(rounds=4)).decode()
                    },
                },
            }
        )
    )
    log = workdir / "exporter.log"
    argv = sandbox(
        [sys.executable, "-m", "qobserve.cli", "exporter", "--config", str(config_path)],
        writable=[state],
        readable=[workdir],
        env={**IMAGE_ENV, "QOBSERVE_STATE_DIR": str(state)},
    )
    with log.open("wb") as out:
        bwrap = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    idle = None
    try:
        pid = _child_pid(bwrap.pid)
        _wait(
            lambda: _https_get(port, "/healthz")[0] == 200, 90, "/healthz without auth", bwrap, log
        )
        status = Path(f"/proc/{pid}/status").read_text()
        assert f"Uid:\t{UID}\t{UID}" in status and "CapEff:\t0000000000000000" in status, status
        assert b"HOME=" not in Path(f"/proc/{pid}/environ").read_bytes()

        prom = prometheus(
            scrape_targets=[
                {
                    "job_name": "qobserve",
                    "scheme": "https",
                    "tls_config": {"insecure_skip_verify": True},
                    "basic_auth": {"username": "prom", "password": "pw"},
                    "static_configs": [{"targets": [f"127.0.0.1:{port}"]}],
                }
            ]
        )

        def query(q: str) -> list:
            return prom.get("/api/v1/query", query=q)["data"]["result"]

        def target() -> dict:
            (t,) = prom.get("/api/v1/targets")["data"]["activeTargets"]
            return t

        _wait(lambda: query('up{job="qobserve"} == 1'), 60, "Prometheus up == 1", bwrap, log)

        # One client that connects and sends nothing: scrapes and health go on regardless.
        idle = socket.create_connection(("127.0.0.1", port))
        connected_at = time.time()
        time.sleep(3)
        t = _wait(
            lambda: (
                lambda t: (
                    t if t["health"] == "up" and _ts(t["lastScrape"]) > connected_at + 1 else None
                )
            )(target()),
            20,
            "a fresh scrape while the idle client is connected",
            bwrap,
            log,
        )
        assert t["lastScrapeDuration"] < 1.0, t
        assert _https_get(port, "/healthz")[2] < 1.0
        idle.setblocking(False)
        with pytest.raises(BlockingIOError):  # still connected: nothing read, nothing closed
            idle.recv(1)

        # The RB probe with cost caps succeeds; its daily spend lives in the state directory.
        _wait(
            lambda: query('qobserve_probe_success{probe="rb"} == 1'),
            150,
            "the RB probe",
            bwrap,
            log,
        )
        assert query('quantum_fidelity_ratio{method="rb"}')
        assert (state / "budgets.sqlite").stat().st_uid == (
            UID if os.geteuid() == 0 else os.geteuid()
        )
        assert query("qobserve_probe_stale == 1") == []

        # SIGHUP with a file that is not UTF-8: logged once, the running config kept.
        config_path.write_bytes(b"listen: \xff\xfe broken\n")
        os.kill(pid, signal.SIGHUP)
        hup_at = time.time()
        _wait(lambda: b"reload refused" in log.read_bytes(), 30, "the refused reload", bwrap, log)
        _wait(
            lambda: (lambda t: t["health"] == "up" and _ts(t["lastScrape"]) > hup_at + 1)(target()),
            20,
            "a scrape after the SIGHUP",
            bwrap,
            log,
        )
        assert bwrap.poll() is None
        status_code, body, _ = _https_get(port, "/metrics", auth="prom:pw")
        assert status_code == 200 and b'qobserve_probe_success{probe="status"' in body
        assert b"Traceback" not in log.read_bytes()
        assert log.read_bytes().count(b"reload refused") == 1

        os.kill(pid, signal.SIGTERM)
        assert bwrap.wait(timeout=30) == 0, log.read_text()[-3000:]
    finally:
        if idle is not None:
            idle.close()
        if bwrap.poll() is None:
            bwrap.kill()
            bwrap.wait()


def _ts(rfc3339: str) -> float:
    """Prometheus' lastScrape (RFC 3339 with nanoseconds) as Unix time."""
    from datetime import datetime

    head, _, rest = rfc3339.partition(".")
    frac, tz = (rest[:-1], "+00:00") if rest.endswith("Z") else (rest[:-6], rest[-6:])
    return datetime.fromisoformat(f"{head}.{frac[:6]}{tz}").timestamp()
