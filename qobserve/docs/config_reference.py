"""``docs/configuration.md`` and ``docs/slo-spec.md``: key tables rendered from the pydantic models.

Each config file's model is walked through ``model_fields``: nested models
become dotted keys (``probes.rb.interval``), lists of models ``backends[].name``
and discriminated unions one block per ``kind``. A key's notes come from the
field's ``description``, its constraints and the ``Attributes:`` section of
its class docstring, so documenting a field in code documents it here.
"""

from __future__ import annotations

import inspect
import re
import types
import typing
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from pathlib import Path

import annotated_types as at
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from qobserve.conventions import generated_header

__all__ = ["Section", "model_rows", "render_configuration", "render_page", "render_slo_spec"]

GENERATED = generated_header("<!--").rstrip("\n")


@dataclass(frozen=True)
class Section:
    """One config file: its heading, the model validating it, and a sentence on where it is used."""

    title: str
    model: type[BaseModel]
    intro: str
    example: object = None  #: an object whose docstring's first literal block is a YAML example
    exclude: frozenset[str] = frozenset()  #: fields users never set (filled by the loader)


def _docstring_attributes(cls: type) -> dict[str, str]:
    """``name: text`` pairs of Google-style ``Attributes:`` sections along the MRO."""
    out: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        doc = inspect.cleandoc(klass.__dict__.get("__doc__") or "")
        _, found, rest = doc.partition("Attributes:\n")
        name = None
        for line in rest.splitlines() if found else ():
            if m := re.match(r"^    (\w+): (.*)$", line):
                name, out[m.group(1)] = m.group(1), m.group(2)
            elif line.startswith("        ") and name:
                out[name] += " " + line.strip()
            elif line.strip():
                break
    return out


def _summary(obj: object) -> str:
    doc = inspect.cleandoc(getattr(obj, "__doc__", None) or "")
    return " ".join(doc.split("\n\n")[0].split()).rstrip(":.").replace("``", "`")


def example_block(obj: object) -> str | None:
    """The first indented literal block of ``obj``'s docstring (a YAML example), dedented."""
    lines = inspect.cleandoc(getattr(obj, "__doc__", None) or "").splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("    ")), None)
    if start is None:
        return None
    block = []
    for line in lines[start:]:
        if line.strip() and not line.startswith("    "):
            break
        block.append(line[4:])
    return "\n".join(block).strip("\n")


#: Validators of the shared duration types (qobserve._validation): seconds and Prometheus text.
_DURATION_VALIDATORS = {"parse_duration", "prometheus_duration"}


def _is_duration(tp: object, metadata: Sequence[object]) -> bool:
    funcs = {getattr(getattr(m, "func", None), "__name__", "") for m in metadata}
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return bool(funcs & _DURATION_VALIDATORS) or any(
            _is_duration(a, []) for a in typing.get_args(tp)
        )
    if typing.get_origin(tp) is typing.Annotated:
        funcs |= {
            getattr(getattr(m, "func", None), "__name__", "") for m in typing.get_args(tp)[1:]
        }
    return bool(_DURATION_VALIDATORS & funcs)


