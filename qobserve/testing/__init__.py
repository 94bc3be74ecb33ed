"""Test the alert path against real services: the ``qobserve.testing`` pytest plugin.

Installed with qobserve (entry point ``pytest11: qobserve.testing``), so any project
that installs qobserve and pytest gets these fixtures, each on free 127.0.0.1 ports
and stopped (SIGTERM, then SIGKILL) with its temp dir removed after the test:

* ``prometheus``: factory, ``prometheus(rule_files=[...], scrape_targets={job: "host:port"},
  scrape_interval="1s", evaluation_interval="1s", alertmanagers=[...], extra_config=None)``
  → :class:`Prometheus` (``.url``, ``.query(promql)``, ``.wait_for(promql, predicate, timeout)``,
  ``.alerts()``, ``.reload()``, ``.stop()``);
* ``alertmanager``: factory, ``alertmanager(config)`` (mapping or path) → :class:`Alertmanager`
  (``.url``, ``.post_alerts(...)``, ``.alerts()``, ``.silence({...})``, ``.stop()``, ``.kill()``);
* ``alertmanager_cluster``: factory, ``alertmanager_cluster(config, replicas=2)`` → a list of
  gossiping :class:`Alertmanager`, returned once each sees all the others;
* ``redis_server``: a :class:`RedisServer` (``.url``, ``.port``, ``.client()``), no persistence;
* ``slack_server``: a :class:`qobserve.testing.slack.SlackServer`, a Slack Web API stand-in;
* ``free_port``: a TCP port free on 127.0.0.1.

Binaries come from the Debian packages ``prometheus``, ``prometheus-alertmanager`` and
``redis-server``; ``PROMETHEUS_BIN``, ``ALERTMANAGER_BIN`` and ``REDIS_SERVER_BIN`` override
PATH. A missing binary skips the test with one line naming the package, or fails it when
``CI=true`` or ``QOBSERVE_REQUIRE_SERVICES=1`` (``=0`` skips even in CI). The same rule holds
for :class:`MissingBinary` raised by ``start_*`` in a test's own fixtures, so module-scoped
fixtures can use ``with start_prometheus(...) as prom: yield prom``.

The ``start_*`` functions and handles need no pytest; ``qobserve demo --stack`` uses them.
"""

from __future__ import annotations

import importlib.util

from qobserve.testing._alertmanager import (
    Alertmanager,
    start_alertmanager,
    start_alertmanager_cluster,
)
from qobserve.testing._mlflow import MlflowServer, start_mlflow_server
from qobserve.testing._prometheus import Prometheus, prometheus_config, start_prometheus
from qobserve.testing._redis import RedisServer, start_redis
from qobserve.testing.services import (
    MissingBinary,
    Service,
    ServiceError,
    find_binary,
    missing_packages,
    spawn_python,
)

__all__ = [
    "Alertmanager",
    "MissingBinary",
    "MlflowServer",
    "Prometheus",
    "RedisServer",
    "Service",
    "ServiceError",
    "find_binary",
    "missing_packages",
    "prometheus_config",
    "spawn_python",
    "start_alertmanager",
    "start_alertmanager_cluster",
    "start_mlflow_server",
    "start_prometheus",
    "start_redis",
]

if importlib.util.find_spec("pytest") is not None:  # the fixtures need it; the services do not
    from qobserve.testing._fixtures import (
        alertmanager,
        alertmanager_cluster,
        free_port,
        prometheus,
        pytest_runtest_call,
        pytest_runtest_setup,
        redis_server,
        slack_server,
    )

    # pytest finds the fixtures and hooks as this module's attributes.
    __all__ += [
        "alertmanager",
        "alertmanager_cluster",
        "free_port",
        "prometheus",
        "pytest_runtest_call",
        "pytest_runtest_setup",
        "redis_server",
        "slack_server",
    ]
