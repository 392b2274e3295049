"""What a node type is, in one place: its contract model, palette entry, output shape, config rules, the
config fields that name secrets, and where its handler lives. Each node type's folder defines its `SPEC`s;
`registry.py` lists them."""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable, Set
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field

from agentflow.nodes.base import DEFAULT_HANDLE, NodeBase, StrictModel

Category = Literal["trigger", "ai", "action", "logic", "human", "knowledge"]
Severity = Literal["error", "warning"]
Shape = Literal["string", "number", "integer", "boolean", "object", "array", "any"]
_SCHEMA_DEPTH = 3


@dataclass(frozen=True)
class Finding:
    """A problem in one node's config; validation turns it into an Issue naming the node."""

    code: str
    field: str
    text: str
    severity: Severity = "error"


class OutputField(BaseModel):
    """One path under a node's `output` with its JSON shape."""

    path: str = Field(description="Path from the node, e.g. `output.label`.")
    shape: Shape = Field(description="JSON type of the value; `any` when unknown.")
    description: str = Field(default="", description="What the value is.")


def _no_findings(node: Any, known_env: Set[str] | None) -> list[Finding]:
    return []


def _open_output(node: Any) -> frozenset[str] | None:
    return None


@dataclass(frozen=True)
class NodeSpec:
    """One node type. `outputs` and `closed_outputs` describe the output for the variable picker and the
    reference checker; `check` holds rules beyond the model's shape; `secret_fields` are config paths whose
    value is the *name* of an org secret (`auth.secret`): the engine gives the handler only the secrets a node
    names. `handler` is `"module:attribute"`, imported by the engine only (the definition package never loads
    handler code); None for types that do not run yet. Flow-level types run in flow code, not as a Prefect
    task (a loop's body nodes are tasks of their own; only flow code can pause for a human)."""

    type: str
    model: builtins.type[NodeBase]
    label: str
    category: Category
    handles: tuple[str, ...] = (DEFAULT_HANDLE,)
    outputs: Callable[[Any], list[OutputField]] = lambda node: []
    closed_outputs: Callable[[Any], frozenset[str] | None] = _open_output
    check: Callable[[Any, Set[str] | None], list[Finding]] = _no_findings
    secret_fields: tuple[tuple[str, ...], ...] = ()
    handler: str | None = None
    flow_level: bool = False
    dynamic_handles: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    # What a test run gives instead of acting, for the node reference (docs/agent-definition.md); "" for
    # types that never preview.
    test_preview: str = ""

    @property
    def config_model(self) -> builtins.type[StrictModel]:
        config: builtins.type[StrictModel] = self.model.model_fields["config"].annotation  # type: ignore[assignment]
        return config


def output(path: str, shape: Shape, description: str = "") -> OutputField:
    """One output field (shorthand for the specs' tables)."""
    return OutputField(path=path, shape=shape, description=description)


def fixed_outputs(*fields: OutputField) -> Callable[[Any], list[OutputField]]:
    """`NodeSpec.outputs` of a type whose output shape does not depend on its config."""
    return lambda node: [f.model_copy() for f in fields]


def closed(*keys: str) -> Callable[[Any], frozenset[str]]:
    """`NodeSpec.closed_outputs` of a type whose output has exactly these keys."""
    found = frozenset(keys)
    return lambda node: found


def _schema_shape(schema: Any) -> Shape:
    kind = schema.get("type") if isinstance(schema, dict) else None
    if isinstance(kind, list):
        kind = next((item for item in kind if item != "null"), None)
    if kind in ("string", "number", "integer", "boolean", "object", "array"):
        return kind  # type: ignore[no-any-return]
    if isinstance(schema, dict) and "properties" in schema:
        return "object"
    return "any"


def schema_outputs(schema: Any, prefix: str, depth: int = 0) -> list[OutputField]:
    """Fields described by a JSON Schema's `properties`, nested objects included up to a small depth."""
    if not isinstance(schema, dict) or depth >= _SCHEMA_DEPTH:
        return []
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return []
    fields: list[OutputField] = []
    for name, sub in properties.items():
        path = f"{prefix}.{name}"
        description = sub.get("description", "") if isinstance(sub, dict) else ""
        fields.append(output(path, _schema_shape(sub), str(description)))
        fields.extend(schema_outputs(sub, path, depth + 1))
    return fields


def url_problem(url: str) -> str | None:
    """Why a configured URL is no absolute http(s) URL (a template is checked when it renders)."""
    if url.startswith("{{") or re.match(r"^https?://[^\s/]", url):
        return None
    return f"{url!r} is not an absolute http(s) URL"


def secret_findings(field: str, name: str | None, known_env: Set[str] | None) -> list[Finding]:
    """A config field naming an org secret that does not exist (when the org's secret names are known)."""
    if name is not None and known_env is not None and name not in known_env:
        return [Finding("unknown_secret", field, f"there is no org secret named {name!r}")]
    return []
