"""The pricing table: a versioned, dated YAML file validated with pydantic.

The built-in table (``prices.yaml`` next to this module) is data, not code, so
a price change is a data edit with a new ``version`` and ``price_date``. Users
replace or extend it with their own file (``QOBSERVE_PRICES`` or
:func:`use_prices`); a file with ``extends: builtin`` keeps the built-in rules
after its own. Rules are tried in order and the first whose provider and
pattern match a backend prices it.
"""

from __future__ import annotations

import fnmatch
import os
import threading
from datetime import date
from decimal import Decimal
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, ValidationError, model_validator

from qobserve._validation import StrictModel, read_yaml, validation_message

__all__ = [
    "BUILTIN",
    "Charge",
    "Model",
    "PriceRule",
    "PriceTable",
    "PricingError",
    "current_table",
    "load_table",
    "use_prices",
]

BUILTIN = "builtin"
ENV_VAR = "QOBSERVE_PRICES"


class PricingError(ValueError):
    """A pricing file is unreadable or invalid; the message names the field."""


class Model(StrEnum):
    PER_SHOT = "per_shot"  # Braket QPUs: per-task fee + per-shot fee
    PER_TIME = "per_time"  # managed simulators, IBM quantum seconds
    FREE = "free"  # local simulators and emulated devices
    UNPRICED = "unpriced"  # a cloud service nobody has priced yet


class Charge(StrEnum):
    """What a task that did not complete is charged."""

    FREE = "free"
    TASK_FEE = "task_fee"
    FULL = "full"


class PriceRule(StrictModel):
    """One pricing rule; see the header of ``prices.yaml`` for the fields."""

    name: str = Field(min_length=1)
    provider: Literal["qiskit", "braket", "cirq"]
    match: tuple[str, ...] = Field(min_length=1)
    model: Model
    per_task_usd: Decimal = Field(default=Decimal(0), ge=0)
    per_shot_usd: Decimal = Field(default=Decimal(0), ge=0)
    per_second_usd: Decimal | None = Field(default=None, ge=0)
    per_minute_usd: Decimal | None = Field(default=None, ge=0)
    minimum_seconds: Decimal = Field(default=Decimal(0), ge=0)
    estimate_seconds: Decimal = Field(default=Decimal(0), ge=0)
    estimate_seconds_per_shot: Decimal = Field(default=Decimal(0), ge=0)
    on_failed: Charge = Charge.FREE
    on_cancelled: Charge = Charge.FREE

    @model_validator(mode="after")
    def _model_fields(self) -> PriceRule:
        if self.model is Model.PER_TIME:
            if (self.per_second_usd is None) == (self.per_minute_usd is None):
                raise ValueError(
                    "per_time rules need exactly one of per_second_usd or per_minute_usd"
                )
        elif self.per_second_usd is not None or self.per_minute_usd is not None:
            raise ValueError(
                f"per_second_usd/per_minute_usd only apply to model per_time, not {self.model}"
            )
        if self.model is not Model.PER_SHOT and self.per_shot_usd:
            raise ValueError(f"per_shot_usd only applies to model per_shot, not {self.model}")
        return self

    @property
    def usd_per_second(self) -> Decimal:
        if self.per_second_usd is not None:
            return self.per_second_usd
        return (self.per_minute_usd or Decimal(0)) / 60

    def matches(self, provider: str, backend: str) -> bool:
        """True when this rule prices ``backend`` (label, ARN or ARN's last segment)."""
        if provider != self.provider:
            return False
        names = {backend, backend.rsplit("/", 1)[-1]}
        return any(fnmatch.fnmatchcase(n, p) for n in names for p in self.match)


class PriceTable(StrictModel):
    """A dated, versioned list of pricing rules."""

    version: str = Field(min_length=1)
    price_date: date
    currency: Literal["USD"] = "USD"
    extends: Literal["builtin"] | None = None
    rules: tuple[PriceRule, ...]
    source: str = BUILTIN  # set by the loader: where the table came from

    def rule_for(self, provider: str, backend: str) -> PriceRule | None:
        """The first rule that prices ``backend``, or None."""
        provider = str(provider)
        for rule in self.rules:
            if rule.matches(provider, backend):
                return rule
        return None

    @property
    def label(self) -> str:
        """``version`` and origin, for estimates and logs."""
        origin = "qobserve/cost/prices.yaml (built-in)" if self.source == BUILTIN else self.source
        return f"{origin} v{self.version}"


def _format_errors(exc: ValidationError, where: str) -> str:
    return f"{where}: invalid pricing table: {validation_message(exc)}"


def _parse(data: object, where: str, source: str) -> PriceTable:
    if not isinstance(data, dict):
        raise PricingError(f"{where}: a pricing table is a mapping with version, price_date, rules")
    try:
        table = PriceTable.model_validate({**data, "source": source})
    except ValidationError as exc:
        raise PricingError(_format_errors(exc, where)) from None
    if table.extends == BUILTIN:
        base = builtin_table()
        table = table.model_copy(update={"rules": table.rules + base.rules})
    return table


def builtin_table() -> PriceTable:
    """The table shipped with qobserve."""
    text = resources.files("qobserve.cost").joinpath("prices.yaml").read_text("utf-8")
    return _parse(yaml.safe_load(text), "qobserve/cost/prices.yaml", BUILTIN)


def load_table(path: str | os.PathLike[str]) -> PriceTable:
    """Load a pricing override file.

    Raises:
        PricingError: the file is missing, not YAML, or a field is invalid;
            the message names the file and the field (``rules.2.per_shot_usd``).
    """
    return _parse(
        read_yaml(
            Path(path),
            PricingError,
            expect="a pricing table: a mapping with version, price_date, rules",
        ),
        str(path),
        str(path),
    )


_lock = threading.Lock()
_current: PriceTable | None = None


def use_prices(table: PriceTable | str | os.PathLike[str] | None) -> PriceTable:
    """Make ``table`` (or the file at that path) the process-wide pricing table.

    ``None`` goes back to the default: ``$QOBSERVE_PRICES`` if set, else built-in.
    """
    global _current
    new = table if isinstance(table, PriceTable) or table is None else load_table(table)
    with _lock:
        _current = new
    return current_table()


def current_table() -> PriceTable:
    """The table in use: :func:`use_prices`, else ``$QOBSERVE_PRICES``, else built-in."""
    global _current
    with _lock:
        if _current is None:
            env = os.environ.get(ENV_VAR)
            _current = load_table(env) if env else builtin_table()
        return _current
