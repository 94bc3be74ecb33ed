"""Installing qobserve: packaging metadata and the README's set-up advice."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def _setup_section() -> str:
    return README[README.index("## Two commands") : README.index("## What the demo shows")]


def test_license_is_an_spdx_string():
    """project.license is the SPDX string form that setuptools >= 77 needs to stay silent."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["license"] == "Apache-2.0"
    requires = " ".join(pyproject["build-system"]["requires"])
    m = re.search(r"setuptools>=(\d+)", requires)
    assert m and int(m.group(1)) >= 77, requires  # PEP 639 license expressions: setuptools 77


def test_readme_advises_a_venv_before_the_commands():
    """The virtual-environment advice comes before the first command that installs."""
    section = _setup_section()
    assert section.index("python -m venv") < section.index("scripts/setup.sh")


def test_readme_warns_what_test_sh_does_to_the_machine():
    """The README says test.sh uses apt and sudo and installs services started at boot."""
    section = _setup_section()
    for word in (
        "apt-get",
        "sudo",
        "at boot",
        "prometheus",
        "redis-server",
        "bubblewrap",
        "chromium",
    ):
        assert word in section, word
    assert section.index("sudo") < section.index("CI runs exactly")


def test_readme_gives_a_path_without_apt():
    """Machines without apt learn which binaries to provide and the variables naming them."""
    from qobserve.testing import services

    section = _setup_section()
    assert "Without apt" in section
    for binary in (services.PROMETHEUS, services.ALERTMANAGER, services.REDIS_SERVER):
        assert binary.env in section, binary.env
    for exe in ("promtool", "amtool", "bwrap", "setpriv", "chromium"):
        assert f"`{exe}`" in section, exe
