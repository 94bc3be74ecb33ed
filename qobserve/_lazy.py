"""Package attributes imported on first use, so that importing a package stays cheap.

A package lists each lazy name's home module and sets
``__getattr__ = lazy_attributes(__name__, homes)`` (PEP 562); the same names
imported under ``TYPE_CHECKING`` give type checkers the real objects.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_attributes"]


def lazy_attributes(package: str, homes: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package`` importing ``name`` from ``homes[name]``.

    Raises (from the returned function):
        AttributeError: ``name`` is not one of ``homes``.
    """

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(home), name)

    return __getattr__
