"""The web UI's generated API types, node-type fixture and audit actions match the app
(`cd ui && npm run gen:api`)."""

from __future__ import annotations

import json
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


def test_the_audit_viewers_actions_are_those_the_api_records() -> None:
    committed = json.loads((UI / "src" / "api" / "audit-actions.json").read_text())
    assert committed == sorted({audited.action for audited in ACTIONS.values()}), HOW
