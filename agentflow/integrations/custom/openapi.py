"""OpenAPI 3 import: every operation of the document becomes an action of the custom API connector.

An action is named by its `operationId` (characters outside `[A-Za-z0-9_]` become `_`; without one, by the
method and path: `get_pets_petId`); its params are the operation's path and query parameters by name (with
their schemas) and `body`, the JSON request body's schema. Local `$ref`s (`#/components/...`) are resolved
inline, a reference cycle becomes an unconstrained schema, and remote references are refused: a connection
never fetches anything while it is being made. Header and cookie parameters are not mapped, and operations
whose body cannot be JSON are listed as skipped rather than imported half-working.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from agentflow.errors import ValidationFailed
from agentflow.integrations.custom.config import (
    MAX_ACTIONS,
    MAX_DOCUMENT_BYTES,
    document_size,
    path_params,
)

OPERATION_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
MAX_REF_DEPTH = 32
MAX_NESTING = 128
MAX_SCHEMA_NODES = 20_000  # per document: bounds what nested references can expand to
_NOT_NAME = re.compile(r"[^A-Za-z0-9_]+")


class _Resolver:
    """Resolves `$ref`s against one document, counting every node it produces."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self.nodes = 0

    def lookup(self, ref: str) -> Any:
        if not ref.startswith("#"):
            raise ValidationFailed(
                f"the OpenAPI document references {ref!r}: only local references (#/...) can be imported"
            )
        node: Any = self.document
        for raw in ref[1:].lstrip("/").split("/") if ref != "#" else []:
            key = unquote(raw).replace("~1", "/").replace("~0", "~")
            if isinstance(node, Mapping) and key in node:
                node = node[key]
            elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            else:
                raise ValidationFailed(f"the OpenAPI document references {ref!r}, which it does not define")
        return node

    def resolve(self, node: Any, seen: tuple[str, ...] = (), depth: int = 0) -> Any:
        """`node` with every reference replaced by what it points to."""
        self.nodes += 1
        if depth > MAX_NESTING:
            raise ValidationFailed(f"the OpenAPI document nests deeper than {MAX_NESTING} levels")
        if self.nodes > MAX_SCHEMA_NODES:
            raise ValidationFailed(
                f"the OpenAPI document's schemas expand to more than {MAX_SCHEMA_NODES} nodes once "
                "references are resolved"
            )
        if isinstance(node, Mapping):
            ref = node.get("$ref")
            if isinstance(ref, str):
                if ref in seen or len(seen) >= MAX_REF_DEPTH:
                    return {"description": f"recursive ({ref.rsplit('/', 1)[-1]})"}
                target = self.resolve(self.lookup(ref), (*seen, ref), depth + 1)
                siblings = {k: v for k, v in node.items() if k != "$ref"}
                if not siblings:
                    return target
                merged = self.resolve(siblings, seen, depth + 1)
                return {**target, **merged} if isinstance(target, Mapping) else merged
            return {key: self.resolve(value, seen, depth + 1) for key, value in node.items()}
        if isinstance(node, list):
            return [self.resolve(item, seen, depth + 1) for item in node]
        return node


def _action_name(operation: Mapping[str, Any], method: str, path: str) -> str:
    operation_id = operation.get("operationId")
    if isinstance(operation_id, str) and operation_id.strip():
        return _NOT_NAME.sub("_", operation_id).strip("_")[:64] or method
    slug = re.sub("_+", "_", _NOT_NAME.sub("_", path)).strip("_")
    return f"{method}_{slug}"[:64].rstrip("_")


def _json_body_schema(body: Mapping[str, Any]) -> dict[str, Any] | None:
    """The JSON media type's schema of a request body; None when it has no JSON form."""
    content = body.get("content")
    if not isinstance(content, Mapping):
        return None
    for media_type, media in content.items():
        base = str(media_type).split(";")[0].strip().lower()
        if base == "application/json" or base.endswith("+json"):
            schema = media.get("schema") if isinstance(media, Mapping) else None
            return dict(schema) if isinstance(schema, Mapping) else {}
    return None


