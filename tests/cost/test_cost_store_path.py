"""Where the SQLite spend store lives by default: the state directory, or QOBSERVE_BUDGET_DB."""

from __future__ import annotations

import pytest

from qobserve.cost import BudgetStoreError, SqliteBudgetStore
from qobserve.cost.store_sqlite import default_path


def test_default_store_lives_in_the_state_directory(tmp_path, monkeypatch):
    """QOBSERVE_STATE_DIR holds budgets.sqlite unless QOBSERVE_BUDGET_DB names a file."""
    monkeypatch.delenv("QOBSERVE_BUDGET_DB", raising=False)
    monkeypatch.setenv("QOBSERVE_STATE_DIR", str(tmp_path / "state"))
    assert default_path() == tmp_path / "state" / "budgets.sqlite"
    assert SqliteBudgetStore().path.is_file()
    monkeypatch.setenv("QOBSERVE_BUDGET_DB", str(tmp_path / "elsewhere.sqlite"))
    assert default_path() == tmp_path / "elsewhere.sqlite"


def test_no_state_directory_is_one_line_naming_the_settings(monkeypatch):
    """No home and nothing configured: one line naming QOBSERVE_STATE_DIR and QOBSERVE_BUDGET_DB."""
    for var in ("QOBSERVE_BUDGET_DB", "QOBSERVE_STATE_DIR", "XDG_STATE_HOME", "HOME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr("pathlib.Path.home", lambda: (_ for _ in ()).throw(RuntimeError("no home")))
    with pytest.raises(BudgetStoreError) as info:
        SqliteBudgetStore()
    message = str(info.value)
    assert (
        "\n" not in message and "QOBSERVE_STATE_DIR" in message and "QOBSERVE_BUDGET_DB" in message
    )


def test_unwritable_directory_names_the_settings(tmp_path, monkeypatch):
    """A state directory that cannot be created is refused naming both settings."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.delenv("QOBSERVE_BUDGET_DB", raising=False)
    monkeypatch.setenv("QOBSERVE_STATE_DIR", str(blocker / "sub"))
    with pytest.raises(BudgetStoreError, match="QOBSERVE_STATE_DIR or QOBSERVE_BUDGET_DB"):
        SqliteBudgetStore()
