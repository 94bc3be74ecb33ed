"""One state directory for every file qobserve persists.

Budget spend, the RB probe's daily spend and the alert bridge's spool all live
below one directory, so a container needs exactly one writable volume:

1. ``state_dir`` from a config file, when given;
2. ``$QOBSERVE_STATE_DIR``;
3. ``$XDG_STATE_HOME/qobserve``;
4. ``~/.local/state/qobserve`` (the XDG default), when there is a home.

A process that cannot use the directory refuses to start with one line naming
the setting (:func:`ensure_state_dir`), instead of failing at its first write.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["ENV_VAR", "StateDirError", "ensure_state_dir", "resolve_state_dir"]

ENV_VAR = "QOBSERVE_STATE_DIR"
_FIX = f"set state_dir in the config or {ENV_VAR} to a writable directory"


class StateDirError(RuntimeError):
    """No usable state directory: the message names the setting to change."""


def resolve_state_dir(configured: str | os.PathLike[str] | None = None) -> Path:
    """The state directory by precedence (module docstring); nothing is created.

    Raises:
        StateDirError: nothing is configured and there is no home directory.
    """
    if configured:
        return Path(configured)
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    if os.environ.get("XDG_STATE_HOME"):
        return Path(os.environ["XDG_STATE_HOME"]) / "qobserve"
    home = os.environ.get("HOME")
    if not home:
        try:
            home = str(Path.home())
        except (RuntimeError, KeyError):  # no $HOME and no passwd entry (container uids)
            home = ""
    if not home or home == "/nonexistent":
        raise StateDirError(f"state_dir: no home directory to hold ~/.local/state/qobserve; {_FIX}")
    return Path(home) / ".local" / "state" / "qobserve"


def ensure_state_dir(configured: str | os.PathLike[str] | None = None, *, sub: str = "") -> Path:
    """Resolve, create and prove writable the state directory (or ``sub`` below it).

    Raises:
        StateDirError: one line naming the directory, what failed and the setting.
    """
    path = resolve_state_dir(configured)
    if sub:
        path = path / sub
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".probe-"):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise StateDirError(f"state_dir: {path} is not usable ({reason}); {_FIX}") from None
    return path
