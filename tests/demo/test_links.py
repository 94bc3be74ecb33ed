"""The local demo links to the runbooks this checkout ships."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

import yaml

from qobserve.demo.links import local_runbook_base, runbook_index_url
from qobserve.semconv import ALERTS
from qobserve.stack import config as cfg

REPO = Path(__file__).resolve().parents[2]


def _file(url: str) -> Path:
    """The local file a ``file://`` URL names (fails for any other scheme)."""
    parsed = urlparse(url)
    assert parsed.scheme == "file", f"not a local link: {url}"
    return Path(unquote(parsed.path))


def test_local_runbook_base_is_this_checkout():
    """A source checkout links its own runbooks/ directory."""
    assert _file(local_runbook_base()) == REPO
    assert _file(runbook_index_url()) == REPO / "runbooks" / "README.md"


def test_stack_rules_link_runbooks_that_exist(tmp_path):
    """Every runbook_url in the rules `demo --stack` loads opens a runbooks/*.md of this repo."""
    routing = cfg.demo_routing("http://127.0.0.1:1234/alerts", tmp_path / "token")
    rules = cfg.write_rules(tmp_path, cfg.demo_spec(), routing)
    urls = [
        rule["annotations"]["runbook_url"]
        for path in rules.rule_files
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    ]
    assert urls, "the demo spec generated no alert"
    for url in urls:
        path = _file(url)
        assert path.parent == REPO / "runbooks" and path.is_file(), url


def test_every_alert_the_stack_can_page_has_a_local_runbook():
    """The demo spec's links open an existing file for every alert qobserve defines."""
    links = cfg.demo_spec().links
    for alert in ALERTS:
        assert _file(links.runbook(alert)).is_file(), alert
