"""The one duration grammar and the one strict base model every config shares."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import AfterValidator, BaseModel, ValidationError

from qobserve._validation import (
    Duration,
    PromDuration,
    StrictModel,
    at_most,
    duration_ms,
    format_duration,
    parse_duration,
    validation_message,
)


class _Config(StrictModel):
    wait: Duration = 1.0
    rule_for: PromDuration = "5m"
    probe: Annotated[Duration, AfterValidator(at_most("30d"))] = 60.0


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("30d", 30 * 86_400_000),
        ("6h", 21_600_000),
        ("5m", 300_000),
        ("30s", 30_000),
        ("500ms", 500),
        ("1h30m", 5_400_000),
        ("1d2h3m4s5ms", 93_784_005),
        ("1.5h", 5_400_000),
        ("0.25s", 250),
    ],
)
def test_one_grammar_for_seconds_and_milliseconds(text: str, ms: int) -> None:
    """Config durations (seconds) and spec durations (milliseconds) read the same text alike."""
    assert duration_ms(text) == ms
    assert parse_duration(text) == pytest.approx(ms / 1000, rel=1e-12)


@pytest.mark.parametrize("text", ["30 seconds", "5", "", "m5", "1m1h", "5x", "1.s", "-5m"])
def test_not_a_duration(text: str) -> None:
    """Text outside the grammar is refused by both readers, each with its one-line hint."""
    with pytest.raises(ValueError, match=r"is not a duration: use e\.g\. 30d"):
        duration_ms(text)
    with pytest.raises(ValueError, match="expected a duration like 30s, 5m, 6h"):
        parse_duration(text)


def test_spec_durations_must_be_positive_whole_milliseconds() -> None:
    """Prometheus cannot express 0 or sub-millisecond durations."""
    with pytest.raises(ValueError, match="must be positive"):
        duration_ms("0s")
    with pytest.raises(ValueError, match="whole milliseconds"):
        duration_ms("0.5ms")


def test_prometheus_text_kept_or_made_canonical() -> None:
    """Integer text is written as given; a decimal becomes the form Prometheus accepts."""
    assert _Config(rule_for="90m").rule_for == "90m"
    assert _Config(rule_for="1.5h").rule_for == "1h30m"
    assert format_duration(duration_ms("1.5h")) == "1h30m"


def test_capped_duration_names_its_cap() -> None:
    """A duration above its field's cap fails with the cap in the message."""
    with pytest.raises(ValidationError) as info:
        _Config(probe="31d")
    assert validation_message(info.value) == (
        "probe: must be a finite duration of at most 30d, got 2678400.0"
    )


def test_strict_model_refuses_unknown_keys_and_is_frozen() -> None:
    """A typo is an error naming the key; a loaded config cannot be changed by accident."""
    with pytest.raises(ValidationError) as info:
        _Config.model_validate({"wiat": "5s"})
    assert validation_message(info.value) == "wiat: unknown key: remove it or fix its spelling"
    config = _Config(wait="5s")
    assert config.wait == 5.0
    with pytest.raises(ValidationError):
        config.wait = 1.0


def test_config_models_share_the_one_base() -> None:
    """Every config family's models derive from the one strict base."""
    from qobserve.alert_bridge.config import BridgeConfig
    from qobserve.exporter.config import ExporterConfig
    from qobserve.slo.routing import RoutingSpec
    from qobserve.slo.spec import SLOSpec

    for model in (BridgeConfig, ExporterConfig, RoutingSpec, SLOSpec):
        assert issubclass(model, StrictModel) and issubclass(model, BaseModel), model
