"""Reads and writes definitions as YAML or JSON, preserving key order; errors carry line and column."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Literal

import yaml

from agentflow.graph.definition import AgentDefinition
from agentflow.graph.errors import DefinitionError
from agentflow.graph.parsing import parse_definition
from agentflow.kit.json_depth import MAX_JSON_DEPTH, too_deep

MAX_DEPTH = MAX_JSON_DEPTH  # levels of nested mappings and lists in a definition document


class _Loader(yaml.SafeLoader):
    """Safe loader with YAML 1.2 core scalars (JSON-like) that refuses duplicate keys, anchors and aliases,
    and nesting deeper than `MAX_DEPTH`.

    PyYAML follows YAML 1.1, which reads `no`/`on` as booleans, `012` as octal 10, `1:30` as 90 and
    unquoted dates as datetime objects; none of that is what someone writing a definition means.
    Aliases are refused outright: a few lines of them ("billion laughs") expand to gigabytes, and a
    definition never needs them.
    """

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        mark: yaml.error.Mark | None = event.start_mark
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise yaml.composer.ComposerError(None, None, "YAML anchors and aliases are not allowed", mark)
        if isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent) and self._depth >= MAX_DEPTH:
            raise yaml.composer.ComposerError(
                None, None, f"nesting deeper than {MAX_DEPTH} levels is not allowed", mark
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)  # type: ignore[no-any-return]
        finally:
            self._depth -= 1


_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_SCALARS = (
    ("tag:yaml.org,2002:bool", _BOOL, list("tTfF")),
    ("tag:yaml.org,2002:int", _INT, list("-+0123456789")),
    ("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789.")),
    ("tag:yaml.org,2002:null", _NULL, ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$"), ["<"]),
)
_Loader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in _SCALARS:
    _Loader.add_implicit_resolver(_tag, _pattern, _first)


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> int:
    value = str(loader.construct_scalar(node))
    return int(value, 0) if value.startswith(("0o", "0x")) else int(value, 10)


def _construct_float(loader: _Loader, node: yaml.ScalarNode) -> float:
    value = str(loader.construct_scalar(node)).lower()
    if value.lstrip("+-") == ".inf":
        return float("-inf") if value.startswith("-") else float("inf")
    return float("nan") if value == ".nan" else float(value)


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping",
                node.start_mark,
                f"found duplicate key {key!r}",
                key_node.start_mark,
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _Dumper(yaml.SafeDumper):
    """Safe dumper that indents lists under their key and writes multi-line strings as `|` blocks.

    It quotes every string that YAML 1.1 or 1.2 could read as something else, so any reader gets a string.
    """

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


for _tag, _pattern, _first in _SCALARS[:3]:
    _Dumper.add_implicit_resolver(_tag, _pattern, _first)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _as_data(defn: AgentDefinition | Mapping[str, Any]) -> Any:
    return defn.to_data() if isinstance(defn, AgentDefinition) else defn


def dump_yaml(defn: AgentDefinition | Mapping[str, Any]) -> str:
    """YAML text of a definition (or any JSON data), keys in their given order, unicode kept."""
    return yaml.dump(
        _as_data(defn),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=4096,
    )


def load_yaml(text: str) -> dict[str, Any]:
    """The mapping in a YAML text; DefinitionError with line and column if it is not valid YAML."""
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
        problem = exc.problem or exc.context or "invalid YAML"
        where = f" at line {line}, column {column}" if line is not None else ""
        raise DefinitionError(f"YAML error{where}: {problem}", line=line, column=column) from exc
    except yaml.YAMLError as exc:
        raise DefinitionError(f"YAML error: {exc}") from exc
    return _require_mapping(data, "YAML")


def dump_json(defn: AgentDefinition | Mapping[str, Any], *, indent: int = 2) -> str:
    """JSON text of a definition (or any JSON data), keys in their given order, unicode kept."""
    return json.dumps(_as_data(defn), indent=indent, ensure_ascii=False) + "\n"


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping: dict[str, Any] = {}
    for key, value in pairs:
        if key in mapping:
            raise ValueError(f"duplicate key {key!r}")
        mapping[key] = value
    return mapping


def load_json(text: str) -> dict[str, Any]:
    """The object in a JSON text; DefinitionError with line and column if it is not valid JSON."""
    if too_deep(text):  # checked first: `json` recurses per level, and a deep enough text overflows it
        raise DefinitionError(f"JSON error: nesting deeper than {MAX_JSON_DEPTH} levels is not allowed")
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise DefinitionError(
            f"JSON error at line {exc.lineno}, column {exc.colno}: {exc.msg}",
            line=exc.lineno,
            column=exc.colno,
        ) from exc
    except ValueError as exc:
        raise DefinitionError(f"JSON error: {exc}") from exc
    return _require_mapping(data, "JSON")


def _require_mapping(data: Any, kind: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise DefinitionError(f"{kind} error: the document must be a mapping with nodes, edges and settings")
    return data


def loads_definition(text: str, *, format: Literal["yaml", "json"] = "yaml") -> AgentDefinition:
    """Read and validate the shape of a definition from YAML (or JSON, which YAML also reads) text."""
    return parse_definition(load_json(text) if format == "json" else load_yaml(text))
