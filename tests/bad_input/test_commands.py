"""Bad command-line options: every ``qobserve`` command, in-process.

Each case gives one option a value that must be refused before any work
starts (so an accepted value fails the test instead of running a demo or a
server); the command must exit non-zero with one stderr line naming the option.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.bad_input.cases import REPO, invoke, one_line_error

SETTINGS = settings(max_examples=int(os.environ.get("QOBSERVE_BAD_INPUT_EXAMPLES", "40")), deadline=None,
                    derandomize=True, database=None)

NUMBERS = ["abc", "", "1.5.2", "0x", "--", "é"]
NON_FINITE = ["nan", "inf", "-inf", "1e400"]
EXPORTER = str(REPO / "docs/examples/exporter.yaml")
pytestmark = pytest.mark.timeout(60)  # an accepted value would start real work: fail, do not hang

#: command → (arguments that make it valid, {option: values that must be refused}).
MINE: dict[str, tuple[list[str], dict[str, list[str]]]] = {
    "demo": ([], {
        "--jobs": [*NUMBERS, "0", "-3", "1.5", "99999999999999999999999"],
        "--fail-every": [*NUMBERS, "-1", "99999999999999999999999"],
        "--port": [*NUMBERS, "-1", "65536", "99999999999999999999999"],
        "--serve-seconds": [*NUMBERS, *NON_FINITE, "-1", "1e12"],
        "--seed": [*NUMBERS, "-1", "99999999999999999999999"],
        "--compress": ["30"], "--healthy-seconds": ["5"], "--otlp-endpoint": ["http://127.0.0.1:4318"],
        "--workdir": ["/tmp"], "--no-live": [], "--traces-file": ["/tmp/t.jsonl"],
    }),
    "demo --stack": (["--stack"], {
        "--compress": [*NUMBERS, "0", "-5", "99999999999999999999999"],
        "--healthy-seconds": [*NUMBERS, *NON_FINITE, "-1", "1e12"],
        "--serve-seconds": [*NON_FINITE, "-1"],
        "--otlp-endpoint": ["", "not a url", "ftp://collector:4318", "http://", "http://host:99999"],
        "--workdir": [EXPORTER],
        "--traces-file": [str(REPO / "docs")],
    }),
    "exporter": (["--config", EXPORTER], {"--watch": [*NUMBERS, *NON_FINITE, "-1", "1e12"]}),
}


def _cases(table: dict) -> list[tuple[str, list[str], str, str]]:
    return [(command, base, option, value) for command, (base, options) in table.items()
            for option, values in options.items() for value in (values or [None])]


@pytest.mark.parametrize(("command", "base", "option", "value"), _cases(MINE),
                         ids=lambda v: v if isinstance(v, str) else None)
def test_bad_option_is_one_line_naming_the_option(command, base, option, value):
    """An option value that must be refused is one stderr line naming the option."""
    args = [*command.split()[:1], *base, option, *([value] if value is not None else [])]
    one_line_error(invoke(args), (option,))


@SETTINGS
@given(args=st.lists(st.sampled_from(["--jobs", "--port", "--bogus", "-x", "demo", "nosuch", "--", "=",
                                      "--stack", "--config", "--scenario", "estimate", "cost"]),
                     min_size=1, max_size=4))
def test_garbled_command_lines_are_one_line(args):
    """A garbled command line (unknown command or option, missing value) is one stderr line."""
    if args[0] in ("demo", "--stack") and not set(args[1:]) - {"demo", "--stack", "--"}:
        return  # a valid command line: would run the demo
    result = invoke(args)
    if result.exit_code == 0 or result.stderr.lstrip().startswith("Usage:"):
        return  # help printed, or a valid command line
    one_line_error(result)
