"""The deployment files are valid: manifests parse, rules and configs pass the real tools."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from qobserve.exporter.config import ExporterConfig

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


def _docs(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


@pytest.mark.parametrize("path", sorted((DEPLOY / "kubernetes").glob("*.yaml")), ids=lambda p: p.name)
def test_manifests_have_kind_and_name(path):
    """Every Kubernetes manifest names its apiVersion, kind and metadata.name."""
    for doc in _docs(path):
        assert doc["apiVersion"] and doc["kind"] and doc["metadata"]["name"]


def test_prometheus_rule_passes_promtool(tmp_path):
    """The PrometheusRule's groups are the generated rules and pass `promtool check rules`."""
    (rule,) = _docs(DEPLOY / "kubernetes" / "prometheusrule.yaml")
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}))
    res = subprocess.run(["promtool", "check", "rules", str(path)], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    names = {r.get("alert") for g in rule["spec"]["groups"] for r in g["rules"]} - {None}
    assert "QuantumJobSuccessBudgetBurn" in names and "QuantumBackendDown" in names


def test_configmap_holds_a_valid_exporter_config(monkeypatch):
    """The sidecar's exporter.yaml validates (credentials named, not embedded)."""
    for var in ("QISKIT_IBM_TOKEN", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(var, "set-in-the-pod")
    (cm,) = _docs(DEPLOY / "kubernetes" / "exporter-configmap.yaml")
    config = ExporterConfig.model_validate(yaml.safe_load(cm["data"]["exporter.yaml"]))
    assert config.address[1] == 9464


def test_prometheus_config_passes_promtool(tmp_path):
    """deploy/prometheus/prometheus.yml passes `promtool check config` with the repo's rules."""
    root = DEPLOY.parent
    work = tmp_path / "deploy" / "prometheus"
    work.mkdir(parents=True)
    shutil.copy(DEPLOY / "prometheus" / "prometheus.yml", work)
    shutil.copytree(root / "alerts", tmp_path / "alerts")
    res = subprocess.run(["promtool", "check", "config", str(work / "prometheus.yml")],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
