"""The exporter's RB probe with ``interleave`` and ``plot``: the gate-error series and the served PNG."""

from __future__ import annotations

import time
import urllib.error
import urllib.request

import pytest

from qobserve.exporter import ExporterConfig
from qobserve.exporter.config import RBProbeConfig

RB = {
    "interval": "1h",
    "qubits": [0],
    "lengths": [1, 10, 30, 60],
    "samples": 4,
    "shots": 200,
    "interleave": "x",
    "plot": True,
}


def _get(address, path: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(f"http://{address[0]}:{address[1]}{path}", timeout=5) as r:
            return r.status, r.headers["Content-Type"], r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read()


def test_interleaving_probe_exports_gate_error_and_serves_the_plot(running):
    """After the first RB run, /metrics has the gate error (source="rb") and /probes/<name>/rb.png a PNG."""
    config = ExporterConfig.model_validate(
        {
            "backends": [{"name": "aer", "backend": "qiskit:aer", "noise": "depolarizing:0.02"}],
            "probes": {"calibration": {"interval": "1h"}, "status": {"interval": "1h"}, "rb": RB},
        }
    )
    with running(config) as exporter:
        deadline = time.monotonic() + 60
        while exporter.rb_plot("aer") is None and time.monotonic() < deadline:
            time.sleep(0.2)
        status, kind, body = _get(exporter.address, "/probes/aer/rb.png")
        assert status == 200 and kind == "image/png" and body.startswith(b"\x89PNG")
        metrics = _get(exporter.address, "/metrics")[2].decode()
        [line] = [
            x for x in metrics.splitlines() if x.startswith("quantum_backend_gate_error_ratio{")
        ]
        assert 'gate="x"' in line and 'source="rb"' in line and 'quantum_qubits="0"' in line
        assert 0.0 < float(line.rsplit(" ", 1)[1]) < 0.05  # truth λ/2 = 0.01
        assert _get(exporter.address, "/probes/nope/rb.png")[0] == 404


@pytest.mark.parametrize(
    ("rb", "hint"),
    [
        ({"interleave": "h"}, "interleave: expected one of x, sx, cx, cz, ecr"),
        ({"interleave": "cx", "qubits": [0]}, "cx acts on 2 qubit(s)"),
    ],
)
def test_bad_interleave_is_refused_at_load(rb, hint):
    """An unknown gate, or one on the wrong number of qubits, fails validation naming interleave."""
    with pytest.raises(ValueError, match=hint.replace("(", r"\(").replace(")", r"\)")):
        RBProbeConfig.model_validate(rb)
