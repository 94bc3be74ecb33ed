"""Operator mistakes: `qobserve exporter` prints one line on stderr naming the field, exits non-zero."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

AER = [{"name": "aer", "backend": "qiskit:aer"}]
BASE = {"listen": "127.0.0.1:0", "backends": AER}


def _rb(**kw) -> dict:
    return {**BASE, "probes": {"rb": {"interval": "1h", **kw}}}


# (case id, config mapping or raw bytes, extra CLI args, text the one line must contain)
CASES = [
    ("non-utf8", b'backends: [{name: a, backend: "qiskit:aer"}]\n# caf\xe9\n', [], "not UTF-8"),
    ("missing-file", None, [], "cannot read"),
    (
        "interval-nan",
        {**BASE, "probes": {"status": {"interval": float("nan")}}},
        [],
        "probes.status.interval",
    ),
    (
        "interval-negative",
        {**BASE, "probes": {"calibration": {"interval": "-5s"}}},
        [],
        "probes.calibration.interval",
    ),
    ("interval-huge", {**BASE, "probes": {"status": {"interval": "400d"}}}, [], "at most 30d"),
    ("shots-huge", _rb(shots=10**12), [], "probes.rb.shots"),
    ("cost-nan", _rb(max_cost_usd=float("nan")), [], "probes.rb.max_cost_usd"),
    ("cost-inf", _rb(max_daily_cost_usd=float("inf")), [], "probes.rb.max_daily_cost_usd"),
    (
        "handshake-timeout-inf",
        {**BASE, "web": {"handshake_timeout": float("inf")}},
        [],
        "web.handshake_timeout",
    ),
    ("max-connections-zero", {**BASE, "web": {"max_connections": 0}}, [], "web.max_connections"),
    ("port-in-use", "PORT_IN_USE", [], "listen: cannot bind"),
    (
        "unresolvable-host",
        {**BASE, "listen": "no-such-host.invalid:9464"},
        [],
        "listen: cannot resolve host",
    ),
    (
        "tls-missing",
        {
            **BASE,
            "web": {
                "tls_cert_file": "/nonexistent/cert.pem",
                "tls_key_file": "/nonexistent/key.pem",
            },
        },
        [],
        "web.tls_cert_file",
    ),
    ("tls-not-pem", "TLS_NOT_PEM", [], "web.tls_cert_file/web.tls_key_file: cannot load"),
    (
        "bcrypt-malformed",
        {**BASE, "web": {"basic_auth_users": {"prom": "$2b$12$tooshort"}}},
        [],
        "web.basic_auth_users.prom",
    ),
    (
        "unknown-fake-backend",
        {**BASE, "backends": [{"name": "m", "backend": "qiskit:fake_manilla"}]},
        [],
        "did you mean qiskit:fake_manila",
    ),
    (
        "state-dir-is-file",
        {**BASE, "state_dir": "/etc/hostname"},
        [],
        "state_dir: /etc/hostname is not usable",
    ),
    (
        "credentials-file-missing",
        {
            **BASE,
            "backends": [
                {
                    "name": "ibm",
                    "backend": "qiskit:ibm_brisbane",
                    "credentials": {"ibm_token": {"file": "/nonexistent/t"}},
                }
            ],
        },
        [],
        "backends[0].credentials.ibm_token.file: cannot read /nonexistent/t",
    ),
]


def _run(case, tmp_path, port_in_use: int):
    name, data, args, _ = case
    path = tmp_path / f"{name}.yaml"
    if data == "PORT_IN_USE":
        data = {**BASE, "listen": f"127.0.0.1:{port_in_use}"}
    if data == "TLS_NOT_PEM":
        junk = tmp_path / "junk.pem"
        junk.write_text("not a certificate\n")
        data = {**BASE, "web": {"tls_cert_file": str(junk), "tls_key_file": str(junk)}}
    if isinstance(data, bytes):
        path.write_bytes(data)
    elif data is not None:
        path.write_text(yaml.safe_dump(data))
    env = {**os.environ, "QOBSERVE_STATE_DIR": str(tmp_path / "state")}
    return subprocess.run(
        [sys.executable, "-m", "qobserve.cli", "exporter", "--config", str(path), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """Every case run once, three processes at a time (each is a cold Python start)."""
    tmp = tmp_path_factory.mktemp("operator-errors")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        with ThreadPoolExecutor(3) as pool:
            runs = list(pool.map(lambda c: _run(c, tmp, busy.getsockname()[1]), CASES))
    return {c[0]: r for c, r in zip(CASES, runs, strict=False)}


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_stderr_line(results, case):
    """Exit code 2, exactly one line on stderr naming the field, no traceback, nothing served."""
    res = results[case[0]]
    lines = res.stderr.strip().splitlines()
    assert res.returncode == 2, (res.returncode, res.stdout, res.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    assert case[3] in lines[0], lines[0]
    assert "Traceback" not in res.stderr + res.stdout
    assert "serving" not in res.stdout
