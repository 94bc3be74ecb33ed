"""Talking to Slack through slack-sdk: post, look up, probe; secrets kept out of every log line.

Two transports:

* the Web API with a bot token (``chat.postMessage``): every post carries
  ``metadata = {"event_type": "qobserve_alert", "event_payload": {"delivery_id": …}}``,
  so :meth:`WebApiSender.posted` can tell from ``conversations.history`` (or
  ``conversations.replies`` for a threaded message) whether a post whose
  outcome is unknown did land. That makes delivery exactly-once.
* an incoming webhook: the channel is the webhook's, there is no history to
  look in, so a retry after a timeout may post twice (at-least-once).

Every call has a timeout and slack-sdk's own retries are off: the delivery
lanes decide what to retry. Errors are classified here, once:
:class:`TransientError` (HTTP 429 with its ``Retry-After``, 5xx, connection
errors, timeouts) is retried; :class:`PermanentError` (``ok: false`` with
``invalid_blocks``, ``msg_too_long``, ``channel_not_found``, ``not_in_channel``,
``is_archived``, ``invalid_auth`` and any code not known to be transient) is not.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from typing import Any, Protocol

from slack_sdk import WebClient, WebhookClient
from slack_sdk.errors import SlackApiError

from qobserve.alert_bridge.config import SlackConfig, resolve_secret

__all__ = [
    "EVENT_TYPE",
    "PERMANENT_ERRORS",
    "DeliveryError",
    "PermanentError",
    "RedactSecrets",
    "SlackSender",
    "TransientError",
    "WebApiSender",
    "WebhookSender",
    "make_sender",
]

log = logging.getLogger(__name__)

#: slack-sdk logs request URLs and bodies at DEBUG on this logger; a webhook URL is a secret.
SDK_LOGGER = "qobserve.alert_bridge.slack_sdk"
#: ``metadata.event_type`` of every message the bridge posts.
EVENT_TYPE = "qobserve_alert"

#: ``ok: false`` codes that retrying cannot fix (api.slack.com/methods/chat.postMessage#errors).
PERMANENT_ERRORS = frozenset(
    {
        "invalid_blocks",
        "invalid_blocks_format",
        "msg_too_long",
        "msg_blocks_too_long",
        "no_text",
        "too_many_attachments",
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "restricted_action",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "metadata_too_large",
        "invalid_arguments",
        "message_limit_exceeded",
        "cannot_reply_to_message",
    }
)
#: ``ok: false`` codes Slack documents as momentary.
TRANSIENT_ERRORS = frozenset(
    {
        "ratelimited",
        "rate_limited",
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
    }
)
# Slack channel, group and DM IDs (C…, G…, D…); anything else is a name to resolve.
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{8,}$")


class DeliveryError(Exception):
    """Slack did not take the message.

    Attributes:
        reason: low-cardinality class for metrics (``rate_limited``, ``http_error``,
            ``connection``, ``timeout`` or the Slack error code of a refusal).
        retry_after: seconds Slack asked us to wait, when it said.
        unknown_outcome: the request may have reached Slack (timeout, connection
            lost after sending): look in the channel before posting again.
    """

    def __init__(
        self,
        reason: str,
        detail: str = "",
        *,
        retry_after: float | None = None,
        unknown_outcome: bool = False,
    ) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.retry_after = retry_after
        self.unknown_outcome = unknown_outcome


class TransientError(DeliveryError):
    """Worth retrying later: rate limit, Slack 5xx, connection error or timeout."""


class PermanentError(DeliveryError):
    """Slack refused this message for good (the same request will be refused again)."""


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
    """A Slack transport as the delivery lanes use it."""

    #: Whether :meth:`posted` can see the channel (exactly-once) or not (at-least-once).
    can_look_up: bool

    def post(
        self, channel: str, message: dict[str, Any], *, thread_ts: str | None, delivery_id: str
    ) -> str | None:
        """Post; return the message ``ts`` when the transport reports it."""

    def posted(
        self, channel: str, *, thread_ts: str | None, oldest: float, want: str | None = None
    ) -> dict[str, str]:
        """``delivery_id -> ts`` of the bridge's posts since ``oldest`` (in one thread when
        ``thread_ts``), reading at most a bounded number of pages and stopping early once
        ``want`` is seen."""

    def resolve(self, channel: str) -> str:
        """The channel ID for a configured name or ID (the name when it cannot be resolved)."""

    def probe(self) -> bool:
        """Whether Slack answers right now (cheap; used while backing off)."""


def _retry_after(headers: Any) -> float | None:
    try:
        value = (headers or {}).get("retry-after") or (headers or {}).get("Retry-After")
        return float(value[0] if isinstance(value, list) else value) if value else None
    except (TypeError, ValueError):
        return None


def _classify(exc: Exception) -> DeliveryError:
    """Map what slack-sdk raised onto a transient or permanent delivery error."""
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        error = str(data.get("error") or "")
        if status == 429:
            return TransientError(
                "rate_limited", "Slack returned 429", retry_after=_retry_after(exc.response.headers)
            )
        if status >= 500 or status != 200:
            return TransientError("http_error", f"HTTP {status} {error}".strip())
        if error in TRANSIENT_ERRORS:
            return TransientError(
                "api_error", error, retry_after=_retry_after(exc.response.headers)
            )
        return PermanentError(error or "api_error", error)
    if isinstance(exc, ConnectionRefusedError) or isinstance(
        getattr(exc, "reason", None), ConnectionRefusedError
    ):
        return TransientError("connection", "connection refused")
    if isinstance(exc, TimeoutError) or "timed out" in str(exc):
        return TransientError("timeout", type(exc).__name__, unknown_outcome=True)
    # Reset or dropped mid-request: the post may have landed.
    return TransientError("connection", type(exc).__name__, unknown_outcome=True)


class WebApiSender:
    """``chat.postMessage`` with a bot token; exactly-once via message metadata.

    Args:
        token: the bot token.
        base_url: Slack's API root (tests point it at :mod:`qobserve.testing.slack`).
        timeout: seconds for every call.
        history_pages: at most this many pages of ``limit`` messages are read per look-up.
    """

    can_look_up = True

    def __init__(
        self,
        token: str,
        *,
        base_url: str | None = None,
        timeout: float = 10.0,
        history_pages: int = 5,
        page_size: int = 200,
    ) -> None:
        self._client = WebClient(
            token=token,
            base_url=base_url or WebClient.BASE_URL,
            timeout=max(1, round(timeout)),
            logger=logging.getLogger(SDK_LOGGER),
            retry_handlers=[],
        )
        self._pages, self._page_size = history_pages, page_size
        self._ids: dict[str, str] = {}
        self._ids_lock = threading.Lock()  # lanes resolve concurrently; list channels once
        self._ids_at = 0.0
        self._no_scope = False

    def post(
        self, channel: str, message: dict[str, Any], *, thread_ts: str | None, delivery_id: str
    ) -> str | None:
        try:
            response = self._client.chat_postMessage(
                channel=channel,
                text=message["text"],
                blocks=message.get("blocks") or None,
                thread_ts=thread_ts,
                unfurl_links=False,
                unfurl_media=False,
                metadata={"event_type": EVENT_TYPE, "event_payload": {"delivery_id": delivery_id}},
            )
        except Exception as exc:
            raise _classify(exc) from None
        return response.get("ts")

    def posted(
        self, channel: str, *, thread_ts: str | None, oldest: float, want: str | None = None
    ) -> dict[str, str]:
        cursor, found = None, {}
        for _ in range(self._pages):
            try:
                if thread_ts:
                    page = self._client.conversations_replies(
                        channel=channel,
                        ts=thread_ts,
                        include_all_metadata=True,
                        oldest=f"{oldest:.6f}",
                        limit=self._page_size,
                        cursor=cursor,
                    )
                else:
                    page = self._client.conversations_history(
                        channel=channel,
                        include_all_metadata=True,
                        oldest=f"{oldest:.6f}",
                        limit=self._page_size,
                        cursor=cursor,
                    )
            except Exception as exc:
                raise _classify(exc) from None
            for m in page.get("messages") or []:
                meta = m.get("metadata") or {}
                if meta.get("event_type") == EVENT_TYPE:
                    if delivery_id := (meta.get("event_payload") or {}).get("delivery_id"):
                        found[delivery_id] = m.get("ts")
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor or (want and want in found):
                return found
        if want and want not in found:
            log.warning(
                "%s: delivery id %s not in the last %d messages looked at; posting",
                channel,
                want,
                self._pages * self._page_size,
            )
        return found

    def resolve(self, channel: str) -> str:
        if _CHANNEL_ID.match(channel):
            return channel
        name = channel.lstrip("#")
        with self._ids_lock:
            # List once; list again (at most every 10 min) for a channel created or joined since.
            if (
                not self._no_scope
                and name not in self._ids
                and (not self._ids_at or time.monotonic() - self._ids_at > 600)
            ):
                self._load_ids()
        return self._ids.get(name, channel)

    def _load_ids(self) -> None:
        """Read every channel's name → ID (``conversations.list``, paged, bounded)."""
        cursor, ids = None, {}
        for _ in range(50):
            try:
                page = self._client.conversations_list(
                    types="public_channel,private_channel",
                    exclude_archived=True,
                    limit=1000,
                    cursor=cursor,
                )
            except SlackApiError as exc:
                error = exc.response.get("error") if isinstance(exc.response.data, dict) else ""
                if error == "missing_scope":
                    log.warning(
                        "Slack channel names cannot be resolved to IDs: the bot lacks the "
                        "channels:read/groups:read scope; configure channel IDs (C…) or "
                        "add the scope, else a retry after a timeout may post twice"
                    )
                    self._no_scope = True  # do not ask again
                    return
                raise _classify(exc) from None
            except Exception as exc:
                raise _classify(exc) from None
            ids.update({c["name"]: c["id"] for c in page.get("channels") or []})
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        self._ids, self._ids_at = ids, time.monotonic()

    def probe(self) -> bool:
        try:
            return bool(self._client.auth_test().get("ok"))
        except Exception:
            return False


