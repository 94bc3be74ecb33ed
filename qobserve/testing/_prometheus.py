"""A real Prometheus (Debian package ``prometheus``) on 127.0.0.1 with a query handle."""

from __future__ import annotations

import os
import urllib.error
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qobserve.testing.services import (
    PROMETHEUS,
    Service,
    ServiceError,
    find_binary,
    free_port,
    poll,
    spawn,
    workdir_for,
)

__all__ = ["Prometheus", "prometheus_config", "start_prometheus"]

#: Scrape targets: ``{job: "host:port" | [..]}``, or a list of ``"host:port"`` (job ``test``)
#: and whole ``scrape_configs`` entries (mappings with ``job_name``).
ScrapeTargets = Mapping[str, "str | Sequence[str]"] | Sequence["str | Mapping[str, Any]"]


@dataclass
class Prometheus(Service):
    """A running Prometheus: ``url``, ``config_path``, and its HTTP API as methods."""

    config_path: Path = Path("prometheus.yml")

    def query(self, promql: str) -> list[dict]:
        """The instant query's result (``[{"metric": {...}, "value": [ts, "v"]}]``).

        Raises:
            ServiceError: Prometheus refused the query (its reason is in the message).
        """
        try:
            answer = self.get("/api/v1/query", query=promql)
        except urllib.error.HTTPError as exc:  # bad PromQL: 400 with a JSON reason
            raise ServiceError(f"query {promql!r}: {exc.read().decode(errors='replace')}") from None
        if answer.get("status") != "success":
            raise ServiceError(f"query {promql!r}: {answer}")
        return answer["data"]["result"]

    def wait_for(
        self, promql: str, predicate: Callable[[list[dict]], object] = bool, timeout: float = 30
    ) -> list[dict]:
        """Query until ``predicate(result)`` is true (default: any series) and return the result.

        Raises:
            ServiceError: not within ``timeout`` seconds; names the query and its last result.
        """
        return poll(
            lambda: self.query(promql),
            predicate,
            timeout=timeout,
            service=self,
            what=f"Prometheus query {promql!r}",
        )

    def alerts(self) -> list[dict]:
        """Pending and firing alerts (``/api/v1/alerts``)."""
        return self.get("/api/v1/alerts")["data"]["alerts"]

    def rule_groups(self) -> list[dict]:
        """Loaded rule groups with each rule's health (``/api/v1/rules``)."""
        return self.get("/api/v1/rules")["data"]["groups"]

    def targets(self) -> list[dict]:
        """Active scrape targets (``/api/v1/targets``)."""
        return self.get("/api/v1/targets")["data"]["activeTargets"]

    def reload(self, config: Mapping[str, Any] | str | None = None) -> None:
        """Re-read the config and rule files (after writing ``config`` if given).

        Raises:
            ServiceError: Prometheus rejected the new configuration.
        """
        if config is not None:
            _write_config(self.config_path, config)
        try:
            self.post("/-/reload")
        except urllib.error.HTTPError as exc:
            raise ServiceError(
                f"Prometheus reload failed: {exc.read().decode(errors='replace')}"
            ) from None


def prometheus_config(
    *,
    rule_files: Iterable[str | os.PathLike] = (),
    scrape_targets: ScrapeTargets = (),
    scrape_interval: str = "1s",
    evaluation_interval: str = "1s",
    alertmanagers: Iterable[str] = (),
    extra_config: Mapping[str, Any] | None = None,
) -> dict:
    """A Prometheus configuration: scrape ``scrape_targets``, load ``rule_files``, alert to
    ``alertmanagers`` (``host:port`` or URLs); ``extra_config``'s top-level keys win."""
    config: dict[str, Any] = {
        "global": {
            "scrape_interval": scrape_interval,
            "evaluation_interval": evaluation_interval,
            "scrape_timeout": scrape_interval,
        },
        "rule_files": [str(p) for p in rule_files],
        "scrape_configs": _scrape_configs(scrape_targets),
    }
    if targets := [a.removeprefix("http://") for a in alertmanagers]:
        config["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": targets}]}]}
    return {**config, **(extra_config or {})}


def _scrape_configs(targets: ScrapeTargets) -> list[dict]:
    if isinstance(targets, Mapping):
        return [
            {
                "job_name": job,
                "static_configs": [{"targets": [t] if isinstance(t, str) else list(t)}],
            }
            for job, t in targets.items()
        ]
    plain = [t for t in targets if isinstance(t, str)]
    whole = [dict(t) for t in targets if not isinstance(t, str)]
    return ([{"job_name": "test", "static_configs": [{"targets": plain}]}] if plain else []) + whole


def _write_config(path: Path, config: Mapping[str, Any] | str) -> None:
    import yaml

    path.write_text(config if isinstance(config, str) else yaml.safe_dump(dict(config)))


def start_prometheus(
    config: Mapping[str, Any] | str | None = None,
    workdir: Path | None = None,
    *,
    port: int | None = None,
    timeout: float = 30,
    **options: Any,
) -> Prometheus:
    """Run Prometheus on 127.0.0.1 (lifecycle API on, for :meth:`Prometheus.reload`).

    Args:
        config: a whole configuration (mapping or YAML text); without it one is built
            from ``options`` by :func:`prometheus_config`.
        workdir: config, TSDB and log go here (default: a temp dir removed on stop).
        port: default a free one.
        timeout: seconds to wait for ``/-/ready``.

    Raises:
        MissingBinary: no ``prometheus`` (Debian package ``prometheus``).
        ServiceError: it exited or was not ready in time (with its output's tail).
    """
    binary = find_binary(PROMETHEUS)
    workdir, owned = workdir_for("prometheus", workdir)
    port = port or free_port()
    cfg = workdir / "prometheus.yml"
    _write_config(cfg, config if config is not None else prometheus_config(**options))
    argv = [
        binary,
        f"--config.file={cfg}",
        f"--storage.tsdb.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--web.enable-lifecycle",
        "--storage.tsdb.retention.time=1d",
    ]
    prom = spawn(
        "prometheus",
        argv,
        f"http://127.0.0.1:{port}",
        workdir,
        owned_dir=owned,
        cls=Prometheus,
        config_path=cfg,
    )
    return prom.wait_ready("/-/ready", timeout)
