"""Alert-bridge configuration: the YAML file behind ``qobserve alert-bridge --config FILE``.

Example::

    listen: 127.0.0.1:9095
    slack:
      token_env: SLACK_BOT_TOKEN        # or webhook_url_env: SLACK_WEBHOOK_URL
      base_url: https://slack.com/api/  # optional; tests point it at a local server
      channels: {page: "#quantum-oncall", ticket: "#quantum-alerts",
                 fallback: "#quantum-alerts-fallback"}  # fallback optional
      timeout: 10s                      # every Slack call
    state_dir: /var/lib/qobserve        # spool in <state_dir>/alert-bridge (or spool_dir: …)
    auth: {bearer_token_env: QOBSERVE_BRIDGE_TOKEN}
    delivery: {backoff_max: 15s, probe_interval: 2s, min_interval: 1s}
    http: {read_timeout: 10s, max_connections: 256}
    replica: {index: 0, stagger: 5s}    # only when several bridges share the channels

Secrets are never in the file: it names environment variables, and the values
are read at start-up by :func:`resolve_secret`.
"""

from __future__ import annotations

import os
import re
import socket
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from qobserve._validation import Duration, StrictModel, read_yaml, validation_message
from qobserve.state import StateDirError, ensure_state_dir

__all__ = [
    "AuthConfig",
    "BridgeConfig",
    "ConfigError",
    "DeliveryConfig",
    "HttpConfig",
    "ReplicaConfig",
    "SlackChannels",
    "SlackConfig",
    "load_config",
    "resolve_secret",
]


class ConfigError(ValueError):
    """The configuration file is missing, unreadable or invalid; the message names the field."""


class SlackChannels(StrictModel):
    """Channel per alert severity (labels ``severity=page`` / ``severity=ticket``).

    Names (``#quantum-oncall``) are resolved to IDs once at start with
    ``conversations.list`` (scope ``channels:read``); IDs (``C0123ABCD``) need no scope.

    Attributes:
        page: channel for ``severity=page``.
        ticket: channel for ``severity=ticket`` and any other severity.
        fallback: where a message goes, as plain text, when its own channel refuses it for good.
    """

    page: str = Field(min_length=1)
    ticket: str = Field(min_length=1)
    fallback: str | None = Field(default=None, min_length=1)


class SlackConfig(StrictModel):
    """How to reach Slack: a bot token (exactly once, threads) or an incoming webhook (at least once).

    Attributes:
        token_env: variable holding the bot token (scopes ``chat:write``, ``channels:history``,
            ``groups:history``, ``channels:read``).
        webhook_url_env: variable holding an incoming-webhook URL (no history: at-least-once).
        base_url: Slack Web API root, for tests and proxies.
        timeout: timeout of every Slack call; a post that times out is looked up before a retry.
    """

    token_env: str | None = None
    webhook_url_env: str | None = None
    base_url: str | None = None
    channels: SlackChannels
    timeout: Duration = 10.0

    @model_validator(mode="after")
    def _one_transport(self) -> SlackConfig:
        if (self.token_env is None) == (self.webhook_url_env is None):
            raise ValueError(
                "set exactly one of slack.token_env (bot token, e.g. SLACK_BOT_TOKEN) "
                "or slack.webhook_url_env (incoming webhook URL)"
            )
        if self.base_url is not None and self.webhook_url_env is not None:
            raise ValueError(
                "slack.base_url applies to the Web API (token_env) only; a webhook "
                "URL already names its server"
            )
        return self


class AuthConfig(StrictModel):
    """Require ``Authorization: Bearer <token>`` on ``POST /alerts``."""

    bearer_token_env: str = Field(min_length=1)


class DeliveryConfig(StrictModel):
    """How delivery lanes retry: capped backoff, probing Slack while it is down, pacing.

    Attributes:
        backoff_initial: first wait after a transient failure; doubles per failure.
        backoff_max: cap of that backoff.
        probe_interval: while backing off, ask ``auth.test`` this often and resume once it answers.
        min_interval: at least this long between posts to one channel (Slack: ~1 message/s).
        poll_interval: how often an idle lane looks at the spool (picks up dead-letter replays).
    """

    backoff_initial: Duration = 1.0
    backoff_max: Duration = 15.0
    probe_interval: Duration = 2.0
    min_interval: Duration = 1.0
    poll_interval: Duration = 2.0


