"""`qobserve alert-bridge --config FILE` from the command line."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from typer.testing import CliRunner

from qobserve.cli import app
from tests.alert_bridge.helpers import TOKEN


def test_bad_config_exits_2_naming_the_field(tmp_path):
    """An invalid config is reported with its field and exit code 2."""
    path = tmp_path / "bridge.yaml"
    path.write_text("slack: {channels: {page: a, ticket: b}}\nspool_dir: x\n")
    result = CliRunner().invoke(app, ["alert-bridge", "--config", str(path)])
    assert result.exit_code == 2
    assert "set exactly one of slack.token_env" in result.output


def test_serves_healthz_and_stops_on_sigterm(tmp_path, slack):
    """The command serves /healthz and exits cleanly on SIGTERM, never printing the token."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    path = tmp_path / "bridge.yaml"
    path.write_text(
        f"listen: 127.0.0.1:{port}\nspool_dir: {tmp_path / 'spool'}\n"
        f"slack: {{token_env: BRIDGE_SLACK_TOKEN, base_url: '{slack.api_url}',"
        f" channels: {{page: '#p', ticket: '#t'}}}}\n"
    )
    env = {**os.environ, "BRIDGE_SLACK_TOKEN": TOKEN}
    proc = subprocess.Popen(
        [sys.executable, "-m", "qobserve.cli", "alert-bridge", "--config", str(path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    body = b""
    try:
        for _ in range(100):
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        assert body == b"ok\n"
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, output
    assert TOKEN.encode() not in output


def test_port_in_use_and_unusable_spool_are_one_line_errors(tmp_path, slack, monkeypatch):
    """A busy port or a spool path that is a file: exit 2 with one line naming the field."""
    monkeypatch.setenv("BRIDGE_SLACK_TOKEN", TOKEN)
    (tmp_path / "file").write_text("x")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        for listen, spool, field in [
            (f"127.0.0.1:{port}", tmp_path / "spool", "listen"),
            ("127.0.0.1:0", tmp_path / "file", "spool_dir"),
        ]:
            path = tmp_path / "bridge.yaml"
            path.write_text(
                f"listen: {listen}\nspool_dir: {spool}\nslack: {{token_env: "
                f"BRIDGE_SLACK_TOKEN, base_url: '{slack.api_url}', channels: "
                f"{{page: '#p', ticket: '#t'}}}}\n"
            )
            result = CliRunner().invoke(app, ["alert-bridge", "--config", str(path)])
            assert result.exit_code == 2, result.output
            assert result.output.startswith(f"error: {field}: ") and result.output.count("\n") == 1
