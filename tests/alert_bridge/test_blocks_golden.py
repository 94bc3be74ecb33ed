"""Golden files: Block Kit (and plain-text) messages for tests/golden/alert_bridge/in-*.json.

Each input is an Alertmanager v4 webhook body; the output holds, per alert, the
message ``alert_message`` builds and the ``plain_text`` fallback. Regenerate
after an intended change with ``QOBSERVE_UPDATE_GOLDEN=1 pytest tests/alert_bridge``
and review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qobserve.alert_bridge.blocks import alert_message, plain_text
from qobserve.alert_bridge.payload import parse_payload
from qobserve.testing.golden import assert_golden
from qobserve.testing.slack import block_errors

GOLDEN = Path(__file__).parents[1] / "golden" / "alert_bridge"
CASES = sorted(GOLDEN.glob("in-*.json"))


def _render(path: Path) -> list[dict]:
    payload = parse_payload(path.read_bytes())
    return [
        {"message": alert_message(a, external_url=payload.externalURL), "plain": plain_text(a)}
        for a in payload.alerts
    ]


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_golden(path: Path) -> None:
    """The messages for each golden payload match the committed output exactly."""
    out = path.with_name(path.name.replace("in-", "out-", 1))
    text = json.dumps(_render(path), indent=2, ensure_ascii=False) + "\n"
    assert_golden(text, out)


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_golden_outputs_fit_slack_limits(path: Path) -> None:
    """Every golden message is accepted by the stand-in's Block Kit limit checks."""
    for rendered in json.loads(path.with_name(path.name.replace("in-", "out-", 1)).read_text()):
        assert block_errors(rendered["message"]["blocks"]) == []