class WebhookSender:
    """Incoming webhook: the channel is the webhook's own, so ``channel`` is ignored.

    Webhooks return no ``ts`` and have no history: delivery is at-least-once.
    """

    can_look_up = False

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        self._client = WebhookClient(
            url=url,
            timeout=max(1, round(timeout)),
            logger=logging.getLogger(SDK_LOGGER),
            retry_handlers=[],
        )

    def post(
        self, channel: str, message: dict[str, Any], *, thread_ts: str | None, delivery_id: str
    ) -> str | None:
        body = {"text": message["text"]}
        if message.get("blocks"):
            body["blocks"] = message["blocks"]
        try:
            response = self._client.send_dict(body)
        except Exception as exc:
            raise _classify(exc) from None
        if response.status_code == 429:
            raise TransientError(
                "rate_limited", "Slack returned 429", retry_after=_retry_after(response.headers)
            )
        if response.status_code >= 500:
            raise TransientError("http_error", f"HTTP {response.status_code}")
        if response.status_code != 200:
            raise PermanentError(
                str(response.body or "http_error")[:40], f"HTTP {response.status_code}"
            )
        return None

    def posted(
        self, channel: str, *, thread_ts: str | None, oldest: float, want: str | None = None
    ) -> dict[str, str]:
        return {}

    def resolve(self, channel: str) -> str:
        return channel

    def probe(self) -> bool:
        return True  # nothing cheap to ask; the next post is the probe


def make_sender(config: SlackConfig) -> tuple[SlackSender, list[str]]:
    """Build the sender a config asks for.

    Returns:
        The sender and the secrets it holds (for :class:`RedactSecrets`).

    Raises:
        ConfigError: the named environment variable is unset.
    """
    if config.token_env:
        token = resolve_secret(config.token_env, "slack.token_env")
        return WebApiSender(token, base_url=config.base_url, timeout=config.timeout), [token]
    assert config.webhook_url_env is not None  # the config validator guarantees one of them
    url = resolve_secret(config.webhook_url_env, "slack.webhook_url_env")
    return WebhookSender(url, timeout=config.timeout), [url]
