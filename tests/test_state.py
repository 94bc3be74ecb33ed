"""The state directory: precedence, creation, and one-line refusals."""

from __future__ import annotations

import os

import pytest

from qobserve.state import ENV_VAR, StateDirError, ensure_state_dir, resolve_state_dir


@pytest.fixture
def clean_env(monkeypatch):
    for var in (ENV_VAR, "XDG_STATE_HOME", "HOME"):
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


def test_precedence(clean_env, tmp_path):
    """Config beats the variable, which beats XDG, which beats the home directory."""
    clean_env.setenv("HOME", str(tmp_path / "home"))
    assert resolve_state_dir() == tmp_path / "home" / ".local" / "state" / "qobserve"
    clean_env.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert resolve_state_dir() == tmp_path / "xdg" / "qobserve"
    clean_env.setenv(ENV_VAR, str(tmp_path / "env"))
    assert resolve_state_dir() == tmp_path / "env"
    assert resolve_state_dir(tmp_path / "cfg") == tmp_path / "cfg"


def test_creates_the_directory(clean_env, tmp_path):
    """A missing directory is created, sub-directory included."""
    clean_env.setenv(ENV_VAR, str(tmp_path / "a" / "b"))
    assert ensure_state_dir(sub="spool") == tmp_path / "a" / "b" / "spool"
    assert (tmp_path / "a" / "b" / "spool").is_dir()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through permission bits")
def test_unwritable_directory_is_one_line(clean_env, tmp_path):
    """A read-only directory is refused naming the setting."""
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o500)
    with pytest.raises(StateDirError, match=f"state_dir: {ro} is not usable.*{ENV_VAR}"):
        ensure_state_dir(ro)


def test_path_that_is_a_file(clean_env, tmp_path):
    """A state_dir that is a regular file is refused with the setting named (also as root)."""
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(StateDirError, match=r"state_dir: .*file is not usable") as info:
        ensure_state_dir(f)
    assert "\n" not in str(info.value)


def test_no_home_is_refused(clean_env, monkeypatch):
    """Without any setting or home the error names state_dir and the variable."""
    monkeypatch.setattr(
        "pathlib.Path.home", classmethod(lambda cls: (_ for _ in ()).throw(RuntimeError()))
    )
    with pytest.raises(StateDirError, match=f"state_dir: no home directory.*{ENV_VAR}"):
        resolve_state_dir()
