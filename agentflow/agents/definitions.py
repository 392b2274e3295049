"""Definition handling for agents: the starter draft, size limits, parsing into 422s, checksums, reports."""

from __future__ import annotations

import copy
import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agentflow.errors import BadRequest, PreconditionRequired, ValidationFailed
from agentflow.graph import AgentDefinition, DefinitionError, ValidationReport, parse_definition
from agentflow.graph import validate_definition as validate
from agentflow.templating import iter_template_strings, join_field
from agentflow.templating.limits import template_code

MAX_NODES = 500
MAX_TEMPLATE_CODE = 100_000  # characters inside `{{…}}` / `{%…%}` over the whole definition


def starter_definition() -> dict[str, Any]:
    """The draft of a new agent created without one: a single manual trigger."""
    return {
        "nodes": [{"id": "start", "type": "trigger", "name": "Start", "config": {"kind": "manual"}}],
        "edges": [],
    }


def check_size(raw: Mapping[str, Any]) -> None:
    """ValidationFailed (422) for a definition with more than `MAX_NODES` nodes (`too_many_nodes`) or more
    than `MAX_TEMPLATE_CODE` characters inside its template tags (`templates_too_large`): every save
    parses every template, so both bound the work one request can ask of the API."""
    nodes = raw.get("nodes")
    if isinstance(nodes, list) and len(nodes) > MAX_NODES:
        raise ValidationFailed(
            f"definition nodes: {len(nodes)} nodes; an agent has at most {MAX_NODES}",
            code="too_many_nodes",
            details={"max_nodes": MAX_NODES, "nodes": len(nodes)},
        )
    code = sum(template_code(source)[1] for _, source in iter_template_strings(raw.get("nodes")))
    if code > MAX_TEMPLATE_CODE:
        raise ValidationFailed(
            f"definition nodes: {code:,} characters inside template tags; an agent has at most "
            f"{MAX_TEMPLATE_CODE:,}",
            code="templates_too_large",
            details={"max_template_code": MAX_TEMPLATE_CODE, "template_code": code},
        )


def parse(raw: Mapping[str, Any]) -> AgentDefinition:
    """The definition, or ValidationFailed (422) listing every shape problem with its node and field."""
    check_size(raw)
    where = _non_finite(raw, "")
    if where is not None:
        raise ValidationFailed(
            f"definition {where}: numbers must be finite (NaN and infinity are not JSON)",
            code="invalid_definition",
            details={"issues": [{"code": "invalid_value", "field": where}]},
        )
    try:
        return parse_definition(raw)
    except DefinitionError as exc:
        raise ValidationFailed(
            exc.message,
            code="invalid_definition",
            details={"issues": [issue.model_dump() for issue in exc.issues]},
        ) from exc


def accepted(raw: Mapping[str, Any]) -> dict[str, Any]:
    """What is stored for a draft: the data exactly as written (key order, `0` vs `0.0`), so export gives back
    what was imported; the models only check it.

    A draft may be unfinished: a missing or not yet valid value inside a node's `config` (an empty URL, a
    prompt not yet written) is saved and reported by the draft's validation, and blocks only publishing.
    Anything else (not an object, an unknown node type or config key, a bad id, a broken edge) is a 422.
    """
    try:
        parse(raw)
    except ValidationFailed as exc:
        issues = (exc.details or {}).get("issues", []) if isinstance(exc.details, dict) else []
        if exc.code != "invalid_definition" or not issues or not all(_in_config(issue) for issue in issues):
            raise
    return copy.deepcopy(dict(raw))


def _in_config(issue: Mapping[str, Any]) -> bool:
    field = issue.get("field") or ""
    unfinished = issue.get("code") in ("missing_field", "invalid_value")
    return unfinished and bool(issue.get("node_id")) and field.startswith("config.")


