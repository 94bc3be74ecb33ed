"""``--help`` without typer's raw type tags (``<bool>``, ``<int range>``, ``<list[str]>``).

Typer prints each parameter's Python type in angle brackets, which reads as
markup to a newcomer. Flags get no tag at all; an option that takes a value shows
its name in capitals, argparse's convention (``--jobs JOBS [1<=x<=100000]``),
through ``metavar``, the hook typer honours. A positional argument already shows
its name, so its type column is left empty.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from typer.core import TyperArgument, TyperGroup

__all__ = ["PlainHelp", "plain_metavars"]


def _no_type(ctx: Any) -> str:
    return ""


def plain_metavars(params: Iterable[Any]) -> None:
    """Give every parameter a plain metavar unless one was chosen; idempotent."""
    for param in params:
        if isinstance(param, TyperArgument):
            # TyperArgument ignores metavar for its type column: an instance override is the hook.
            param.display_type_rich = _no_type  # type: ignore[method-assign]
        elif param.metavar is None:
            flag = getattr(param, "is_flag", False) or getattr(param, "count", False)
            param.metavar = "" if flag else param.name.upper()


class PlainHelp(TyperGroup):
    """A command group whose help, and its commands' help, shows no type tags."""

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)
        plain_metavars(params)
        return params

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        cmd = super().get_command(ctx, cmd_name)
        if cmd is not None and not isinstance(cmd, PlainHelp):
            # get_params() creates the command's cached --help option too.
            plain_metavars(cmd.get_params(ctx))
        return cmd
