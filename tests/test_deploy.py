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


@pytest.mark.parametrize(
    "path", sorted((DEPLOY / "kubernetes").glob("*.yaml")), ids=lambda p: p.name
)
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
    res = subprocess.run(
        ["promtool", "check", "config", str(work / "prometheus.yml")],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stdout + res.stderr


# --- HA alerting topology: 2 clustered Alertmanagers -> bridge Service -> 2 bridge replicas --

K8S = DEPLOY / "kubernetes"
HA_FILES = ("alertmanager-ha.yaml", "alert-bridge.yaml", "alertmanager-config.yaml")


def _ha() -> dict[tuple[str, str], dict]:
    """(kind, name) → manifest for every document of the HA topology."""
    return {(d["kind"], d["metadata"]["name"]): d for f in HA_FILES for d in _docs(K8S / f)}


def _pod(workload: dict) -> dict:
    return workload["spec"]["template"]["spec"]


def _env(container: dict) -> dict[str, dict]:
    return {e["name"]: e for e in container.get("env", [])}


WORKLOADS = ("qobserve-alertmanager", "qobserve-alert-bridge")


@pytest.mark.parametrize("name", WORKLOADS)
def test_ha_workload_structure(name):
    """Each StatefulSet runs 2 replicas, non-root on a read-only root filesystem, with
    probes on named ports, every mount backed by a volume, and a headless governing Service."""
    ha = _ha()
    sts = ha["StatefulSet", name]
    spec, pod = sts["spec"], _pod(sts)
    assert spec["replicas"] == 2
    labels = spec["template"]["metadata"]["labels"]
    assert spec["selector"]["matchLabels"].items() <= labels.items()
    assert ha["Service", spec["serviceName"]]["spec"]["clusterIP"] == "None"
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    volumes |= {t["metadata"]["name"]: t for t in spec["volumeClaimTemplates"]}
    for c in pod["containers"]:
        sc = c["securityContext"]
        assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
        ports = {p["name"] for p in c["ports"]}
        for probe in ("livenessProbe", "readinessProbe"):
            assert c[probe]["httpGet"]["port"] in ports, f"{name}: {probe} port"
        assert {m["name"] for m in c["volumeMounts"]} <= set(volumes)
    for v in pod["volumes"]:  # ConfigMaps ship here; Secrets are the user's
        if "configMap" in v:
            assert ("ConfigMap", v["configMap"]["name"]) in ha
    assert ha["PodDisruptionBudget", name]["spec"]["minAvailable"] == 1
    for (kind, svc_name), svc in ha.items():  # every Service selects these pods or another's
        if kind == "Service" and svc["spec"]["selector"].items() <= labels.items():
            targets = {p["targetPort"] for p in svc["spec"]["ports"]}
            assert targets <= {p["name"] for c in pod["containers"] for p in c["ports"]}, svc_name


def test_alertmanagers_gossip_with_each_other():
    """--cluster.peer names every replica through the headless Service on the gossip port."""
    ha = _ha()
    sts = ha["StatefulSet", "qobserve-alertmanager"]
    (am,) = _pod(sts)["containers"]
    args = am["args"]
    headless = ha["Service", sts["spec"]["serviceName"]]
    port = {p["port"] for p in headless["spec"]["ports"]}
    assert port == {9094} and "--cluster.listen-address=0.0.0.0:9094" in args
    peers = {a.split("=", 1)[1] for a in args if a.startswith("--cluster.peer=")}
    assert peers == {
        f"qobserve-alertmanager-{i}.{headless['metadata']['name']}:9094"
        for i in range(sts["spec"]["replicas"])
    }
    assert any(a.startswith("--storage.path=") for a in args)  # nflog and silences persist
    shown = subprocess.run(["prometheus-alertmanager", "--help"], capture_output=True, text=True)
    help_text = shown.stdout + shown.stderr
    for flag in {a.split("=", 1)[0] for a in args}:  # a misspelt flag stops the pod at start
        assert f"{flag}=" in help_text, f"alertmanager has no flag {flag}"


def test_k8s_alertmanager_config_posts_to_the_bridge_service(tmp_path):
    """The generated ConfigMap passes amtool, is the routing spec with only the bridge URL
    changed, and that URL, the bearer-token file and the Secret agree with the manifests."""
    from qobserve.generate import K8S_BRIDGE_URL
    from qobserve.slo.routing import alertmanager_config, load_routing

    ha = _ha()
    text = ha["ConfigMap", "qobserve-alertmanager"]["data"]["alertmanager.yml"]
    path = tmp_path / "alertmanager.yml"
    path.write_text(text)
    res = subprocess.run(["amtool", "check-config", str(path)], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr

    spec = load_routing(DEPLOY.parent / "alerts" / "routing.yaml")
    bridge = spec.meta_monitoring.bridge_receiver
    config, local = yaml.safe_load(text), alertmanager_config(spec)
    hooks = {r["name"]: r["webhook_configs"][0] for r in config["receivers"]}
    assert hooks[bridge]["url"] == K8S_BRIDGE_URL
    for r in local["receivers"]:
        r["webhook_configs"][0]["url"] = hooks[r["name"]]["url"]
    assert config == local  # nothing else differs from alerts/alertmanager.yml

    service = ha["Service", "qobserve-alert-bridge"]
    assert (
        f"http://{service['metadata']['name']}:{service['spec']['ports'][0]['port']}/alerts"
        == K8S_BRIDGE_URL
    )
    token_file = Path(hooks[bridge]["http_config"]["authorization"]["credentials_file"])
    am = _pod(ha["StatefulSet", "qobserve-alertmanager"])
    mount = next(
        m for m in am["containers"][0]["volumeMounts"] if m["mountPath"] == str(token_file.parent)
    )
    secret = next(v["secret"] for v in am["volumes"] if v["name"] == mount["name"])
    assert {"key": "bearer-token", "path": token_file.name} in secret["items"]
    (bridge_c,) = _pod(ha["StatefulSet", "qobserve-alert-bridge"])["containers"]
    bearer = _env(bridge_c)["QOBSERVE_BRIDGE_TOKEN"]["valueFrom"]["secretKeyRef"]
    assert bearer == {"name": secret["secretName"], "key": "bearer-token"}


def test_bridge_manifest_config_and_spool(monkeypatch, tmp_path):
    """The bridge ConfigMap validates, listens on the container port, reads its Slack token
    from the Secret, keeps its spool on the replica's own volume, and is scraped as the job
    QuantumAlertBridgeDeliveryFailing watches."""
    from qobserve.alert_bridge.config import load_config
    from qobserve.slo.spec import load_spec

    ha = _ha()
    path = tmp_path / "alert-bridge.yaml"
    path.write_text(ha["ConfigMap", "qobserve-alert-bridge"]["data"]["alert-bridge.yaml"])
    config = load_config(path)
    sts = ha["StatefulSet", "qobserve-alert-bridge"]
    (c,) = _pod(sts)["containers"]
    assert c["command"][-1] == "/etc/qobserve/alert-bridge.yaml"
    assert {p["containerPort"] for p in c["ports"]} == {config.port}
    assert {c["livenessProbe"]["httpGet"]["path"], c["readinessProbe"]["httpGet"]["path"]} == {
        "/healthz",
        "/readyz",
    }
    env = _env(c)
    assert (
        env[config.slack.token_env]["valueFrom"]["secretKeyRef"]["name"] == "qobserve-alert-bridge"
    )
    assert env[config.auth.bearer_token_env]["valueFrom"]["secretKeyRef"]["key"] == "bearer-token"
    claims = {t["metadata"]["name"] for t in sts["spec"]["volumeClaimTemplates"]}
    spool = [m for m in c["volumeMounts"] if m["name"] in claims]
    assert any(config.spool_dir.is_relative_to(m["mountPath"]) for m in spool)
    monitor = ha["PodMonitor", "qobserve-alert-bridge"]["spec"]
    job = sts["spec"]["template"]["metadata"]["labels"][monitor["jobLabel"]]
    assert (
        job
        == load_spec(DEPLOY.parent / "alerts" / "slo.yaml").alerts.alert_bridge_delivery_failing.job
    )


def _exporter_pod():
    (deployment,) = _docs(DEPLOY / "kubernetes" / "training-deployment.yaml")
    pod = deployment["spec"]["template"]["spec"]
    (container,) = [c for c in pod["containers"] if c["name"] == "qobserve-exporter"]
    return pod, container


def _dockerfile_env() -> dict[str, str]:
    """The ENV assignments of the exporter image (continuation lines joined)."""
    text = (DEPLOY / "docker" / "Dockerfile").read_text().replace("\\\n", " ")
    env = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            env.update(tok.split("=", 1) for tok in line[4:].split())
    return env


def test_exporter_runs_non_root_on_a_read_only_root():
    """The sidecar is uid 10001 with a read-only root; state and caches point at mounted volumes."""
    pod, container = _exporter_pod()
    sc = container["securityContext"]
    assert (
        sc["runAsUser"] == 10001
        and sc["readOnlyRootFilesystem"] is True
        and sc["runAsNonRoot"] is True
    )
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    volumes = {v["name"] for v in pod["volumes"]}
    assert all(m["name"] in volumes for m in mounts.values())
    env = {e["name"]: e["value"] for e in container["env"] if "value" in e}
    writable = [p for p, m in mounts.items() if not m.get("readOnly")]
    for var in ("QOBSERVE_STATE_DIR", "NUMBA_CACHE_DIR", "MPLCONFIGDIR"):
        assert any(env[var] == p or env[var].startswith(p + "/") for p in writable), var
        assert _dockerfile_env()[var] == env[var], f"Dockerfile and manifest disagree on {var}"
    assert "USER 10001" in (DEPLOY / "docker" / "Dockerfile").read_text()


def test_probes_match_the_exporter_config():
    """Liveness/readiness use /healthz and /readyz, over HTTPS exactly when the config turns TLS on."""
    _, container = _exporter_pod()
    (cm,) = _docs(DEPLOY / "kubernetes" / "exporter-configmap.yaml")
    config = ExporterConfig.model_validate(yaml.safe_load(cm["data"]["exporter.yaml"]))
    scheme = "HTTPS" if config.web.tls_cert_file else "HTTP"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"].get("scheme", "HTTP") == scheme
    assert not config.web.health_requires_auth  # the kubelet sends no credentials
    (monitor,) = _docs(DEPLOY / "kubernetes" / "podmonitor.yaml")
    assert monitor["spec"]["podMetricsEndpoints"][0].get("scheme", "http") == scheme.lower()
    mounts = [m["mountPath"] for m in container["volumeMounts"]]
    for path in (config.web.tls_cert_file, config.web.tls_key_file, config.state_dir):
        assert any(str(path).startswith(m + "/") or str(path) == m for m in mounts), path


def test_credential_files_come_from_the_secret_mount():
    """Every credentials file in the ConfigMap is a key of the Secret mounted at its directory."""
    pod, container = _exporter_pod()
    (cm,) = _docs(DEPLOY / "kubernetes" / "exporter-configmap.yaml")
    config = ExporterConfig.model_validate(yaml.safe_load(cm["data"]["exporter.yaml"]))
    (secret,) = _docs(DEPLOY / "kubernetes" / "quantum-credentials-secret.yaml")
    secret_volumes = {v["name"]: v["secret"]["secretName"] for v in pod["volumes"] if "secret" in v}
    files = [
        ref.file
        for b in config.backends
        if b.credentials
        for ref in vars(b.credentials).values()
        if getattr(ref, "file", None)
    ]
    assert files
    for file in files:
        (mount,) = [m for m in container["volumeMounts"] if str(file.parent) == m["mountPath"]]
        assert secret_volumes[mount["name"]] == secret["metadata"]["name"]
        assert file.name in secret["stringData"]
