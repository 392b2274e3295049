"""The references a `{{…}}` template uses (`{{node.output.x}}`, `{{env.NAME}}`, …), parsed once and cached,
and the constructs the sandbox refuses."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from jinja2 import meta, nodes
from jinja2.environment import Template, TemplateExpression
from jinja2.exceptions import TemplateSyntaxError
from pydantic import BaseModel

from agentflow.templating.errors import TemplateError
from agentflow.templating.limits import (
    MAX_TEMPLATE_CODE,
    MAX_TEMPLATE_TAGS,
    template_code,
)
from agentflow.templating.sandbox import build_environment

ReferenceKind = Literal["node", "trigger", "env", "loop", "execution"]
SPECIAL_ROOTS: frozenset[str] = frozenset({"trigger", "env", "loop", "execution"})

# A string that is exactly one `{{ expression }}` keeps the expression's JSON type.
_LONE_EXPRESSION = re.compile(r"^\{\{[-+]?(?P<expr>(?:(?!\{\{|\}\}).)*?)[-+]?\}\}$", re.DOTALL)
_MARKERS = ("{{", "{%", "{#")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ENV = build_environment()
JINJA_GLOBALS: frozenset[str] = frozenset(_ENV.globals)


@dataclass(frozen=True)
class Reference:
    """One `{{root.path…}}` use: root is a node id or trigger/env/loop/execution; field is where it is."""

    root: str
    path: tuple[str | int, ...] = ()
    field: str = ""
    dynamic: bool = False  # the path stops at a computed subscript such as `items[loop.index]`

    @property
    def kind(self) -> ReferenceKind:
        """What the root names."""
        if self.root in SPECIAL_ROOTS:
            return self.root  # type: ignore[return-value]
        return "node"

    @property
    def text(self) -> str:
        """The reference as written in a template, e.g. `classify.output.label`."""
        return self.root + format_path(self.path)


def json_type_name(value: Any) -> str:
    """How a value's type reads in messages: `null`, `a string`, `a number`, `a list`, `an object`…"""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return f"a {type(value).__name__}"


def format_path(path: tuple[str | int, ...] | list[str | int]) -> str:
    """`('output', 'chunks', 0)` → `.output.chunks[0]`."""
    parts: list[str] = []
    for segment in path:
        if isinstance(segment, int):
            parts.append(f"[{segment}]")
        elif _IDENTIFIER.match(segment):
            parts.append(f".{segment}")
        else:
            parts.append(f"[{json.dumps(segment)}]")
    return "".join(parts)


def join_field(prefix: str, key: str | int) -> str:
    """Dotted field path: `config` + `headers` → `config.headers`, `conditions` + 0 → `conditions[0]`."""
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    return f"{prefix}.{key}" if prefix else key


def _quote(source: str, limit: int = 120) -> str:
    return repr(source if len(source) <= limit else source[: limit - 1] + "…")


def has_template(text: str) -> bool:
    """True when the string contains Jinja markup and needs rendering."""
    return any(marker in text for marker in _MARKERS)


