"""``runbooks/README.md``: the runbook index, generated from the runbooks themselves.

Each runbook ``runbooks/<AlertName>.md`` starts with its title, a bold
severity/dashboard line and a "What it means" section; the index lists every
alert in :data:`qobserve.semconv.ALERTS` with those, then the on-call guidance
and the postmortem checklist.
"""

from __future__ import annotations

import re
from pathlib import Path

from qobserve import conventions as conv
from qobserve.semconv import ALERTS

__all__ = ["RUNBOOK_DIR", "render_runbook_index"]

RUNBOOK_DIR = Path(__file__).resolve().parent.parent / conv.RUNBOOK_DIR

_HEADER = f"""{conv.generated_header("<!--")}# qobserve runbooks

One runbook per alert. Every alert's `runbook_url` annotation links here, and the Slack
message from `qobserve alert-bridge` has a Runbook button. Edit the runbooks themselves,
then run `qobserve generate` to refresh this index.

| Alert | Severity | What it means |
|---|---|---|
"""

_GUIDANCE = f"""
## Ownership and on-call

- **Owner:** the quantum platform team owns every alert here; experiment owners (the
  `quantum_experiment` label) own training alerts and are told, not paged.
- **page** alerts go to the on-call channel and the pager: act within 15 minutes, day or
  night. **ticket** alerts go to the alerts channel: handle them in working hours.
- The alert path watches itself: `QuantumAlertBridgeDeliveryFailing` and
  `QuantumAlertBridgeDeadLetters` skip Slack and reach the pager directly
  (`meta_monitoring` in `alerts/routing.yaml`); `QuantumAlertingHeartbeat` always fires and
  only pings the dead-man's switch, which pages when the pings stop.
- Acknowledge in Slack (thread under the alert) before you start, so nobody duplicates work.
- Planned provider maintenance: silence ahead of time with
  `qobserve silence --backend <backend> --duration <window> --comment "<notice link>"`.
- Hand over open incidents at the end of a shift in the on-call channel, with what was tried.
- Dashboards: qobserve / On-call (`/d/{conv.UID_ONCALL}`) first, then Debug
  (`/d/{conv.UID_DEBUG}`), SLOs (`/d/{conv.UID_SLO}`) and Executive (`/d/{conv.UID_EXECUTIVE}`).

## Postmortem checklist

Write one for every page and for any ticket that spent more than 10 % of an error budget.

- [ ] Timeline in UTC: first bad sample, alert fired, acknowledged, mitigated, resolved.
- [ ] Impact: failed or late jobs, error budget spent (SLO dashboard), extra cost in USD.
- [ ] Detection: did the right alert fire early enough? Was anything silenced that mattered?
- [ ] Root cause, with the provider ticket number when the provider was involved.
- [ ] What worked and what did not in the runbook; update the runbook in the same change.
- [ ] Follow-up actions with owners and dates (alert thresholds, executor policy, budgets).
- [ ] Replay the failure with `qobserve gameday --scenario <file>` to test the fix.
"""


def _summary(text: str) -> tuple[str, str]:
    severity = re.search(r"\*\*Severity:\*\*\s*([^·\n]+)", text)
    meaning = re.search(r"## What it means\n(.+?)(?:\n\n|\n##)", text, re.S)
    first = meaning.group(1).replace("\n", " ").strip() if meaning else ""
    sentence = re.split(r"(?<=[.:])\s", first, maxsplit=1)[0]
    return (severity.group(1).strip() if severity else "?", sentence.rstrip(":"))


def render_runbook_index(directory: Path = RUNBOOK_DIR) -> str:
    """The index text for the runbooks in ``directory``.

    Raises:
        FileNotFoundError: naming the alert whose runbook is missing.
    """
    rows = []
    for alert in ALERTS:
        path = directory / f"{alert}.md"
        if not path.is_file():
            raise FileNotFoundError(f"runbook for alert {alert} missing: write {path}")
        severity, meaning = _summary(path.read_text())
        rows.append(f"| [{alert}]({alert}.md) | {severity} | {meaning.replace('|', '/')} |")
    return _HEADER + "\n".join(rows) + "\n" + _GUIDANCE
