"""Shared test data and HTTP helpers for the alert-bridge tests."""

from __future__ import annotations

import copy
import json
import time
import urllib.error
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

DATA = Path(__file__).parent / "data"
TOKEN = "xoxb-test-1234567890-SECRETSECRET"  # the slack_server fixture's token
BEARER = "bridge-bearer-SECRET-42"
CHANNELS = {"page": "#oncall", "ticket": "#alerts"}


def payload(name: str) -> dict:
    """A webhook body captured from a real Alertmanager 0.25 (see data/)."""
    return json.loads((DATA / f"alertmanager_v4_{name}.json").read_text())


def numbered(i: int, status: str = "firing", severity: str = "page") -> dict:
    """The captured payload with a distinct alert (fingerprint and backend) number ``i``."""
    body = copy.deepcopy(payload(status))
    alert = body["alerts"][0]
    alert["fingerprint"] = f"fp{i:04d}"
    alert["labels"]["quantum_backend"] = f"backend_{i}"
    alert["labels"]["severity"] = severity
    return body


def post(url: str, body, *, token: str | None = BEARER, raw: bytes | None = None):
    """POST to ``url``/alerts; returns (status, json reply)."""
    data = raw if raw is not None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(f"{url}/alerts", data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def get(url: str, path: str) -> tuple[int, bytes]:
    """GET ``path``; returns (status, body) for any status."""
    try:
        with urllib.request.urlopen(f"{url}{path}", timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def metrics(url: str) -> dict[tuple[str, tuple], float]:
    """Every sample of ``url``/metrics by (name, sorted labels)."""
    text = urllib.request.urlopen(f"{url}/metrics", timeout=5).read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(text)
        for s in fam.samples
    }


def eventually(check, timeout: float = 15.0, what: str = "condition"):
    """Poll ``check()`` until it returns something truthy; return it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.05)
    raise AssertionError(f"{what} not met within {timeout} s")
