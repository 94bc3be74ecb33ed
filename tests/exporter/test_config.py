"""Bad exporter configs fail with one line naming the field, and nothing is served."""

from __future__ import annotations

import subprocess
import sys

import pytest

from qobserve.exporter import ConfigError, load_config

GOOD = {"backends": [{"name": "manila", "backend": "qiskit:fake_manila"}]}


@pytest.mark.parametrize(
    ("data", "field", "hint"),
    [
        (
            {"backends": [{"name": "x", "backend": "qiskit:nope"}]},
            "backends[0].backend",
            "unknown backend spec",
        ),
        ({**GOOD, "probes": {"status": {"interval": "-5s"}}}, "probes.status.interval", "duration"),
        ({**GOOD, "probes": {"status": {"interval": "0s"}}}, "probes.status.interval", "positive"),
        (
            {
                "backends": [
                    {
                        "name": "x",
                        "backend": "qiskit:aer",
                        "credentials_env": ["QOBSERVE_TEST_UNSET"],
                    }
                ]
            },
            "backends[0].credentials_env",
            "QOBSERVE_TEST_UNSET is not set",
        ),
        ({**GOOD, "probes": {"rb": {"qubits": [0, 1, 2]}}}, "probes.rb.qubits", "at most 2"),
        ({**GOOD, "bogus": 1}, "bogus", "unknown key"),
        ({"backends": []}, "backends", "at least 1"),
        (
            {"backends": [GOOD["backends"][0], GOOD["backends"][0]]},
            "backends",
            "duplicate backend name",
        ),
        (
            {"backends": [{"name": "x", "backend": "qiskit:aer", "noise": "depolarizing:2"}]},
            "backends[0]",
            "[0, 1]",
        ),
        (
            {**GOOD, "probes": {"status": {"interval": float("nan")}}},
            "probes.status.interval",
            "finite",
        ),
        (
            {**GOOD, "probes": {"rb": {"max_cost_usd": float("inf")}}},
            "probes.rb.max_cost_usd",
            "finite",
        ),
        (
            {**GOOD, "web": {"basic_auth_users": {"prom": "$2b$12$x"}}},
            "web.basic_auth_users.prom",
            "bcrypt",
        ),
        (
            {**GOOD, "web": {"tls_cert_file": "/nope.pem", "tls_key_file": "/nope.pem"}},
            "web.tls_cert_file",
            "cannot read",
        ),
    ],
)
def test_bad_config_names_field(write_config, data, field, hint):
    """Each bad config raises one line with the file, the field and the problem."""
    path = write_config(data)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith(f"{path}: {field}"), msg
    assert hint in msg


def test_unreadable_file(tmp_path):
    """A missing file is a one-line error, not a traceback."""
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")


def test_invalid_yaml(write_config, tmp_path):
    """Broken YAML names the file."""
    path = tmp_path / "broken.yaml"
    path.write_text("backends: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(path)


def test_cli_exits_nonzero_without_serving(write_config):
    """`qobserve exporter` with a bad config exits 2 with the one-line error."""
    path = write_config({"backends": [{"name": "x", "backend": "braket:nope"}]})
    res = subprocess.run(
        [sys.executable, "-m", "qobserve.cli", "exporter", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 2
    assert "backends[0].backend: unknown backend spec 'braket:nope'" in res.stderr
    assert "serving" not in res.stdout


def test_credentials_never_printed(write_config, monkeypatch):
    """A present credential passes validation and its value appears nowhere in the config repr."""
    monkeypatch.setenv("QOBSERVE_TEST_TOKEN", "s3cr3t-token-value")
    config = load_config(
        write_config(
            {
                "backends": [
                    {
                        "name": "x",
                        "backend": "qiskit:aer",
                        "credentials_env": ["QOBSERVE_TEST_TOKEN"],
                    }
                ]
            }
        )
    )
    assert "s3cr3t" not in repr(config) + config.model_dump_json()


def test_non_utf8_file(tmp_path):
    """A file that is not UTF-8 is one line naming the file, not a UnicodeDecodeError."""
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"backends: []\n# caf\xe9\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(path)


def test_unknown_fake_backend_is_refused_at_load(write_config):
    """A misspelt fake backend fails at load with a suggestion, not at the first probe."""
    with pytest.raises(
        ConfigError, match=r"backends\[0\]\.backend: .*did you mean qiskit:fake_manila"
    ):
        load_config(write_config({"backends": [{"name": "m", "backend": "qiskit:fake_manilla"}]}))
