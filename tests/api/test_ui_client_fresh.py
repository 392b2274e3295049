"""The web UI's generated API types and node-type fixture match the app (`cd ui && npm run gen:api`)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from agentflow.graph import node_types
from api.app import create_app
from api.audit_actions import ACTIONS

UI = Path(__file__).resolve().parents[2] / "ui"
HOW = "the API changed: run `cd ui && npm run gen:api` and commit ui/src/api and ui/src/test/fixtures"


def test_openapi_document_matches_the_app() -> None:
    committed = json.loads((UI / "src" / "api" / "openapi.json").read_text())
    assert committed == create_app(configure_logs=False).openapi(), HOW


def test_node_type_fixture_matches_the_catalog() -> None:
    committed = json.loads((UI / "src" / "test" / "fixtures" / "node-types.json").read_text())
    assert committed == [info.model_dump(mode="json") for info in node_types()], HOW


def test_the_audit_viewers_suggested_actions_are_actions_the_api_records() -> None:
    """The action filter's suggestions (ui/src/api/audit.ts) name only actions of api/audit_actions.py."""
    source = (UI / "src" / "api" / "audit.ts").read_text()
    start = source.index("AUDIT_ACTIONS = [")
    suggested = re.findall(r'"([a-z_.]+)"', source[start : source.index("];", start)])
    recorded = {audited.action for audited in ACTIONS.values()}
    assert suggested and not set(suggested) - recorded, sorted(set(suggested) - recorded)