def _parameters(resolver: _Resolver, path_item: Mapping[str, Any], operation: Mapping[str, Any]) -> list[Any]:
    """Path-level parameters overridden by the operation's own (same name and location)."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for raw in [*(path_item.get("parameters") or []), *(operation.get("parameters") or [])]:
        parameter = resolver.resolve(raw)
        if not isinstance(parameter, Mapping) or not isinstance(parameter.get("name"), str):
            raise ValidationFailed("the OpenAPI document has a parameter without a name")
        merged[(parameter["name"], str(parameter.get("in")))] = dict(parameter)
    return list(merged.values())


def _operation_action(
    resolver: _Resolver, method: str, path: str, path_item: Mapping[str, Any], operation: Mapping[str, Any]
) -> dict[str, Any]:
    name = _action_name(operation, method, path)
    properties: dict[str, Any] = {}
    required: list[str] = []
    query: list[str] = []
    for parameter in _parameters(resolver, path_item, operation):
        where, pname = parameter.get("in"), parameter["name"]
        if where not in ("path", "query"):
            continue
        schema = dict(parameter.get("schema") or {"type": "string"})
        if parameter.get("description") and "description" not in schema:
            schema["description"] = str(parameter["description"])[:1024]
        if pname == "body":
            raise ValidationFailed(f"operation {name}: a parameter named body clashes with the request body")
        properties[pname] = schema
        if where == "path" or parameter.get("required"):
            required.append(pname)
        if where == "query":
            query.append(pname)
    for pname in path_params(path):  # templated but not declared (a sloppy document): still a parameter
        if pname not in properties:
            properties[pname] = {"type": "string"}
            required.append(pname)
    has_body = False
    request_body = operation.get("requestBody")
    if isinstance(request_body, Mapping):
        request_body = resolver.resolve(request_body)
        body_schema = _json_body_schema(request_body)
        if body_schema is None:
            raise _Skip("its request body is not JSON")
        properties["body"] = {"description": "JSON request body", **body_schema}
        has_body = True
        if request_body.get("required"):
            required.append("body")
    summary = operation.get("summary") or operation.get("description") or f"{method.upper()} {path}"
    return {
        "name": name,
        "description": str(summary)[:1024],
        "method": method.upper(),
        "path": path,
        "params_schema": {"type": "object", "properties": properties, "required": required},
        "query": query,
        "body": has_body,
    }


class _Skip(Exception):
    """An operation that is listed as skipped (with the reason) instead of imported."""


def server_url(document: Mapping[str, Any]) -> str | None:
    """The first server URL when it is absolute (a relative one needs the connection's base_url)."""
    servers = document.get("servers")
    if isinstance(servers, list) and servers and isinstance(servers[0], Mapping):
        url = servers[0].get("url")
        if isinstance(url, str) and url.startswith(("http://", "https://")) and "{" not in url:
            return url
    return None


def import_operations(document: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """(actions, skipped operations with the reason) of an OpenAPI 3 document."""
    if document_size(document) > MAX_DOCUMENT_BYTES:
        raise ValidationFailed(f"the OpenAPI document is larger than {MAX_DOCUMENT_BYTES // 1024} KiB")
    version = document.get("openapi")
    if not isinstance(version, str) or not version.startswith("3."):
        raise ValidationFailed("openapi must be an OpenAPI 3 document (its `openapi` field is 3.x)")
    paths = document.get("paths")
    if not isinstance(paths, Mapping):
        raise ValidationFailed("the OpenAPI document has no paths")
    resolver = _Resolver(document)
    actions: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    operations = 0
    for path, raw_item in paths.items():
        path_item = resolver.resolve(raw_item) if isinstance(raw_item, Mapping) else None
        if not isinstance(path, str) or not path.startswith("/") or not isinstance(path_item, Mapping):
            raise ValidationFailed(f"the OpenAPI document has an invalid path entry {path!r}")
        for method in OPERATION_METHODS:
            operation = path_item.get(method)
            if not isinstance(operation, Mapping):
                continue
            operations += 1
            if operations > MAX_ACTIONS:
                raise ValidationFailed(f"the OpenAPI document has more than {MAX_ACTIONS} operations")
            try:
                actions.append(_operation_action(resolver, method, path, path_item, operation))
            except _Skip as reason:
                skipped.append({"operation": f"{method.upper()} {path}", "reason": str(reason)})
    return actions, skipped
