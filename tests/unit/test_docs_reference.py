"""The generated reference pages match the code, and cover every settings class and alert."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import yaml

from sgbus.docsgen.pages import REFERENCE_DIR, build_all, stale_pages
from sgbus.docsgen.settings_ref import settings_groups
from tests.doc_blocks import ROOT


def test_reference_pages_are_current() -> None:
    stale = stale_pages(ROOT / REFERENCE_DIR, build_all())
    assert not stale, f"stale reference pages {stale}: run `sgbus docs reference`"


def test_a_changed_page_is_reported_stale(tmp_path: Path) -> None:
    pages = {"a.md": "one\n", "b.md": "two\n"}
    (tmp_path / "a.md").write_text("one\n", encoding="utf-8")
    (tmp_path / "b.md").write_text("old\n", encoding="utf-8")
    assert stale_pages(tmp_path, pages) == ["b.md"]


def _settings_classes() -> set[str]:
    found = set()
    for path in (ROOT / "sgbus").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                isinstance(b, ast.Name) and b.id == "BaseSettings" for b in node.bases
            ):
                found.add(node.name)
    return found


def test_every_settings_class_is_in_the_reference() -> None:
    listed = {g.cls.__name__ for g in settings_groups()}
    assert _settings_classes() <= listed, "add the class to sgbus/docsgen/settings_ref.py"


def test_every_setting_and_metric_appears() -> None:
    pages = build_all()
    assert "`SGBUS_CLAIM_ON_RECEIPT_PARTIES`" in pages["settings.md"]
    assert "`SGBUS_GATEWAY_RATE`" in pages["settings.md"]
    assert "`sgbus_events_in_total`" in pages["metrics.md"]
    assert "`sgbus_consumer_lag_records`" in pages["metrics.md"]
    assert "## `sgbus deadline`" in pages["cli.md"]
    assert "### ClaimMode" in pages["events.md"]
    assert "**personal data**" in pages["events.md"]


def test_every_alert_rule_has_a_runbook_entry() -> None:
    rules = yaml.safe_load(
        (ROOT / "monitoring/prometheus/rules/sgbus-alerts.yml").read_text(encoding="utf-8")
    )
    alerts = {r["alert"] for g in rules["groups"] for r in g["rules"] if "alert" in r}
    runbook = (ROOT / "docs/how-to/alerts.md").read_text(encoding="utf-8")
    entries = set(re.findall(r"^### (\w+)$", runbook, re.MULTILINE))
    assert alerts, "no alert rules found"
    assert alerts == entries, (sorted(alerts - entries), sorted(entries - alerts))


def test_no_file_outside_the_repository_is_cited() -> None:
    pattern = re.compile(r"\d{3}_[0-9a-f]{16}|\d{3}_…|local-stack-notes|the design\b")
    texts = [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]
    texts += (ROOT / "sgbus").rglob("*.yaml")
    cited = [str(p.relative_to(ROOT)) for p in texts if pattern.search(p.read_text("utf-8"))]
    assert not cited, cited
