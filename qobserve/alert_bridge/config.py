"""Alert-bridge configuration: the YAML file behind ``qobserve alert-bridge --config FILE``.

Example::

    listen: 127.0.0.1:9095
    slack:
      token_env: SLACK_BOT_TOKEN        # or webhook_url_env: SLACK_WEBHOOK_URL
      base_url: https://slack.com/api/  # optional; tests point it at a local server
      channels: {page: "#quantum-oncall", ticket: "#quantum-alerts"}
    spool_dir: /var/lib/qobserve/alert-bridge
    auth: {bearer_token_env: QOBSERVE_BRIDGE_TOKEN}

Secrets are never in the file: it names environment variables, and the values
are read at start-up by :func:`resolve_secret`.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from qobserve._validation import read_yaml, validation_message

__all__ = ["AuthConfig", "BridgeConfig", "ConfigError", "SlackChannels", "SlackConfig",
           "load_config", "resolve_secret"]


class ConfigError(ValueError):
    """The configuration file is missing, unreadable or invalid; the message names the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SlackChannels(_Strict):
    """Channel per alert severity (labels ``severity=page`` / ``severity=ticket``)."""

    page: str = Field(min_length=1)
    ticket: str = Field(min_length=1)


class SlackConfig(_Strict):
    """How to reach Slack: a bot token (threads resolved messages) or an incoming webhook."""

    token_env: str | None = None
    webhook_url_env: str | None = None
    base_url: str | None = None
    channels: SlackChannels

    @model_validator(mode="after")
    def _one_transport(self) -> SlackConfig:
        if (self.token_env is None) == (self.webhook_url_env is None):
            raise ValueError("set exactly one of slack.token_env (bot token, e.g. SLACK_BOT_TOKEN) "
                             "or slack.webhook_url_env (incoming webhook URL)")
        if self.base_url is not None and self.webhook_url_env is not None:
            raise ValueError("slack.base_url applies to the Web API (token_env) only; a webhook "
                             "URL already names its server")
        return self


class AuthConfig(_Strict):
    """Require ``Authorization: Bearer <token>`` on ``POST /alerts``."""

    bearer_token_env: str = Field(min_length=1)


class BridgeConfig(_Strict):
    """The whole alert-bridge configuration."""

    listen: str = "127.0.0.1:9095"
    slack: SlackConfig
    spool_dir: Path
    auth: AuthConfig | None = None

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
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


def resolve_secret(env_name: str, field: str) -> str:
    """Read a secret from the environment variable a config field names.

    Raises:
        ConfigError: naming the field and the variable (never the value) when unset.
    """
    value = os.environ.get(env_name, "").strip()
    if not value:
        raise ConfigError(f"{field}: environment variable {env_name} is not set; export the "
                          f"secret there (the config file names the variable, not the value)")
    return value


def load_config(path: str | Path) -> BridgeConfig:
    """Load and validate an alert-bridge YAML file.

    Raises:
        ConfigError: the file cannot be read or a field is invalid (the message names it).
    """
    raw = read_yaml(path, ConfigError, expect="a mapping with listen, slack, spool_dir, auth")
    try:
        return BridgeConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {validation_message(exc)}") from None
