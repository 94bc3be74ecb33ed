"""Alertmanager webhook payload (version 4), validated with pydantic.

The shape follows Alertmanager's ``notify/webhook`` message; the test data in
``tests/alert_bridge/data`` was captured from a real Alertmanager 0.25. Extra
keys are allowed (Alertmanager may add fields); missing or mistyped ones are a
400 naming the field.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from qobserve import semconv

__all__ = ["MAX_DEPTH", "Alert", "PayloadError", "WebhookPayload", "parse_payload"]

#: Deepest nesting accepted; an Alertmanager payload is 3 levels deep (body → alerts → labels).
MAX_DEPTH = 32
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(rb"[\[\]{}]")


class PayloadError(ValueError):
    """The request body is not a valid Alertmanager v4 webhook payload."""


class Alert(BaseModel):
    """One alert of a notification."""

    model_config = ConfigDict(extra="allow", frozen=True)

    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: datetime
    endsAt: datetime
    generatorURL: str = ""
    fingerprint: str = Field(min_length=1)

    @property
    def name(self) -> str:
        """The ``alertname`` label (``unnamed`` when absent)."""
        return self.labels.get("alertname", "unnamed")

    @property
    def severity(self) -> str:
        """The ``severity`` label, empty when absent."""
        return self.labels.get(semconv.SEVERITY_LABEL, "")


class WebhookPayload(BaseModel):
    """A whole notification: one group of alerts."""

    model_config = ConfigDict(extra="allow", frozen=True)

    version: Literal["4"]
    groupKey: str
    truncatedAlerts: int = 0
    status: Literal["firing", "resolved"]
    receiver: str
    groupLabels: dict[str, str] = Field(default_factory=dict)
    commonLabels: dict[str, str] = Field(default_factory=dict)
    commonAnnotations: dict[str, str] = Field(default_factory=dict)
    externalURL: str = ""
    alerts: list[Alert] = Field(min_length=1)


def parse_payload(body: bytes) -> WebhookPayload:
    """Parse and validate a webhook body.

    Raises:
        PayloadError: with a reason fit for a 400 response (``alerts.0.status: ...``).
    """
    _check_depth(body)
    try:
        raw = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise PayloadError(f"body is not valid JSON: {exc}") from None
    try:
        return WebhookPayload.model_validate(raw)
    except ValidationError as exc:
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()
        )
        raise PayloadError(f"not an Alertmanager v4 webhook payload: {reasons}") from None


def _check_depth(body: bytes) -> None:
    """Refuse nesting deeper than :data:`MAX_DEPTH` before ``json.loads`` recurses into it."""
    depth = 0
    for m in _BRACKET.finditer(_STRING.sub(b'""', body)):
        depth += 1 if m.group() in (b"[", b"{") else -1
        if depth > MAX_DEPTH:
            raise PayloadError(
                f"body nests deeper than {MAX_DEPTH} levels; an Alertmanager payload is 3 deep"
            )
