"""A real Alertmanager (Debian package ``prometheus-alertmanager``) on 127.0.0.1, alone or
as a gossiping cluster, with a handle on its v2 API."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from qobserve.testing.services import (
    ALERTMANAGER,
    Service,
    find_binary,
    free_port,
    poll,
    spawn,
    wait_until,
    workdir_for,
)

__all__ = ["Alertmanager", "start_alertmanager", "start_alertmanager_cluster"]

#: A configuration: a mapping (written as YAML) or the path of a YAML file.
Config = Mapping[str, Any] | str | os.PathLike


class Alertmanager(Service):
    """A running Alertmanager: ``url`` and its v2 API as methods."""

    def post_alerts(self, *alerts: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> None:
        """Post alerts as Prometheus does (each ``{"labels", "annotations", "startsAt", …}``);
        takes alerts or lists of them."""
        flat = [a for item in alerts for a in ([item] if isinstance(item, Mapping) else item)]
        self.post("/api/v2/alerts", flat)

    def alerts(self, **filters: Any) -> list[dict]:
        """Alerts it holds (``/api/v2/alerts``); ``filters`` such as ``active=True``,
        ``silenced=False``, ``receiver="pager"``."""
        return self.get(
            "/api/v2/alerts",
            **{k: str(v).lower() if isinstance(v, bool) else v for k, v in filters.items()},
        )

    def wait_for_alerts(
        self, predicate: Callable[[list[dict]], object] = bool, timeout: float = 30, **filters: Any
    ) -> list[dict]:
        """Poll :meth:`alerts` (with ``filters``) until ``predicate`` holds (default: any alert).

        Raises:
            ServiceError: not within ``timeout`` seconds; names the last answer.
        """
        return poll(
            lambda: self.alerts(**filters),
            predicate,
            timeout=timeout,
            service=self,
            what=f"Alertmanager alerts {filters or ''}",
        )

    def groups(self) -> list[dict]:
        """Alert groups per receiver (``/api/v2/alerts/groups``)."""
        return self.get("/api/v2/alerts/groups")

    def silence(
        self,
        matchers: Mapping[str, str],
        *,
        duration: dt.timedelta = dt.timedelta(hours=1),
        comment: str = "qobserve.testing",
        created_by: str = "pytest",
    ) -> str:
        """Create a silence of exact ``label: value`` matchers from now; returns its id."""
        now = dt.datetime.now(dt.UTC)
        body = {
            "matchers": [
                {"name": k, "value": v, "isRegex": False, "isEqual": True}
                for k, v in matchers.items()
            ],
            "startsAt": now.isoformat(),
            "endsAt": (now + duration).isoformat(),
            "createdBy": created_by,
            "comment": comment,
        }
        return self.post("/api/v2/silences", body)["silenceID"]

    def silences(self) -> list[dict]:
        """Every silence it knows, active or not (``/api/v2/silences``)."""
        return self.get("/api/v2/silences")

    def peers(self) -> list[dict]:
        """Cluster members it sees, itself included (empty when clustering is off)."""
        return self.get("/api/v2/status")["cluster"].get("peers") or []


def _config_path(config: Config, workdir: Path, name: str) -> Path:
    if isinstance(config, Mapping):
        import yaml

        path = workdir / name
        path.write_text(yaml.safe_dump(dict(config)))
        return path
    return Path(config)


def _spawn(
    config: Config,
    workdir: Path | None,
    port: int | None,
    cluster_port: int | None,
    peers: Sequence[str],
    peer_timeout: str,
) -> Alertmanager:
    binary = find_binary(ALERTMANAGER)
    workdir, owned = workdir_for("alertmanager", workdir)
    port = port or free_port()
    argv = [
        binary,
        f"--config.file={_config_path(config, workdir, 'alertmanager.yml')}",
        f"--storage.path={workdir / 'am-data'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    if cluster_port is None:
        argv.append("--cluster.listen-address=")
    else:
        argv += [
            f"--cluster.listen-address=127.0.0.1:{cluster_port}",
            f"--cluster.advertise-address=127.0.0.1:{cluster_port}",
            f"--cluster.peer-timeout={peer_timeout}",
            "--cluster.gossip-interval=50ms",
            "--cluster.pushpull-interval=1s",
            *(f"--cluster.peer={peer}" for peer in peers),
        ]
    return spawn(
        "alertmanager", argv, f"http://127.0.0.1:{port}", workdir, owned_dir=owned, cls=Alertmanager
    )


def start_alertmanager(
    config: Config,
    workdir: Path | None = None,
    *,
    port: int | None = None,
    timeout: float = 30,
    cluster_port: int | None = None,
    peers: Sequence[str] = (),
    peer_timeout: str = "15s",
) -> Alertmanager:
    """Run Alertmanager with ``config`` on 127.0.0.1 and wait until it is ready.

    Clustering is off unless ``cluster_port`` is given; then it gossips on
    ``127.0.0.1:cluster_port`` with ``peers`` (``host:port`` of the others), and
    waits ``peer_timeout`` per position before notifying (Alertmanager's own
    de-duplication across replicas).

    Args:
        config: a mapping (written as YAML) or a path.
        workdir: state, log and a written config go here (default: a temp dir removed on stop).

    Raises:
        MissingBinary: no Alertmanager (Debian package ``prometheus-alertmanager``).
        ServiceError: it exited or was not ready in time (with its output's tail).
    """
    am = _spawn(config, workdir, port, cluster_port, peers, peer_timeout)
    return am.wait_ready("/-/ready", timeout)


def start_alertmanager_cluster(
    config: Config | Sequence[Config],
    replicas: int = 2,
    *,
    workdir: Path | None = None,
    peer_timeout: str = "15s",
    timeout: float = 30,
) -> list[Alertmanager]:
    """Run ``replicas`` Alertmanagers that gossip with each other; return once each sees all.

    Args:
        config: one configuration for all, or a list with one per replica (``replicas``
            is then its length).
        workdir: each replica gets ``workdir/am<i>`` (default: temp dirs removed on stop).
        peer_timeout: how long replica *i* waits (× *i*) before notifying.

    Raises:
        ServiceError: a replica did not start, or the cluster did not form within ``timeout``.
    """
    configs = (
        list(config)
        if isinstance(config, Sequence) and not isinstance(config, str)
        else [config] * replicas
    )
    ports = [free_port() for _ in configs]
    members: list[Alertmanager] = []
    try:
        for i, cfg in enumerate(configs):
            peers = [f"127.0.0.1:{p}" for j, p in enumerate(ports) if j != i]
            members.append(
                _spawn(
                    cfg,
                    workdir / f"am{i}" if workdir else None,
                    None,
                    ports[i],
                    peers,
                    peer_timeout,
                )
            )
        for am in members:
            am.wait_ready("/-/ready", timeout)
        for am in members:

            def sees_all(am: Alertmanager = am) -> bool:
                return len(am.peers()) == len(members)

            wait_until(
                sees_all,
                timeout=timeout,
                what=f"Alertmanager {am.url} seeing {len(members)} cluster peers",
                service=am,
            )
    except BaseException:
        for am in members:
            am.stop()
        raise
    return members
