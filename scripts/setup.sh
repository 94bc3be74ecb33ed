#!/usr/bin/env bash
# Install qobserve with every SDK into the active Python environment.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet --upgrade pip
python -m pip install --quiet -e ".[all]"