class HttpConfig(StrictModel):
    """Limits of the webhook receiver.

    Attributes:
        read_timeout: a client must send its headers, and then its body, within this time.
        max_connections: connections served at once; more are answered 503 and closed.
    """

    read_timeout: Duration = 10.0
    max_connections: int = Field(default=256, ge=1, le=10000)


class ReplicaConfig(StrictModel):
    """This bridge is one of several posting to the same channels (high availability).

    Every post, not only retries, is looked up in the channel first, and replica
    ``index`` waits ``index × stagger`` before a message's first attempt, so two
    replicas fed the same alert do not race.

    Attributes:
        index: this replica's position (0, 1, …), unique per replica; ``auto`` takes the
            number ending the host name (StatefulSet pod ``qobserve-alert-bridge-1`` → 1).
        stagger: delay per position before a message's first attempt.
    """

    index: Annotated[int, Field(ge=0, le=16)] | Literal["auto"] = 0
    stagger: Duration = 5.0

    def position(self) -> int:
        """The replica's index, ``auto`` resolved from the host name.

        Raises:
            ConfigError: ``auto`` and the host name does not end in ``-N``.
        """
        if self.index != "auto":
            return self.index
        host = os.environ.get("HOSTNAME") or socket.gethostname()
        if not (m := re.search(r"-(\d+)$", host)):
            raise ConfigError(
                f"replica.index: auto needs a host name ending in -N (a "
                f"StatefulSet pod such as qobserve-alert-bridge-1), got {host!r}; "
                f"set a number instead"
            )
        return int(m.group(1))


class BridgeConfig(StrictModel):
    """The whole alert-bridge configuration.

    Attributes:
        spool_dir: spool directory; default ``<state_dir>/alert-bridge``.
        state_dir: qobserve's state directory (default ``$QOBSERVE_STATE_DIR``, else XDG's).
        replica: set when several bridges post to the same channels (HA).
    """

    listen: str = "127.0.0.1:9095"
    slack: SlackConfig
    spool_dir: Path | None = None
    state_dir: Path | None = None
    auth: AuthConfig | None = None
    delivery: DeliveryConfig = DeliveryConfig()
    http: HttpConfig = HttpConfig()
    replica: ReplicaConfig | None = None

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        _host, sep, port = value.rpartition(":")
        if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ValueError(f"listen must be host:port such as 127.0.0.1:9095, got {value!r}")
        return value

    @property
    def host(self) -> str:
        """Host part of ``listen`` (empty means every interface)."""
        return self.listen.rpartition(":")[0].strip("[]") or "0.0.0.0"

    @property
    def port(self) -> int:
        """Port part of ``listen`` (0 picks a free port)."""
        return int(self.listen.rpartition(":")[2])

    def spool_path(self) -> Path:
        """Create and prove writable the spool directory.

        Raises:
            ConfigError: one line naming ``spool_dir`` or ``state_dir`` and the fix.
        """
        if self.spool_dir is None:
            try:
                return ensure_state_dir(self.state_dir, sub="alert-bridge")
            except StateDirError as exc:
                raise ConfigError(str(exc)) from None
        try:
            self.spool_dir.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.spool_dir, prefix=".probe-"):
                pass
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise ConfigError(
                f"spool_dir: {self.spool_dir} is not a writable directory "
                f"({reason}); point spool_dir at one, or drop it to use "
                f"<state_dir>/alert-bridge"
            ) from None
        return self.spool_dir


def resolve_secret(env_name: str, field: str) -> str:
    """Read a secret from the environment variable a config field names.

    Raises:
        ConfigError: naming the field and the variable (never the value) when unset.
    """
    value = os.environ.get(env_name, "").strip()
    if not value:
        raise ConfigError(
            f"{field}: environment variable {env_name} is not set; export the "
            f"secret there (the config file names the variable, not the value)"
        )
    return value


def load_config(path: str | Path) -> BridgeConfig:
    """Load and validate an alert-bridge YAML file.

    Raises:
        ConfigError: the file cannot be read or a field is invalid (the message names it).
    """
    raw = read_yaml(path, ConfigError, expect="a mapping with listen, slack, state_dir, auth")
    try:
        return BridgeConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {validation_message(exc)}") from None
