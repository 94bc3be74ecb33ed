"""YAML output for generated files: stable key order, multi-line PromQL as literal blocks."""

from __future__ import annotations

import re

import yaml

from qobserve.conventions import generated_header

__all__ = ["GENERATED_HEADER", "dump_generated"]

_SEXAGESIMAL = re.compile(r"[0-9][0-9_]*(:[0-5]?[0-9])+")
GENERATED_HEADER = generated_header("#")


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: object) -> bool:  # repeated label dicts stay readable
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    if _SEXAGESIMAL.fullmatch(value):  # YAML 1.1 readers would load 02:00 as 120
        style = '"'
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_generated(data: object, *, source: str) -> str:
    """Render ``data`` as YAML behind the DO-NOT-EDIT header naming its ``source`` spec."""
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, width=10_000, allow_unicode=True)
    return f"{GENERATED_HEADER}# Source: {source}\n{body}"
