#!/usr/bin/env bash
# Set up everything the tests need, then run the gates (ruff, mypy), the tests and
# every benchmark's --quick mode. This is the README's test command and exactly
# what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: promtool (prometheus), amtool and alertmanager
# (prometheus-alertmanager), redis-server for the shared-budget store, bwrap
# (bubblewrap) and setpriv (util-linux) for the exporter's production-conditions test,
# chromium for the screenshot of the MLflow run page (tests/training/test_mlflow_integration.py).
need=()
command -v promtool >/dev/null || need+=(prometheus)
command -v prometheus-alertmanager >/dev/null || need+=(prometheus-alertmanager)
command -v redis-server >/dev/null || need+=(redis-server)
command -v bwrap >/dev/null || need+=(bubblewrap)
command -v setpriv >/dev/null || need+=(util-linux)
command -v chromium >/dev/null || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

python -m pip install --quiet --upgrade pip
python -m pip install --quiet -e ".[all,test]"
# Gates first, cheapest first: a lint or type error fails in seconds, not after the suite.
python -m ruff check .
python -m ruff format --check .
python -m mypy qobserve
# Everything above was installed: a test whose service binary is missing fails, not skips.
export QOBSERVE_REQUIRE_SERVICES=1
python -m pytest "$@"
# Each benchmark still runs: seconds each, figures printed, goals not judged.
python -m benchmarks --quick
