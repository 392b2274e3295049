"""A stand-in for the agents API (issue 4) inside the browser, until that router is merged.

It answers the agreed contract (paths, bodies, `ETag`/`If-Match`, 409 `edit_conflict`, 422 on publish) through
Playwright's request routing, and does the real work with `agentflow.graph`: validation, variables and
diffs are the domain code the API will call. Auth requests still go to the real `agentflow up` stack.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Page, Route

from agentflow.graph import (
    available_variables,
    diff_definitions,
    node_types,
    parse_definition,
    validate_definition,
)
from agentflow.graph.errors import DefinitionError

# Minimal valid configs: a draft with an unfinished node still lists the variables of the others.
_STUB_CONFIGS: dict[str, dict[str, Any]] = {
    "ai": {"prompt": ""},
    "action.http": {"url": "https://stub"},
    "action.webhook": {"url": "https://stub"},
    "action.integration": {"integration": "custom_api", "action": "stub"},
    "logic.if": {"conditions": []},
    "logic.switch": {"value": "", "cases": []},
    "logic.loop": {"items": []},
    "human.approval": {"message": "stub"},
    "knowledge.retrieve": {"knowledge_base_id": "stub", "query": "stub"},
}


def _lenient(definition: dict[str, Any]) -> dict[str, Any]:
    """The draft with each node whose config does not parse given a stub config of its type."""
    nodes = []
    for node in definition.get("nodes", []):
        try:
            parse_definition({"nodes": [node], "edges": []})
        except DefinitionError:
            node = {**node, "config": _STUB_CONFIGS.get(node.get("type", ""), {})}
        nodes.append(node)
    return {**definition, "nodes": nodes}


def _now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class FakeAgent:
    id: str
    name: str
    description: str | None
    tags: list[str]
    definition: dict[str, Any]
    revision: int = 1
    status: str = "draft"
    versions: list[dict[str, Any]] = field(default_factory=list)
    created_at: str = field(default_factory=_now)
    updated_at: str = field(default_factory=_now)

    def trigger_type(self) -> str | None:
        for node in self.definition.get("nodes", []):
            if node.get("type") == "trigger":
                return str(node.get("config", {}).get("kind", "manual"))
        return None

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "status": self.status,
            "trigger_type": self.trigger_type(),
            "tags": self.tags,
            "team_id": None,
            "current_version": self.versions[-1]["version"] if self.versions else None,
            "last_run_at": None,
            "success_rate": None,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }

    def detail(self) -> dict[str, Any]:
        report = validate_definition(self.definition, for_publish=False)
        return {
            **self.summary(),
            "draft_definition": self.definition,
            "draft_revision": self.revision,
            "validation": report.model_dump(mode="json"),
        }


@dataclass
class FakeAgentsApi:
    """Contract-true agents endpoints; `requests` records (method, path, headers) for assertions."""

    agents: dict[str, FakeAgent] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def install(self, page: Page) -> None:
        page.route(re.compile(r".*/api/v1/(agents|schemas)(/.*)?(\?.*)?$"), self._handle)

    def add(self, name: str, definition: dict[str, Any]) -> FakeAgent:
        agent = FakeAgent(id=str(uuid.uuid4()), name=name, description=None, tags=[], definition=definition)
        self.agents[agent.id] = agent
        return agent

    def _handle(self, route: Route) -> None:
        request = route.request
        url = urlparse(request.url)
        path = url.path.removeprefix("/api/v1")
        self.requests.append((request.method, path, dict(request.headers)))
        body = json.loads(request.post_data) if request.post_data else {}
        status, payload, headers = self._dispatch(
            request.method, path, parse_qs(url.query), body, request.headers
        )
        route.fulfill(
            status=status,
            headers={"Content-Type": "application/json", **headers},
            body=json.dumps(payload),
        )

    def _dispatch(
        self, method: str, path: str, query: dict[str, list[str]], body: Any, headers: dict[str, str]
    ) -> tuple[int, Any, dict[str, str]]:
        if path == "/schemas/node-types":
            return 200, [info.model_dump(mode="json") for info in node_types()], {}
        parts = path.strip("/").split("/")
        if parts == ["agents"] and method == "GET":
            q = (query.get("q") or [""])[0].lower()
            items = [a.summary() for a in self.agents.values() if q in a.name.lower()]
            return 200, {"items": items[::-1], "next_cursor": None}, {}
        if parts == ["agents"] and method == "POST":
            agent = self.add(body["name"], body.get("definition") or {"nodes": [], "edges": []})
            agent.description = body.get("description")
            agent.tags = body.get("tags") or []
            return 201, agent.detail(), {"ETag": f'"{agent.revision}"'}
        agent = self.agents.get(parts[1]) if len(parts) > 1 else None
        if agent is None:
            return 404, {"error": {"code": "not_found", "message": "No such agent", "details": None}}, {}
        rest = parts[2:]
        if not rest and method == "GET":
            return 200, agent.detail(), {"ETag": f'"{agent.revision}"'}
        if not rest and method == "PUT":
            if headers.get("if-match") != f'"{agent.revision}"':
                return (
                    409,
                    {"error": {"code": "edit_conflict", "message": "The draft changed", "details": None}},
                    {},
                )
            for key in ("name", "description", "tags"):
                if key in body:
                    setattr(agent, key, body[key])
            if "definition" in body:
                agent.definition = body["definition"]
            agent.revision += 1
            agent.updated_at = _now()
            return 200, agent.detail(), {"ETag": f'"{agent.revision}"'}
        if rest == ["publish"] and method == "POST":
            report = validate_definition(agent.definition, for_publish=True)
            if report.errors:
                details = report.model_dump(mode="json")
                return (
                    422,
                    {"error": {"code": "invalid_definition", "message": "Fix errors", "details": details}},
                    {},
                )
            version = {
                "version": len(agent.versions) + 1,
                "message": body.get("message"),
                "created_at": _now(),
                "definition": agent.definition,
            }
            agent.versions.append(version)
            agent.status = "active"
            return 201, version, {}
        if rest == ["versions"]:
            return 200, {"items": agent.versions[::-1], "next_cursor": None}, {}
        if len(rest) == 2 and rest[0] == "versions":
            return 200, agent.versions[int(rest[1]) - 1], {}
        if len(rest) == 4 and rest[0] == "versions" and rest[2] == "diff":
            a, b = (agent.versions[int(n) - 1]["definition"] for n in (rest[1], rest[3]))
            return 200, diff_definitions(a, b).model_dump(mode="json"), {}
        if rest == ["variables"]:
            node = (query.get("node") or [""])[0]
            try:
                found = available_variables(parse_definition(_lenient(agent.definition)), node)
            except (DefinitionError, KeyError):  # an unparsable draft, or a node not saved yet
                found = []
            return 200, [variable.model_dump(mode="json") for variable in found], {}
        return 404, {"error": {"code": "not_found", "message": f"Fake has no {method} {path}"}}, {}