# Minimal valid configs: an unfinished node gets one so the rest of the draft still works (variables).
_STUB_CONFIGS: dict[str, dict[str, Any]] = {
    "ai": {"prompt": ""},
    "action.http": {"url": "https://stub.invalid"},
    "action.webhook": {"url": "https://stub.invalid"},
    "action.integration": {"integration": "custom_api", "action": "stub"},
    "logic.if": {"conditions": []},
    "logic.switch": {"value": "", "cases": []},
    "logic.loop": {"items": []},
    "human.approval": {"message": "stub"},
    "knowledge.retrieve": {"knowledge_base_id": "stub", "query": "stub"},
}


def lenient(raw: Mapping[str, Any]) -> AgentDefinition:
    """The draft parsed with every unfinished node's config replaced by a stub of its type (422 if even
    that does not parse)."""
    nodes = []
    for node in raw.get("nodes", []) if isinstance(raw.get("nodes"), list) else []:
        try:
            parse_definition({"nodes": [node], "edges": []})
        except DefinitionError:
            if isinstance(node, Mapping):
                node = {**node, "config": _STUB_CONFIGS.get(str(node.get("type", "")), {})}
        nodes.append(node)
    return parse({**raw, "nodes": nodes})


def stored(raw: Mapping[str, Any]) -> AgentDefinition | None:
    """A stored definition parsed back, or None if it no longer parses (it is then shown as it is)."""
    try:
        return parse_definition(raw)
    except DefinitionError:
        return None


def _non_finite(value: Any, path: str) -> str | None:
    """The path of the first NaN or infinity (JSON has neither; Python's JSON reader lets them in)."""
    if isinstance(value, float) and not math.isfinite(value):
        return path or "definition"
    if isinstance(value, Mapping):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = _non_finite(item, join_field(path, key))
        if found is not None:
            return found
    return None


def checksum(data: Mapping[str, Any]) -> str:
    """SHA-256 of the definition as canonical JSON (sorted keys, no spaces, UTF-8)."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def trigger_kind(data: Mapping[str, Any]) -> str | None:
    """The trigger's kind (manual, webhook, schedule, api, integration), or None without a trigger."""
    defn = stored(data)
    trigger = defn.trigger if defn is not None else None
    return trigger.config.kind if trigger is not None else None


@dataclass(frozen=True)
class DraftReport:
    report: ValidationReport
    publishable: bool


def draft_report(data: Mapping[str, Any]) -> DraftReport:
    """Draft-mode issues (what the builder shows) and whether publishing would pass."""
    parsed = stored(data)
    defn: AgentDefinition | Mapping[str, Any] = parsed if parsed is not None else data
    # known_env stays None until org secrets exist: unknown {{env.X}} names are not checked yet.
    report = validate(defn, for_publish=False, known_env=None)
    publishable = report.ok and validate(defn, for_publish=True, known_env=None).ok
    return DraftReport(report=report, publishable=publishable)


def publish_report(defn: AgentDefinition) -> ValidationReport:
    """Publish-mode validation: unreachable nodes become errors too."""
    return validate(defn, for_publish=True, known_env=None)


def expected_revision(if_match: int | None, revision: int | None) -> int:
    """The draft revision an edit is based on, from If-Match or the body (428 without either)."""
    if if_match is None and revision is None:
        raise PreconditionRequired(
            "Say which revision your edit is based on: send If-Match with the ETag of GET /agents/{id}, "
            "or a `revision` field"
        )
    if if_match is not None and revision is not None and if_match != revision:
        raise BadRequest(
            f"If-Match ({if_match}) and revision ({revision}) disagree; send one of them",
            code="conflicting_revision",
        )
    expected = if_match if if_match is not None else revision
    assert expected is not None
    return expected


def refusal(report: ValidationReport) -> str:
    """Why a draft cannot be published, naming its first errors."""
    count = len(report.errors)
    listed = "; ".join(issue.message for issue in report.errors[:3]) + ("; …" if count > 3 else "")
    return f"The draft has {count} error{'s' * (count != 1)} and cannot be published: {listed}"
