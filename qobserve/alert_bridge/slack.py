"""Posting to Slack through slack-sdk, with secrets kept out of every log line.

Two transports: the Web API (``chat.postMessage`` with a bot token; returns the
message ``ts`` so resolved messages can be threaded) and incoming webhooks
(channel fixed by the webhook, no threading). Both get slack-sdk's
``RateLimitErrorRetryHandler``, which sleeps for Slack's ``Retry-After`` and
retries; anything still refused becomes a :class:`DeliveryError` that the
bridge's delivery loop retries from the spool.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from slack_sdk import WebClient, WebhookClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from qobserve.alert_bridge.config import SlackConfig, resolve_secret

__all__ = ["DeliveryError", "RedactSecrets", "SlackSender", "WebApiSender", "WebhookSender",
           "make_sender"]

#: slack-sdk logs request URLs and bodies at DEBUG on this logger; a webhook URL is a secret.
SDK_LOGGER = "qobserve.alert_bridge.slack_sdk"


class DeliveryError(Exception):
    """Slack did not take the message; retry later.

    Attributes:
        reason: low-cardinality class for metrics (rate_limited, api_error, http_error, connection).
        retry_after: seconds Slack asked us to wait, when it said.
    """

    def __init__(self, reason: str, detail: str, retry_after: float | None = None) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.retry_after = retry_after


class RedactSecrets(logging.Filter):
    """Replace secret values in log records with ``[REDACTED]``.

    Logger filters do not run for records propagated from child loggers, so
    attach it to every logger that may see a secret (see :func:`make_sender`).
    """

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = message
        for secret in self.secrets:
            redacted = redacted.replace(secret, "[REDACTED]")
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class SlackSender(Protocol):
    """Posts one message; returns the Slack ``ts`` when the transport reports it."""

    def send(self, channel: str, message: dict[str, Any], thread_ts: str | None) -> str | None: ...


def _retry_after(headers: Any) -> float | None:
    try:
        value = (headers or {}).get("retry-after") or (headers or {}).get("Retry-After")
        return float(value[0] if isinstance(value, list) else value) if value else None
    except (TypeError, ValueError):
        return None


class WebApiSender:
    """``chat.postMessage`` with a bot token."""

    def __init__(self, token: str, *, base_url: str | None = None, timeout: int = 10,
                 rate_limit_retries: int = 2) -> None:
        self._client = WebClient(
            token=token, base_url=base_url or WebClient.BASE_URL, timeout=timeout,
            logger=logging.getLogger(SDK_LOGGER),
            retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=rate_limit_retries)],
        )

    def send(self, channel: str, message: dict[str, Any], thread_ts: str | None) -> str | None:
        try:
            response = self._client.chat_postMessage(
                channel=channel, text=message["text"], blocks=message["blocks"],
                thread_ts=thread_ts, unfurl_links=False, unfurl_media=False)
        except SlackApiError as exc:
            status = exc.response.status_code
            error = exc.response.get("error", "") if isinstance(exc.response.data, dict) else ""
            if status == 429:
                raise DeliveryError("rate_limited", "Slack returned 429",
                                    _retry_after(exc.response.headers)) from None
            reason = "api_error" if status == 200 else "http_error"
            raise DeliveryError(reason, f"HTTP {status} {error or ''}".strip()) from None
        except Exception as exc:  # URLError, timeouts, refused connections
            raise DeliveryError("connection", type(exc).__name__) from None
        return response.get("ts")


class WebhookSender:
    """Incoming webhook: the channel is the webhook's own, so ``channel`` is ignored."""

    def __init__(self, url: str, *, timeout: int = 10, rate_limit_retries: int = 2) -> None:
        self._client = WebhookClient(
            url=url, timeout=timeout, logger=logging.getLogger(SDK_LOGGER),
            retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=rate_limit_retries)])

    def send(self, channel: str, message: dict[str, Any], thread_ts: str | None) -> str | None:
        try:
            response = self._client.send_dict({"text": message["text"],
                                               "blocks": message["blocks"]})
        except Exception as exc:
            raise DeliveryError("connection", type(exc).__name__) from None
        if response.status_code == 429:
            raise DeliveryError("rate_limited", "Slack returned 429",
                                _retry_after(response.headers))
        if response.status_code != 200:
            raise DeliveryError("http_error", f"HTTP {response.status_code}")
        return None


def make_sender(config: SlackConfig) -> tuple[SlackSender, list[str]]:
    """Build the sender a config asks for.

    Returns:
        The sender and the secrets it holds (for :class:`RedactSecrets`).

    Raises:
        ConfigError: the named environment variable is unset.
    """
    if config.token_env:
        token = resolve_secret(config.token_env, "slack.token_env")
        return WebApiSender(token, base_url=config.base_url), [token]
    assert config.webhook_url_env is not None  # the config validator guarantees one of them
    url = resolve_secret(config.webhook_url_env, "slack.webhook_url_env")
    return WebhookSender(url), [url]