def iter_template_strings(value: Any, field: str = "") -> Iterator[tuple[str, str]]:
    """Yield `(field path, string)` for every string containing a template, walking dicts and lists."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json", by_alias=True)
    if isinstance(value, str):
        if has_template(value):
            yield field, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from iter_template_strings(item, join_field(field, str(key)))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from iter_template_strings(item, join_field(field, index))


@functools.lru_cache(maxsize=4096)
def _template(source: str) -> Template:
    return _ENV.from_string(source)


@functools.lru_cache(maxsize=4096)
def _expression(expression: str) -> TemplateExpression:
    return _ENV.compile_expression(expression, undefined_to_none=False)


def _chain(node: nodes.Expr) -> tuple[str, list[str | int], list[nodes.Node]] | None:
    """Split `a.b[0][x].c` into root `a`, static path `b, 0` and the computed parts; None if no Name root."""
    segments: list[nodes.Node | str] = []
    current: nodes.Node = node
    while isinstance(current, nodes.Getattr | nodes.Getitem):
        segments.append(current.attr if isinstance(current, nodes.Getattr) else current.arg)
        current = current.node
    if not isinstance(current, nodes.Name):
        return None
    path: list[str | int] = []
    computed: list[nodes.Node] = []
    for segment in reversed(segments):
        if computed:
            if not isinstance(segment, str):
                computed.append(segment)
        elif isinstance(segment, str):
            path.append(segment)
        elif (
            isinstance(segment, nodes.Const)
            and isinstance(segment.value, str | int)
            and not isinstance(segment.value, bool)
        ):
            path.append(segment.value)
        else:
            computed.append(segment)
    return current.name, path, computed


def _collect(node: nodes.Node, undeclared: set[str], found: list[Reference]) -> None:
    if isinstance(node, nodes.Getattr | nodes.Getitem):
        chain = _chain(node)
        if chain is not None:
            root, path, computed = chain
            if root in undeclared:
                found.append(Reference(root=root, path=tuple(path), dynamic=bool(computed)))
            for part in computed:
                _collect(part, undeclared, found)
            return
    if isinstance(node, nodes.Name) and node.ctx == "load" and node.name in undeclared:
        found.append(Reference(root=node.name))
        return
    for child in node.iter_child_nodes():
        _collect(child, undeclared, found)


@functools.lru_cache(maxsize=4096)
def _check_tags(source: str) -> None:
    """Refuse a template with more tags, or more code in them, than the limits, before parsing it: parsing
    and compiling cost per tag and per token."""
    tags, code = template_code(source)
    if tags > MAX_TEMPLATE_TAGS:
        raise TemplateError(
            f"template {_quote(source)} has more than {MAX_TEMPLATE_TAGS:,} tags ({{{{…}}}} and {{%…%}})",
            template=source,
        )
    if code > MAX_TEMPLATE_CODE:
        raise TemplateError(
            f"template {_quote(source)} has {code:,} characters inside its tags; "
            f"a template has at most {MAX_TEMPLATE_CODE:,}",
            template=source,
        )


def _parse(source: str) -> nodes.Template:
    _check_tags(source)
    try:
        return _ENV.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateError(
            f"template {_quote(source)} has a syntax error at line {exc.lineno}: {exc.message}",
            template=source,
        ) from exc
    except RecursionError as exc:
        raise TemplateError(f"template {_quote(source)} nests too deeply", template=source) from exc


@functools.lru_cache(maxsize=4096)
def _parse_references(source: str) -> tuple[Reference, ...]:
    tree = _parse(source)
    found: list[Reference] = []
    try:
        undeclared = meta.find_undeclared_variables(tree) - JINJA_GLOBALS
        _collect(tree, undeclared, found)
    except RecursionError as exc:
        raise TemplateError(f"template {_quote(source)} nests too deeply", template=source) from exc
    unique = dict.fromkeys(found)  # keep the first occurrence's order
    return tuple(unique)


# What the sandbox refuses at render time, found statically so a draft can say so when it is saved.
_INTERNAL_ATTRIBUTES = frozenset(
    {"gi_frame", "gi_code", "cr_frame", "cr_code", "ag_code", "ag_frame", "mro", "format_map"}
)
_MUTATING_METHODS = frozenset(
    {
        "add", "append", "appendleft", "clear", "difference_update", "discard", "extend", "extendleft",
        "insert", "intersection_update", "pop", "popitem", "popleft", "remove", "reverse", "rotate",
        "setdefault", "sort", "symmetric_difference_update", "update",
    }
)  # fmt: skip


def _is_internal(name: object) -> bool:
    return isinstance(name, str) and (name.startswith("__") or name in _INTERNAL_ATTRIBUTES)


def _unsafe(node: nodes.Node, found: list[str]) -> None:
    """Post-order, so `''.__class__.__mro__` reports `__class__` first, as it reads."""
    for child in node.iter_child_nodes():
        _unsafe(child, found)
    internals = "reaches into Python internals, which the template sandbox refuses"
    if isinstance(node, nodes.Getattr) and _is_internal(node.attr):
        found.append(f"`.{node.attr}` {internals}")
    elif (
        isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and _is_internal(node.arg.value)
    ):
        found.append(f"`[{node.arg.value!r}]` {internals}")
    elif isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr):
        method, target = node.node.attr, node.node.node
        if method in _MUTATING_METHODS:
            found.append(f"`.{method}(…)` would change data, which the template sandbox refuses")
        elif method == "format" and isinstance(target, nodes.Const) and "__" in str(target.value):
            found.append(f"a format string that {internals}")


@functools.lru_cache(maxsize=4096)
def _parse_unsafe(source: str) -> tuple[str, ...]:
    tree = _parse(source)
    found: list[str] = []
    try:
        _unsafe(tree, found)
    except RecursionError as exc:
        raise TemplateError(f"template {_quote(source)} nests too deeply", template=source) from exc
    return tuple(dict.fromkeys(found))


def unsafe_constructs(source: str) -> list[str]:
    """What in a template the sandbox would refuse (internals such as `__class__`, mutating calls).

    Rendering refuses these anyway; validation reports them when a draft is saved. A key of JSON data that
    merely starts with one underscore (`{{x.output.body._id}}`) is data, not an internal, and passes.
    """
    if not has_template(source):
        return []
    return list(_parse_unsafe(source))


def references_in(source: str, *, field: str = "") -> list[Reference]:
    """The references used by one template string; TemplateError if it does not parse."""
    if not has_template(source):
        return []
    return [replace(reference, field=field) for reference in _parse_references(source)]


def list_references(template_or_config: Any, *, field: str = "") -> list[Reference]:
    """Every reference in a template string or a nested config (dicts, lists, models), with its field path."""
    found: list[Reference] = []
    for where, source in iter_template_strings(template_or_config, field):
        found.extend(references_in(source, field=where))
    return found