def _type_name(tp: object, metadata: Sequence[object] = ()) -> str:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if len(_models_in(tp)) > 1:
            return "mapping (one `kind` below)"
        names = [_type_name(a) for a in args if a is not type(None)]
        return " \\| ".join(names) + (" \\| null" if type(None) in args else "")
    if _is_duration(tp, list(metadata)):
        return "duration"
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in args)
    if origin in (list, tuple):
        return f"list of {_type_name(args[0])}"
    if origin is dict:
        return f"map of {_type_name(args[1])}"
    if isinstance(tp, type) and issubclass(tp, Enum):
        return " \\| ".join(f"`{e.value}`" for e in tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return "mapping"
    type_names: dict[object, str] = {
        str: "string",
        int: "integer",
        float: "number",
        bool: "boolean",
        Decimal: "decimal",
        Path: "path",
        dict: "mapping",
    }
    return type_names.get(tp, getattr(tp, "__name__", str(tp)))


def _value(value: object) -> str:
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return str(value)


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "**required**"
    value = info.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return "(defaults)"
    if value is None:
        return "–"
    if (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and _is_duration(info.annotation, info.metadata)
    ):
        from qobserve.slo.windows import format_duration

        return f"`{format_duration(round(value * 1000))}`"
    return f"`{_value(value)}`" if _value(value) else '`""`'


_CONSTRAINTS = {
    at.Ge: "≥ {.ge}",
    at.Gt: "> {.gt}",
    at.Le: "≤ {.le}",
    at.Lt: "< {.lt}",
    at.MinLen: "length ≥ {.min_length}",
    at.MaxLen: "length ≤ {.max_length}",
}


def _notes(info: FieldInfo, doc: str | None) -> str:
    parts = [(doc or info.description or "").rstrip(".").replace("``", "`")]
    for meta in info.metadata:
        if fmt := _CONSTRAINTS.get(type(meta)):
            parts.append(fmt.format(meta))
        elif pattern := getattr(meta, "pattern", None):
            parts.append(f"matches `{pattern}`")
    return "; ".join(p for p in parts if p).replace("|", "\\|")


def _models_in(tp: object) -> list[type[BaseModel]]:
    """Models a field holds directly, in a list or map, or optionally (``X | None``)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [tp]
    if origin is typing.Annotated:
        return _models_in(args[0])
    if origin is dict:
        return _models_in(args[1])
    if origin in (typing.Union, types.UnionType, list, tuple):
        return [m for a in args for m in _models_in(a)]
    return []


def _container_tag(tp: object) -> str:
    """``[]`` for a list, ``.<name>`` for a map, also inside ``X | None``."""
    origin = typing.get_origin(tp)
    if origin in (list, tuple):
        return "[]"
    if origin is dict:
        return ".<name>"
    if origin in (typing.Union, types.UnionType):
        return next((t for a in typing.get_args(tp) if (t := _container_tag(a))), "")
    return ""


def model_rows(
    model: type[BaseModel], prefix: str = "", exclude: frozenset[str] = frozenset()
) -> Iterator[tuple[str, str, str, str]]:
    """``(key, type, default, notes)`` for every key of ``model``, nested keys dotted."""
    docs = _docstring_attributes(model)
    for name, info in model.model_fields.items():
        if name in exclude:
            continue
        key = prefix + (info.alias or name)
        nested = _models_in(info.annotation)
        tag = _container_tag(info.annotation)
        yield (
            f"`{key}{'[]' if tag == '[]' else ''}`",
            _type_name(info.annotation, info.metadata),
            _default(info),
            _notes(info, docs.get(name)),
        )
        if len(nested) == 1:
            yield from model_rows(nested[0], f"{key}{tag}.")
        for variant in nested if len(nested) > 1 else ():
            kind = typing.get_args(variant.model_fields["kind"].annotation)[0]
            yield (f"`{key}` kind `{kind}`", "mapping", "", _summary(variant).replace("|", "\\|"))
            rows = model_rows(variant, f"{key}.")
            yield from (row for row in rows if row[0] != f"`{key}.kind`")


def _table(model: type[BaseModel], exclude: frozenset[str]) -> list[str]:
    lines = ["| key | type | default | notes |", "|---|---|---|---|"]
    lines += [f"| {k} | {t} | {d} | {n} |" for k, t, d, n in model_rows(model, exclude=exclude)]
    return lines


def render_page(title: str, intro: str, sections: list[Section]) -> str:
    """A Markdown page: title, intro, then per section an example and one key table."""
    lines = [GENERATED, f"# {title}", "", intro.strip(), ""]
    for s in sections:
        summary = _summary(s.model)
        lines += [
            f"## {s.title}",
            "",
            s.intro.strip(),
            "",
            f"Model: `{s.model.__module__}.{s.model.__qualname__}`"
            + (f" — {summary}." if summary else "."),
            "",
        ]
        if s.example is not None and (example := example_block(s.example)):
            lines += ["```yaml", example, "```", ""]
        lines += [*_table(s.model, s.exclude), ""]
    return "\n".join(lines).rstrip() + "\n"


_CONFIG_INTRO = """
Every key of every qobserve config file, generated from the pydantic models that
validate them. Unknown keys are errors naming the field
(`backends[1].faults.timeout_rate: …`). Durations accept `250ms`, `30s`, `5m`,
`6h`, `1d` or a number of seconds. Secrets never go in a file: keys ending in
`_env` name an environment variable that holds them. The SLO spec has its own
page, [slo-spec.md](slo-spec.md).
"""


def render_configuration() -> str:
    """``docs/configuration.md``."""
    from qobserve import gameday
    from qobserve.alert_bridge import config as bridge
    from qobserve.cost.table import PriceTable
    from qobserve.executor import ExecutorPolicy
    from qobserve.exporter import config as exporter
    from qobserve.slo.routing import RoutingSpec

    return render_page(
        "Configuration reference",
        _CONFIG_INTRO,
        [
            Section(
                "Exporter (`qobserve exporter --config FILE`)",
                exporter.ExporterConfig,
                "The sidecar's probes and listen address. Each probe runs once at start-up, then "
                "every `interval` with jitter. `SIGHUP` reloads the file.",
                example=exporter,
            ),
            Section(
                "Alert bridge (`qobserve alert-bridge --config FILE`)",
                bridge.BridgeConfig,
                "Alertmanager webhook receiver → Slack. Set exactly one of `slack.token_env` "
                "and `slack.webhook_url_env`.",
                example=bridge,
            ),
            Section(
                "Game-day scenario (`qobserve gameday --scenario FILE`)",
                gameday.Scenario,
                "Jobs, executor settings and backends with injected faults; local simulators "
                "only. More examples: `examples/gamedays/*.yaml`.",
                example=gameday,
            ),
            Section(
                "Executor policy (`qobserve.executor.load_policy(FILE)`)",
                ExecutorPolicy,
                "Retry, breaker, gates, idempotency and retry budget of "
                "`ResilientExecutor.from_policy`.",
                example=ExecutorPolicy,
            ),
            Section(
                "Pricing table (`QOBSERVE_PRICES=FILE`)",
                PriceTable,
                "Overrides the built-in `qobserve/cost/prices.yaml`; `extends: builtin` keeps "
                "the built-in rules after yours. The first rule matching provider and backend wins; "
                "the built-in file's header documents each rule field.",
                exclude=frozenset({"source"}),
            ),
            Section(
                "Routing spec (`alerts/routing.yaml`)",
                RoutingSpec,
                "Input of the generated `alerts/alertmanager.yml`: receivers, severities, "
                "inhibitions and maintenance windows.",
            ),
        ],
    )


_SLO_INTRO = """
The SLO spec `alerts/slo.yaml` (`apiVersion: qobserve/v1`), generated from
`qobserve/slo/spec.py`. `qobserve generate` turns it into
`alerts/slo.rules.yml` (recording rules and multi-window burn-rate alerts) and
`alerts/quantum.rules.yml` (the non-SLO alerts, tuned under `alerts:`).
`objective` is a percentage; `period` and windows are Prometheus durations.
`sli` is one of the kinds below, selected by `kind`.
"""


def render_slo_spec() -> str:
    """``docs/slo-spec.md``."""
    from qobserve.slo import spec

    return render_page(
        "SLO spec reference",
        _SLO_INTRO,
        [
            Section(
                "`alerts/slo.yaml`",
                spec.SLOSpec,
                "Keys under `slos[]` describe one SLO; `alerts.*` hold the "
                "thresholds of the non-SLO alerts.",
                example=spec,
            )
        ],
    )
