"""Per-backend credentials: from env or files, checked at load, re-read on reload, never shown."""

from __future__ import annotations

import logging
import time

import pytest

from qobserve.backends import parse_backend
from qobserve.exporter import ConfigError, load_config
from qobserve.exporter.credentials import redact, set_secrets

IBM = "qiskit:ibm_brisbane"
SV1 = "braket:arn:aws:braket:::device/quantum-simulator/amazon/sv1"
TOKEN = "tok-5up3r-s3cr3t-v1"


@pytest.mark.parametrize(
    ("credentials", "backend", "field", "hint"),
    [
        ({"ibm_token": "inline"}, IBM, "backends[0].credentials.ibm_token", "valid dictionary"),
        (
            {"ibm_token": {"env": "A", "file": "/b"}},
            IBM,
            "backends[0].credentials.ibm_token",
            "exactly one",
        ),
        ({"ibm_token": {"env": "A"}}, SV1, "backends[0]", "applies to qiskit:ibm_*"),
        ({"aws_access_key_id": {"env": "A"}}, SV1, "backends[0].credentials", "go together"),
        (
            {
                "aws_profile": "p",
                "aws_access_key_id": {"env": "A"},
                "aws_secret_access_key": {"env": "B"},
            },
            SV1,
            "backends[0].credentials",
            "not both",
        ),
        (
            {"ibm_token": {"file": "/nonexistent/ibm-token"}},
            IBM,
            "backends[0].credentials.ibm_token.file",
            "cannot read /nonexistent/ibm-token",
        ),
        (
            {"ibm_token": {"env": "QOBSERVE_TEST_UNSET"}},
            IBM,
            "backends[0].credentials.ibm_token.env",
            "QOBSERVE_TEST_UNSET is not set",
        ),
        (
            {"google_credentials_file": "/nonexistent/key.json"},
            "cirq_google:willow_pink",
            "backends[0].credentials.google_credentials_file",
            "cannot read",
        ),
    ],
)
def test_bad_credentials_name_the_field(write_config, credentials, backend, field, hint):
    """Each credentials mistake is one line naming the field; no value is echoed."""
    path = write_config(
        {"backends": [{"name": "x", "backend": backend, "credentials": credentials}]}
    )
    with pytest.raises(ConfigError) as err:
        load_config(path)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(f"{path}: {field}"), msg
    assert hint in msg, msg


def test_file_credentials_are_read_and_hidden(write_config, tmp_path):
    """A file credential is read at load (newline stripped) and never appears in repr or dump."""
    secret = tmp_path / "ibm-token"
    secret.write_text(TOKEN + "\n")
    config = load_config(
        write_config(
            {
                "backends": [
                    {
                        "name": "ibm",
                        "backend": IBM,
                        "credentials": {
                            "ibm_token": {"file": str(secret)},
                            "ibm_instance": "my-instance",
                        },
                    }
                ]
            }
        )
    )
    entry = config.backends[0]
    assert entry.resolved_credentials == {"ibm_token": TOKEN, "ibm_instance": "my-instance"}
    assert TOKEN not in repr(config) + config.model_dump_json() + repr(entry)
    assert entry.secret_values == [TOKEN]


def test_redact_blanks_known_secrets():
    """redact() replaces every registered secret, longest first."""
    set_secrets(["abcd1234", "abcd"])
    try:
        assert redact("x abcd1234 y abcd") == "x *** y ***"
    finally:
        set_secrets([])


def test_qiskit_gets_token_and_instance(monkeypatch):
    """An IBM backend is built with QiskitRuntimeService(token=..., instance=...)."""
    seen = {}

    class Service:
        def __init__(self, **kwargs):
            seen.update(kwargs)

        def backend(self, name):
            return name

    monkeypatch.setattr("qiskit_ibm_runtime.QiskitRuntimeService", Service)
    assert (
        parse_backend(IBM).load(credentials={"ibm_token": TOKEN, "ibm_instance": "inst"})
        == "ibm_brisbane"
    )
    assert seen["token"] == TOKEN and seen["instance"] == "inst"


def test_braket_gets_a_session_from_keys(monkeypatch):
    """A Braket device gets an AwsSession whose boto3 session holds the configured keys and region."""
    seen = {}
    monkeypatch.setattr(
        "braket.aws.AwsDevice", lambda arn, aws_session: seen.update(s=aws_session) or arn
    )
    parse_backend(SV1).load(
        credentials={
            "aws_access_key_id": "AKIAEXAMPLE",
            "aws_secret_access_key": "sk",
            "aws_region": "us-west-2",
        }
    )
    boto = seen["s"].boto_session
    assert boto.get_credentials().access_key == "AKIAEXAMPLE"
    assert boto.region_name == "us-west-2"


def test_assumed_role_is_lazy():
    """aws_role_arn makes refreshable assume-role credentials without calling STS up front."""
    from qobserve._aws import boto_session

    session = boto_session(
        {
            "aws_access_key_id": "AKIAEXAMPLE",
            "aws_secret_access_key": "sk",
            "aws_role_arn": "arn:aws:iam::123456789012:role/probe",
            "aws_region": "us-east-1",
        }
    )
    assert session.get_credentials().method == "assume-role"


def test_reload_rereads_rotated_file_and_never_logs_it(
    monkeypatch, write_config, tmp_path, running, scrape, caplog
):
    """After the secret file changes, reload rebuilds the backend with the new token; no log or scrape shows either."""
    tokens = []

    class Service:
        def __init__(self, token, **kwargs):
            tokens.append(token)
            raise RuntimeError(f"IBM said: token {token} is not valid")

    monkeypatch.setattr("qiskit_ibm_runtime.QiskitRuntimeService", Service)
    secret = tmp_path / "ibm-token"
    secret.write_text(TOKEN)
    path = write_config(
        {
            "backends": [
                {"name": "ibm", "backend": IBM, "credentials": {"ibm_token": {"file": str(secret)}}}
            ],
            "probes": {"calibration": {"interval": "1h"}, "status": {"interval": "1h"}},
        }
    )
    caplog.set_level(logging.INFO)
    with running(load_config(path)) as exporter:
        deadline = time.monotonic() + 30
        while not exporter.ready():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        secret.write_text("tok-5up3r-s3cr3t-v2\n")
        exporter.reload(load_config(path))
        while "tok-5up3r-s3cr3t-v2" not in tokens or not exporter.ready():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        body = scrape(exporter.address) + scrape(exporter.address, "/readyz")
    assert tokens[0] == TOKEN
    assert "tok-5up3r" not in body
    assert "tok-5up3r" not in caplog.text
    assert "is not valid" in caplog.text  # the message is logged, redacted
