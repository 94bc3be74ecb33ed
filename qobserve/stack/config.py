"""The demo stack's generated configuration: rules, routing, Prometheus and bridge configs.

Rules and routing come from the packaged demo specs (``demo_slo.yaml``,
``demo_routing.yaml``) through the same pure generators as the committed
``alerts/`` files; the demo only changes the spec (compressed windows, fast
Alertmanager timings), never the generator. Everything is written into the
run's work directory, so the committed files are left alone.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import yaml

from qobserve.slo import (
    RoutingSpec,
    SLOSpec,
    parse_spec,
    render_alertmanager,
    render_quantum_rules,
    render_slo_rules,
)
from qobserve.slo.config import SpecError

__all__ = [
    "DEMO_ROUTING",
    "DEMO_SLO",
    "DemoRules",
    "bridge_config",
    "demo_routing",
    "demo_spec",
    "exporter_config",
    "write_rules",
]

DEMO_SLO = "demo_slo.yaml"
DEMO_ROUTING = "demo_routing.yaml"


def _packaged(name: str) -> str:
    return files("qobserve.stack").joinpath(name).read_text()


def demo_spec(compression: int | None = None) -> SLOSpec:
    """The demo SLO spec, with ``windows.time_compression`` replaced when given and
    runbook links pointing at this checkout's ``runbooks/`` when it has them.

    Raises:
        SpecError: the compression does not divide the periods and windows (names the field).
    """
    from qobserve.demo.links import local_runbook_base

    data = yaml.safe_load(_packaged(DEMO_SLO))
    if base := local_runbook_base():  # runbook buttons open this checkout's runbooks/*.md
        data.setdefault("links", {})["runbook_base_url"] = base
    if compression is not None:
        data.setdefault("windows", {})["time_compression"] = compression
    return parse_spec(data, source=f"qobserve/stack/{DEMO_SLO}")


def demo_routing(bridge_url: str, token_file: Path) -> RoutingSpec:
    """The demo routing spec pointing every receiver at the local alert bridge."""
    text = string.Template(_packaged(DEMO_ROUTING)).substitute(
        bridge_url=bridge_url, token_file=str(token_file)
    )
    try:
        return RoutingSpec.model_validate(yaml.safe_load(text))
    except ValueError as exc:
        raise SpecError(f"qobserve/stack/{DEMO_ROUTING}: {exc}") from None


@dataclass(frozen=True)
class DemoRules:
    """Where the generated files went."""

    rule_files: tuple[Path, ...]
    alertmanager_config: Path


def write_rules(workdir: Path, spec: SLOSpec, routing: RoutingSpec) -> DemoRules:
    """Render the spec's rules and the routing into ``workdir``."""
    source = f"qobserve/stack/{DEMO_SLO}"
    rules = {
        "slo.rules.yml": render_slo_rules(spec, source=source),
        "quantum.rules.yml": render_quantum_rules(spec, source=source),
    }
    paths = []
    for name, text in rules.items():
        (workdir / name).write_text(text)
        paths.append(workdir / name)
    am = workdir / "alertmanager.yml"
    am.write_text(render_alertmanager(routing, source=f"qobserve/stack/{DEMO_ROUTING}"))
    return DemoRules(tuple(paths), am)


def bridge_config(
    port: int, slack_api_url: str, spool_dir: Path, *, token_env: str, bearer_env: str
) -> dict:
    """``qobserve alert-bridge`` config posting to the local Slack sink."""
    return {
        "listen": f"127.0.0.1:{port}",
        "slack": {
            "token_env": token_env,
            "base_url": slack_api_url,
            "channels": {"page": "#quantum-oncall", "ticket": "#quantum-alerts"},
        },
        "spool_dir": str(spool_dir),
        "auth": {"bearer_token_env": bearer_env},
    }


def exporter_config(port: int, backends: dict[str, str]) -> dict:
    """``qobserve exporter`` config probing ``name -> spec`` every couple of seconds."""
    return {
        "listen": f"127.0.0.1:{port}",
        "backends": [{"name": n, "backend": b} for n, b in backends.items()],
        "probes": {"calibration": {"interval": "5s"}, "status": {"interval": "2s"}},
    }
