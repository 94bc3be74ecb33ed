"""``qobserve generate``: render every generated artifact from its spec; ``--check`` finds stale ones.

Artifacts are a list of (path, render) pairs, so dashboards and the runbook
index join by appending to :data:`ARTIFACTS` (or calling :func:`register`);
nothing else changes. A render function takes the repository root and returns
the file's full text; it reads its spec from under that root.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from qobserve.conventions import DASHBOARD_UIDS, ROUTING_SPEC, SLO_SPEC, dashboard_path

__all__ = ["ARTIFACTS", "Artifact", "check", "generate", "register", "run"]


@dataclass(frozen=True)
class Artifact:
    """One generated file: its path relative to the repository root and how to render it."""

    path: str
    render: Callable[[Path], str]


def _slo_rules(root: Path) -> str:
    from qobserve.slo.rules import render_slo_rules
    from qobserve.slo.spec import load_spec

    return render_slo_rules(load_spec(root / SLO_SPEC), source=SLO_SPEC)


def _quantum_rules(root: Path) -> str:
    from qobserve.slo.alerts import render_quantum_rules
    from qobserve.slo.spec import load_spec

    return render_quantum_rules(load_spec(root / SLO_SPEC), source=SLO_SPEC)


def _meta_rules(root: Path) -> str:
    from qobserve.slo.alerts import render_meta_rules
    from qobserve.slo.spec import load_spec

    return render_meta_rules(load_spec(root / SLO_SPEC), source=SLO_SPEC)


def _alertmanager(root: Path) -> str:
    from qobserve.slo.routing import load_routing, render_alertmanager

    return render_alertmanager(load_routing(root / ROUTING_SPEC), source=ROUTING_SPEC)


#: In-cluster URL of the bridge Service of ``deploy/kubernetes/alert-bridge.yaml``; the
#: Kubernetes Alertmanager config posts there instead of the routing spec's local URL.
K8S_BRIDGE_URL = "http://qobserve-alert-bridge:9095/alerts"


def _alertmanager_configmap(root: Path) -> str:
    """``alertmanager.yml`` for the HA topology in ``deploy/kubernetes``, as a ConfigMap.

    The same routing spec, with the bridge receiver (``meta_monitoring.bridge_receiver``)
    pointed at the bridge Service; every other receiver is the spec's own.
    """
    from qobserve.slo._yaml import dump_generated
    from qobserve.slo.routing import load_routing, render_alertmanager

    spec = load_routing(root / ROUTING_SPEC)
    assert spec.meta_monitoring is not None  # load_routing requires the section
    bridge = spec.meta_monitoring.bridge_receiver
    hook = spec.receivers[bridge].model_copy(update={"url": K8S_BRIDGE_URL})
    spec = spec.model_copy(update={"receivers": {**spec.receivers, bridge: hook}})
    return dump_generated(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": "qobserve-alertmanager",
                "labels": {"app.kubernetes.io/name": "qobserve-alertmanager"},
            },
            "data": {"alertmanager.yml": render_alertmanager(spec, source=ROUTING_SPEC)},
        },
        source=ROUTING_SPEC,
    )


def _prometheus_rule(root: Path) -> str:
    """The same rule groups as a Prometheus Operator ``PrometheusRule`` for Kubernetes."""
    import yaml

    from qobserve.slo._yaml import dump_generated

    groups = [
        g
        for text in (_slo_rules(root), _quantum_rules(root), _meta_rules(root))
        for g in yaml.safe_load(text)["groups"]
    ]
    return dump_generated(
        {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "PrometheusRule",
            "metadata": {"name": "qobserve", "labels": {"app.kubernetes.io/name": "qobserve"}},
            "spec": {"groups": groups},
        },
        source=SLO_SPEC,
    )


def _dashboard(name: str) -> Callable[[Path], str]:
    def render(root: Path) -> str:
        from qobserve.dashboards import render_dashboard
        from qobserve.slo.spec import load_spec

        # The same spec as the rules: runbook links, SLO names and periods agree.
        return render_dashboard(name, load_spec(root / SLO_SPEC))

    return render


def _runbook_index(root: Path) -> str:
    from qobserve.runbook_index import render_runbook_index

    return render_runbook_index(root / "runbooks")


def _doc(name: str) -> Callable[[Path], str]:
    def render(root: Path) -> str:
        from qobserve.docs import config_reference, metrics_reference
        from qobserve.slo.spec import load_spec

        if name == "metrics":
            return metrics_reference.render_metrics_reference(load_spec(root / SLO_SPEC).links)
        return {
            "configuration": config_reference.render_configuration,
            "slo-spec": config_reference.render_slo_spec,
        }[name]()

    return render


#: Every generated artifact, in generation order.
ARTIFACTS: list[Artifact] = [
    Artifact("alerts/slo.rules.yml", _slo_rules),
    Artifact("alerts/quantum.rules.yml", _quantum_rules),
    Artifact("alerts/meta.rules.yml", _meta_rules),
    Artifact("alerts/alertmanager.yml", _alertmanager),
    Artifact("deploy/kubernetes/prometheusrule.yaml", _prometheus_rule),
    Artifact("deploy/kubernetes/alertmanager-config.yaml", _alertmanager_configmap),
    *(Artifact(dashboard_path(name), _dashboard(name)) for name in DASHBOARD_UIDS),
    Artifact("runbooks/README.md", _runbook_index),
    *(Artifact(f"docs/{name}.md", _doc(name)) for name in ("metrics", "configuration", "slo-spec")),
]


def register(path: str, render: Callable[[Path], str]) -> None:
    """Add an artifact (e.g. a dashboard) unless its path is already registered."""
    if all(a.path != path for a in ARTIFACTS):
        ARTIFACTS.append(Artifact(path, render))


def _rendered(root: Path, artifacts: list[Artifact] | None) -> list[tuple[Path, str]]:
    return [
        (root / a.path, a.render(root)) for a in (ARTIFACTS if artifacts is None else artifacts)
    ]


def generate(root: str | Path = ".", artifacts: list[Artifact] | None = None) -> list[Path]:
    """Write every artifact under ``root``; return the paths whose content changed."""
    changed = []
    for path, text in _rendered(Path(root), artifacts):
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            changed.append(path)
    return changed


def check(root: str | Path = ".", artifacts: list[Artifact] | None = None) -> list[Path]:
    """Return the artifacts under ``root`` that are missing or differ from a fresh render."""
    return [
        path
        for path, text in _rendered(Path(root), artifacts)
        if not path.exists() or path.read_text() != text
    ]


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


def run(
    root: str | Path = ".",
    *,
    check_only: bool = False,
    echo: Callable[[str], None] = print,
    error: Callable[[str], None] = _stderr,
) -> int:
    """CLI body: generate (or check) and report; returns the exit code (1 = stale or bad spec).

    A bad spec is one line on ``error`` (stderr) naming the file and field, and nothing is
    written: every artifact renders before the first one is written.
    """
    from qobserve.slo.config import SpecError

    try:
        paths = check(root) if check_only else generate(root)
    except (SpecError, OSError) as exc:
        error(f"error: {' '.join(str(exc).split())}")
        return 1
    verb = "stale" if check_only else "updated"
    for path in paths:
        echo(f"{verb}: {path.relative_to(Path(root))}")
    if check_only and paths:
        echo("generated files are stale: run `qobserve generate` and commit the result")
        return 1
    if not paths:
        echo("all generated files are up to date")
    return 0
