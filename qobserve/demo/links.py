"""Where the local demo's links lead: the runbooks this checkout ships.

Generated alerts link ``links.runbook_base_url`` + ``/runbooks/<Alert>.md``; the
committed spec points at the project's web repository, which a team replaces
with its own. A demo on a laptop links the files next to it instead, so every
runbook button and summary link opens a page that exists right here.
"""

from __future__ import annotations

from qobserve import conventions as conv
from qobserve.runbook_index import RUNBOOK_DIR

__all__ = ["local_runbook_base", "runbook_index_url"]


def local_runbook_base() -> str | None:
    """``file://`` URL of the checkout holding ``runbooks/``, for ``links.runbook_base_url``.

    Returns:
        None when qobserve runs from an install without the repository's runbooks.
    """
    return RUNBOOK_DIR.parent.as_uri() if (RUNBOOK_DIR / conv.RUNBOOK_INDEX).is_file() else None


def runbook_index_url() -> str | None:
    """``file://`` URL of the runbook index (one page per alert), or None without a checkout."""
    base = local_runbook_base()
    return conv.runbook_url(base) if base else None
