"""Turns raw JSON data into an AgentDefinition, translating pydantic errors into located issues."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from agentflow.graph.definition import NODE_MODELS, AgentDefinition, AgentSettings, Edge
from agentflow.graph.errors import DefinitionError
from agentflow.graph.report import Issue
from agentflow.templating import join_field


def parse_definition(raw: Mapping[str, Any]) -> AgentDefinition:
    """Validate the shape of a definition; DefinitionError carries one issue per problem, located."""
    if not isinstance(raw, Mapping):
        issue = Issue(
            code="invalid_definition",
            message=f"definition: expected an object with nodes, edges, settings; got {type(raw).__name__}",
        )
        raise DefinitionError(issue.message, issues=[issue])
    try:
        return AgentDefinition.model_validate(raw)
    except ValidationError as exc:
        issues = _issues(raw, exc.errors(include_url=False))
    count = len(issues)
    summary = "; ".join(issue.message for issue in issues[:3]) + ("; …" if count > 3 else "")
    raise DefinitionError(
        f"invalid agent definition ({count} problem{'s' * (count != 1)}): {summary}", issues=issues
    )


def _issues(raw: Mapping[str, Any], errors: list[ErrorDetails]) -> list[Issue]:
    merged: dict[tuple[str | None, str], Issue] = {}
    for error in errors:
        issue = _issue(raw, error)
        key = (issue.node_id, issue.field or "")
        if key in merged:  # one value failing several union members: keep one issue
            continue
        merged[key] = issue
    return list(merged.values())


def _issue(raw: Mapping[str, Any], error: ErrorDetails) -> Issue:
    loc = list(error["loc"])
    section = loc[0] if loc else None
    if section == "nodes" and len(loc) >= 2 and isinstance(loc[1], int):
        return _node_issue(raw, loc[1], loc[2:], error)
    if section == "edges" and len(loc) >= 2 and isinstance(loc[1], int):
        edge = _item(raw.get("edges"), loc[1])
        field = _field(f"edges[{loc[1]}]", edge, loc[2:], error)
        source = edge.get("source") if isinstance(edge, Mapping) else None
        target = edge.get("target") if isinstance(edge, Mapping) else None
        label = (
            f"edge {loc[1]} ('{source or '?'}' → '{target or '?'}')" if source or target else f"edge {loc[1]}"
        )
        text = _explain(error, Edge, loc[2:])
        return Issue(
            code=_code(error),
            message=f"{label} {field}: {text}",
            node_id=source if isinstance(source, str) else None,
            field=field,
        )
    model: type[BaseModel] = AgentSettings if section == "settings" else AgentDefinition
    rest = loc[1:] if section == "settings" else loc
    field = (
        _field("settings" if section == "settings" else "", raw.get("settings"), rest, error) or "definition"
    )
    return Issue(code=_code(error), message=f"{field}: {_explain(error, model, rest)}", field=field)


def _node_issue(raw: Mapping[str, Any], index: int, rest: list[str | int], error: ErrorDetails) -> Issue:
    node = _item(raw.get("nodes"), index)
    node_id = node.get("id") if isinstance(node, Mapping) and isinstance(node.get("id"), str) else None
    label = f"node '{node_id}'" if node_id else f"nodes[{index}]"
    node_type = node.get("type") if isinstance(node, Mapping) else None
    if rest and rest[0] == node_type:  # pydantic puts the union tag in the location
        rest = rest[1:]
    kind = error["type"]
    if kind == "union_tag_invalid":
        expected = ", ".join(NODE_MODELS)
        return Issue(
            code="unknown_node_type",
            message=f"{label} type: unknown node type {node_type!r}; expected one of: {expected}",
            node_id=node_id,
            field="type",
        )
    if kind == "union_tag_not_found":
        return Issue(
            code="missing_field",
            message=f"{label} type: required field is missing",
            node_id=node_id,
            field="type",
        )
    if not rest and kind in ("model_type", "model_attributes_type", "dict_type"):
        return Issue(code="invalid_node", message=f"{label}: expected an object", node_id=node_id, field=None)
    field = _field("", node, rest, error)
    model = NODE_MODELS.get(node_type) if isinstance(node_type, str) else None
    code = "invalid_node_id" if field == "id" and kind != "missing" else _code(error)
    text = _explain(error, model, rest)
    return Issue(code=code, message=f"{label} {field}: {text}", node_id=node_id, field=field)


def _item(container: Any, index: int) -> Any:
    if isinstance(container, list) and 0 <= index < len(container):
        return container[index]
    return None


def _field(prefix: str, data: Any, rest: list[str | int], error: ErrorDetails) -> str:
    """Dotted path of the error inside the raw data, dropping pydantic's union-member location parts."""
    field = prefix
    current = data
    for position, part in enumerate(rest):
        last = position == len(rest) - 1
        if _contains(current, part):
            current = current[part]
        elif last and error["type"] in ("missing", "extra_forbidden") and isinstance(part, str):
            current = None
        else:
            continue
        field = join_field(field, part)
    return field


def _contains(data: Any, part: str | int) -> bool:
    if isinstance(data, Mapping):
        return part in data
    return isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)


def _code(error: ErrorDetails) -> str:
    return {"missing": "missing_field", "extra_forbidden": "unknown_field"}.get(
        error["type"], "invalid_value"
    )


def _explain(error: ErrorDetails, model: type[BaseModel] | None, rest: list[str | int]) -> str:
    kind = error["type"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        name = str(rest[-1]) if rest else "?"
        allowed = _allowed_fields(model, rest[:-1])
        if not allowed:
            return f"unknown field '{name}'"
        close = difflib.get_close_matches(name, allowed, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"unknown field '{name}'{hint}; allowed fields: {', '.join(allowed)}"
    message = error["msg"]
    value = error.get("input")
    if isinstance(value, bool | int | float) or (isinstance(value, str) and len(value) <= 60):
        return f"{message} (got {value!r})"
    return message


def _allowed_fields(model: type[BaseModel] | None, path: list[str | int]) -> list[str]:
    """Field names (aliases where set) of the model found by following `path` from `model`."""
    current: Any = model
    for part in path:
        if isinstance(part, int):
            continue
        if (
            not (isinstance(current, type) and issubclass(current, BaseModel))
            or part not in current.model_fields
        ):
            return []
        current = _model_in(current.model_fields[part].annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [field.alias or name for name, field in current.model_fields.items()]
    return []


def _model_in(annotation: Any) -> Any:
    """The BaseModel inside `X`, `X | None` or `list[X]`, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
