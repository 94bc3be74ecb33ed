"""README and docs/: snippets parse and import, commands exist, links and examples are real."""

from __future__ import annotations

import ast
import re
import shlex
from pathlib import Path

import pytest
import typer
import yaml

from qobserve import semconv as sc
from qobserve.benchmarking.circuits import LAYER_LABEL
from qobserve.cli import app

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
#: Commands of the public contract (shared/conventions.md "Command line").
CONTRACT = ("demo", "exporter", "rb", "generate", "alert-bridge", "gameday")
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def _blocks(lang: str) -> list[tuple[str, int, str]]:
    """``(page, index, code)`` of every fenced block in ``lang`` across the pages."""
    return [
        (p.relative_to(ROOT).as_posix(), i, code)
        for p in PAGES
        for i, (tag, code) in enumerate(_FENCE.findall(p.read_text()))
        if tag == lang
    ]


def _id(block: tuple[str, int, str]) -> str:
    return f"{block[0]}#{block[1]}"


def _cli():
    return typer.main.get_command(app)


def _is_group(cmd) -> bool:
    # typer ships its own click fork: test for a group by shape, not by class.
    return hasattr(cmd, "commands")


def _commands(group, prefix: str = "") -> set[str]:
    found: set[str] = set()
    for name, cmd in group.commands.items():
        found.add(prefix + name)
        if _is_group(cmd):
            found |= _commands(cmd, f"{prefix}{name} ")
    return found


def _shell_commands(code: str) -> list[list[str]]:
    """argv after ``qobserve`` for each qobserve command line in a bash block."""
    out = []
    for line in code.replace("\\\n", " ").splitlines():
        for part in line.split("&&"):
            words = shlex.split(part, comments=True)
            while words and re.match(r"^[A-Z_]+=", words[0]):  # VAR=value prefixes
                words.pop(0)
            if words and words[0] == "qobserve":
                out.append(words[1:])
    return out


def _parse(argv: list[str]) -> None:
    """Parse ``argv`` with the real CLI without running it: unknown commands or options raise."""
    cmd = _cli()
    ctx = cmd.context_class(cmd, info_name="qobserve")
    args = list(argv)
    while _is_group(cmd):
        if getattr(cmd, "invoke_without_command", False) and (not args or args[0].startswith("-")):
            break  # a group that also runs on its own (`qobserve alert-bridge --config FILE`)
        assert args, f"`qobserve {' '.join(argv)}`: a command is missing"
        name, *args = args
        sub = cmd.get_command(ctx, name)
        assert sub is not None, f"`qobserve {' '.join(argv)}`: no command {name!r}"
        cmd, ctx = sub, sub.context_class(sub, info_name=name, parent=ctx)
    cmd.make_context(ctx.info_name, args, parent=ctx.parent).close()


@pytest.mark.parametrize("block", _blocks("python"), ids=_id)
def test_python_snippet_compiles_and_imports(block):
    """Each ```python snippet compiles and every module and name it imports exists."""
    page, _, code = block
    tree = ast.parse(compile(code, page, "exec", flags=ast.PyCF_ONLY_AST))
    imports = ast.Module([n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))], [])
    assert imports.body, f"{page}: a snippet with no import cannot run on its own"
    exec(compile(imports, page, "exec"), {})


@pytest.mark.parametrize("block", [b for b in _blocks("bash") if _shell_commands(b[2])], ids=_id)
def test_shell_qobserve_commands_parse(block):
    """Each `qobserve …` line in a ```bash block parses with the real CLI (commands and options exist)."""
    for argv in _shell_commands(block[2]):
        _parse(argv)


@pytest.mark.parametrize("block", _blocks("yaml"), ids=_id)
def test_yaml_snippet_parses(block):
    """Each ```yaml block is valid YAML."""
    assert yaml.safe_load(block[2]) is not None


def test_every_command_is_documented():
    """Every CLI command, and so every contract command, appears as `qobserve <command>` in README or docs/."""
    text = "\n".join(p.read_text() for p in PAGES)
    commands = _commands(_cli())
    assert set(CONTRACT) <= commands
    missing = [c for c in sorted(commands) if f"qobserve {c}" not in text]
    assert not missing, f"undocumented commands: {missing}"


def test_inline_commands_exist():
    """Every `qobserve <word>` mentioned in the pages names a real command."""
    commands = _commands(_cli())
    for page in PAGES:
        for word in re.findall(r"`qobserve ([a-z][a-z-]*)", page.read_text()):
            if word == "executor":  # the span name `qobserve executor job`, not a command
                continue
            assert word in commands, f"{page.name}: `qobserve {word}` is not a command"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_metric_names_exist(page):
    """Every quantum_*/qobserve_* name in a page is a semconv metric, series, label or rule."""
    from importlib.metadata import entry_points

    known = set(sc.METRICS) | set(sc.LABEL.values()) | set(sc.SLO_RECORDING_RULES)
    known |= {e.name for e in entry_points(group="opentelemetry_instrumentor")}
    known.add(LAYER_LABEL)  # the instruction label RB circuits carry on Aer
    for m in sc.METRICS.values():
        if m.kind is sc.Instrument.HISTOGRAM:
            known |= {f"{m.prom_name}_{s}" for s in ("bucket", "sum", "count")}
    tokens = {
        t
        for t in re.findall(r"(?<![.#-])\b(?:quantum|qobserve)_[a-z0-9_]+", page.read_text())
        if not t.endswith("_")
    }  # `quantum_training_*` is a prefix; `.x`/`#x` are modules, anchors
    assert tokens <= known, f"{page.name}: unknown {sorted(tokens - known)}"


def _anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    heads = re.findall(r"^#+ (.*)$", _FENCE.sub("", path.read_text()), re.M)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in heads}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_relative_links_resolve(page):
    """Relative Markdown links point at files that exist, and at headings that exist."""
    for target, anchor in re.findall(r"\]\(([^)#:]*)(?:#([^)]*))?\)", page.read_text()):
        path = page.parent / target if target else page
        assert path.exists(), f"{page.name} links to missing {target}"
        if anchor and path.suffix == ".md":
            assert anchor in _anchors(path), f"{page.name}: no heading #{anchor} in {path.name}"


def test_example_configs_validate():
    """docs/examples/*.yaml load with the exporter and alert-bridge loaders."""
    from qobserve.alert_bridge.config import load_config as load_bridge
    from qobserve.exporter.config import load_config as load_exporter

    assert load_exporter(ROOT / "docs/examples/exporter.yaml").backends
    assert (
        load_bridge(ROOT / "docs/examples/alert-bridge.yaml").slack.token_env == "SLACK_BOT_TOKEN"
    )


def test_readme_keeps_the_two_commands():
    """The README's two commands stay verbatim: CI runs the second one exactly."""
    blocks = [code.strip() for page, _, code in _blocks("bash") if page == "README.md"]
    assert blocks[:2] == ["bash scripts/setup.sh && qobserve demo", "bash scripts/test.sh"]
