"""Bad config files: every config model, through its loader and its command.

Each case starts from a valid document and breaks one thing (see
``tests/bad_input.py``); the loader must raise its own error with one line
naming the file or the field, and the command must print that line on stderr
and exit non-zero. Seeds are fixed (derandomized) so CI replays the same cases.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qobserve.executor._policies import load_policy
from qobserve.gameday import ScenarioError, load_scenario
from tests.bad_input.cases import (
    REPO,
    BadFile,
    ConfigCase,
    Mutation,
    bad_files,
    invoke,
    mutations,
    one_line_error,
)

SETTINGS = settings(
    max_examples=int(os.environ.get("QOBSERVE_BAD_INPUT_EXAMPLES", "40")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

SCENARIO = {
    "jobs": 4,
    "shots": 10,
    "circuit": "bell",
    "seed": 7,
    "budget_usd": 5,
    "executor": {"max_attempts": 3, "max_calibration_age": "1h", "deadline": "5s"},
    "backends": [
        {
            "name": "primary",
            "backend": "qiskit:aer",
            "price": {"per_task_usd": 0.3, "per_shot_usd": 0.001},
            "faults": {
                "transient_error_rate": 0.2,
                "timeout_rate": 0.1,
                "calibration_age": "2h",
                "outage": {"after_jobs": 1, "for_jobs": 2},
            },
        },
        {"name": "secondary", "backend": "braket:local", "noise": "depolarizing:0.01"},
    ],
}
POLICY = {
    "retry": {"max_attempts": 4, "initial": "1s", "maximum": "1m", "attempt_timeout": "2h"},
    "breaker": {"failure_threshold": 5, "cooldown": "5m", "failure_ratio": 0.5},
    "gates": {"max_calibration_age": "24h", "max_pending_jobs": 500, "require_calibration": False},
    "retry_budget": {"capacity": 500},
    "deadline": "6h",
    "concurrency": 8,
}


def _scenario_cli(path: Path) -> list[str]:
    return ["gameday", "--scenario", path]


MINE = [
    ConfigCase(
        "game-day scenario",
        SCENARIO,
        load_scenario,
        ScenarioError,
        "scenario.yaml",
        cli=_scenario_cli,
    ),
    ConfigCase("executor policy", POLICY, load_policy, ValueError, "policy.yaml"),
]


def _yaml(path: str) -> dict:
    return yaml.safe_load((REPO / path).read_text())


def _owned_elsewhere() -> list[ConfigCase]:
    from qobserve.alert_bridge.config import ConfigError as BridgeError
    from qobserve.alert_bridge.config import load_config as load_bridge
    from qobserve.cost.table import PricingError, load_table
    from qobserve.exporter.config import ConfigError as ExporterError
    from qobserve.exporter.config import load_config as load_exporter
    from qobserve.slo.config import SpecError
    from qobserve.slo.routing import load_routing
    from qobserve.slo.spec import load_spec

    def spec(name: str, loader: Callable, file: str, other: str) -> ConfigCase:
        """An alerts/ spec; ``qobserve generate`` reads ``other`` beside it."""
        return ConfigCase(
            name,
            _yaml(f"alerts/{file}"),
            loader,
            SpecError,
            f"alerts/{file}",
            cli=lambda p: ["generate", "--check", "--root", p.parents[1]],
            extra=lambda root: shutil.copy(REPO / "alerts" / other, root / "alerts" / other),
        )

    prices = {
        "version": "t1",
        "price_date": "2026-11-01",
        "currency": "USD",
        "rules": [
            {
                "name": "ionq",
                "provider": "braket",
                "match": ["Aria-*"],
                "model": "per_shot",
                "per_task_usd": "0.30",
                "per_shot_usd": "0.03",
                "on_failed": "free",
            },
            {
                "name": "sv1",
                "provider": "braket",
                "match": ["SV1"],
                "model": "per_time",
                "per_minute_usd": "0.075",
                "minimum_seconds": 3,
                "estimate_seconds": 3,
            },
        ],
    }
    return [
        ConfigCase(
            "exporter config",
            _yaml("docs/examples/exporter.yaml"),
            load_exporter,
            ExporterError,
            cli=lambda p: ["exporter", "--config", p],
        ),
        ConfigCase(
            "alert-bridge config",
            _yaml("docs/examples/alert-bridge.yaml"),
            load_bridge,
            BridgeError,
            cli=lambda p: ["alert-bridge", "--config", p],
        ),
        spec("SLO spec", load_spec, "slo.yaml", "routing.yaml"),
        spec("routing spec", load_routing, "routing.yaml", "slo.yaml"),
        ConfigCase(
            "pricing table",
            prices,
            load_table,
            PricingError,
            "prices.yaml",
            cli=lambda p: [
                "cost",
                "estimate",
                "--backend",
                "braket:local",
                "--shots",
                "10",
                "--prices",
                p,
            ],
        ),
    ]


#: Cases in other engineers' areas that fail on this branch, by case name, with what they print;
#: they are skipped here and enabled once those branches merge (see the report of issue 14).
KNOWN_FAILING: dict[str, str] = {}

OWNED_ELSEWHERE = _owned_elsewhere()


def _params() -> list:
    return [
        *(pytest.param(c, id=c.name) for c in MINE),
        *(
            pytest.param(
                c,
                id=c.name,
                marks=pytest.mark.skip(reason=f"owned elsewhere: {KNOWN_FAILING[c.name]}"),
            )
            if c.name in KNOWN_FAILING
            else pytest.param(c, id=c.name)
            for c in OWNED_ELSEWHERE
        ),
    ]


def _check(case: ConfigCase, bad: BadFile | Mutation) -> None:
    with tempfile.TemporaryDirectory(prefix="qobserve-bad-") as tmp:
        root = Path(tmp)
        (root / "alerts").mkdir()
        path = bad.write(root / case.file)
        names = (case.file,) + (bad.names if isinstance(bad, Mutation) else ())
        with pytest.raises(case.error) as caught:
            case.load(path)
        message = str(caught.value)
        assert message and "\n" not in message, f"{bad}: not one line: {message!r}"
        assert any(n in message for n in names), f"{bad}: {message!r} names none of {names}"
        if case.cli is not None:
            case.extra(root)
            one_line_error(invoke(case.cli(path)), names)


@pytest.mark.parametrize("case", _params())
@SETTINGS
@given(bad=bad_files())
def test_bad_file_is_one_line_naming_the_file(case: ConfigCase, bad: BadFile) -> None:
    """A missing, empty, binary, non-UTF-8 or non-mapping config file is one line naming the file."""
    _check(case, bad)


@pytest.mark.parametrize("case", _params())
@SETTINGS
@given(data=st.data())
def test_bad_field_is_one_line_naming_the_field(case: ConfigCase, data) -> None:
    """A field with a value of the wrong type, non-finite, negative, huge, or an unknown key, is named."""
    _check(case, data.draw(mutations(case.base), label="mutation"))
