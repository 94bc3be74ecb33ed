"""How the ``qobserve`` command line reports operator mistakes: one stderr line each.

:class:`OneLineErrors` is the root command group; the option callbacks refuse
values click would let through (``nan``, ``inf``, a port above 65535, a URL
without a host) before any work starts.
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer
from typer import _click as click  # typer vendors click; its exceptions live here
from typer._click.core import ParameterSource
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError

from qobserve._cli_help import PlainHelp

__all__ = [
    "MAX_SECONDS",
    "SECONDS",
    "OneLineErrors",
    "echo",
    "finite",
    "http_url",
    "port",
    "stack_only",
    "writable_dir",
]


class OneLineErrors(PlainHelp):
    """Every operator error ends as one line on stderr and a non-zero exit.

    Usage errors (a bad option value, a missing option) are click's message on
    one line with the command path. An exception no command turned into a
    message is the last resort: one line naming the command and the exception,
    with ``QOBSERVE_DEBUG=1`` to see the traceback; the property test in
    ``tests/bad_input/`` fails on it, so each is fixed where it arises.
    """

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        args = sys.argv[1:] if args is None else list(args)
        prog_name = prog_name or "qobserve"
        try:
            code = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except NoArgsIsHelpError as exc:
            exc.show()
            code = exc.exit_code
        except ClickException as exc:
            ctx = getattr(exc, "ctx", None)
            where = ctx.command_path if ctx is not None else prog_name
            message = " ".join(exc.format_message().split()).rstrip(".")
            hint = f"; see {where} --help" if isinstance(exc, UsageError) else ""
            click.echo(f"error: {where}: {message}{hint}", err=True)
            code = exc.exit_code
        except typer.Abort:
            click.echo("error: aborted", err=True)
            code = 1
        except Exception as exc:
            if os.environ.get("QOBSERVE_DEBUG"):
                raise
            command = " ".join([prog_name, *[a for a in args[:1] if not a.startswith("-")]])
            detail = " ".join(str(exc).split()) or "no detail"
            click.echo(
                f"error: {command}: internal error: {type(exc).__name__}: {detail} "
                "(please report it; QOBSERVE_DEBUG=1 shows the traceback)",
                err=True,
            )
            code = 70  # EX_SOFTWARE
        sys.exit(code if isinstance(code, int) else 0)


def finite(value: float | None) -> float | None:
    """Reject ``nan`` and ``inf`` for float options (click's FloatRange lets them through)."""
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"must be a finite number, got {value}")
    return value


def port(value: int) -> int:
    if not 0 <= value <= 65535:
        raise typer.BadParameter(f"must be a TCP port 0-65535 (0 picks a free one), got {value}")
    return value


def echo(message: object = "", err: bool = False, **kwargs: Any) -> None:
    """``typer.echo`` that sends ``error: …`` lines to stderr whatever the library asked."""
    typer.echo(message, err=err or str(message).startswith("error:"), **kwargs)


MAX_SECONDS = 366 * 86400  # longest wait an option accepts: a year; more is a typo
#: ``typer.Option`` arguments of a wait in seconds: finite, 0 up to MAX_SECONDS.
SECONDS: dict[str, Any] = {"min": 0, "max": MAX_SECONDS, "callback": finite}


def http_url(value: str | None) -> str | None:
    """An ``http(s)://host[:port]`` base URL, refused on the spot instead of failing mid-run."""
    if value is None:
        return None
    from urllib.parse import urlsplit

    try:
        url = urlsplit(value)
        url.port  # noqa: B018 (raises ValueError for a port out of range)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a URL ({exc})") from None
    if url.scheme not in ("http", "https") or not url.hostname:
        raise typer.BadParameter(f"expected an http(s)://host:port URL, got {value!r}")
    return value


def writable_dir(value: Path | None) -> Path | None:
    """A directory that exists or can be created, and can be written (created here if needed)."""
    if value is None:
        return None
    try:
        value.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=value):
            pass
    except OSError as exc:
        raise typer.BadParameter(
            f"cannot create or write directory {str(value)!r}: {exc.strerror or exc}"
        ) from None
    return value


def stack_only(ctx: typer.Context, stack: bool, names: tuple[str, ...]) -> None:
    """Refuse ``demo --stack`` options given without ``--stack`` rather than ignoring them."""
    if stack:
        return
    for param in ctx.command.params:
        if (
            param.name in names
            and ctx.get_parameter_source(param.name) is not ParameterSource.DEFAULT
        ):
            negated = ctx.params[param.name] is False and param.secondary_opts
            option = param.secondary_opts[0] if negated else param.opts[0]
            raise typer.BadParameter(
                "only applies with --stack; add --stack or drop it", param_hint=f"'{option}'"
            )
