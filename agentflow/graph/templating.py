"""Renders `{{…}}` references with Jinja2's immutable sandbox and lists the references a template uses."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from jinja2 import TemplateError as JinjaTemplateError
from jinja2 import meta, nodes
from jinja2.environment import Template, TemplateExpression
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError
from pydantic import BaseModel

from agentflow.graph.errors import TemplateError
from agentflow.graph.limits import MAX_RENDERED_CHARS, LimitExceeded, bounded_text, budgeted
from agentflow.graph.sandbox import build_environment, to_json_value

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
def _parse_references(source: str) -> tuple[Reference, ...]:
    try:
        tree = _ENV.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateError(
            f"template {_quote(source)} has a syntax error at line {exc.lineno}: {exc.message}",
            template=source,
        ) from exc
    undeclared = meta.find_undeclared_variables(tree) - JINJA_GLOBALS
    found: list[Reference] = []
    _collect(tree, undeclared, found)
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
    try:
        tree = _ENV.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateError(
            f"template {_quote(source)} has a syntax error at line {exc.lineno}: {exc.message}",
            template=source,
        ) from exc
    found: list[str] = []
    _unsafe(tree, found)
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


@dataclass(frozen=True)
class LoopFrame:
    """The current iteration of the innermost loop: `{{loop.item}}` and `{{loop.index}}` (0-based)."""

    item: Any
    index: int


def build_context(
    outputs: Mapping[str, Any],
    *,
    trigger_id: str | None = None,
    env: Mapping[str, str] | None = None,
    loop: LoopFrame | None = None,
    execution_id: str | None = None,
) -> dict[str, Any]:
    """The variables templates see: `{node_id: {output}}`, `trigger`, `env`, `loop` and `execution`."""
    context: dict[str, Any] = {node_id: {"output": output} for node_id, output in outputs.items()}
    if trigger_id is not None and trigger_id in context:
        context["trigger"] = context[trigger_id]
    context["env"] = dict(env or {})
    if loop is not None:
        context["loop"] = {"item": loop.item, "index": loop.index}
    context["execution"] = {"id": execution_id}
    return context


def render(value: Any, context: Mapping[str, Any]) -> Any:
    """Render every string inside `value` (recursing through dicts and lists); other values are kept.

    The strings share one budget of loop iterations and CPU time (`limits`); each renders to at most
    `MAX_RENDERED_CHARS` of text.
    """
    with budgeted():
        return _render(value, context)


def _render(value: Any, context: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        return render_string(value, context)
    if isinstance(value, Mapping):
        return {key: _render(item, context) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_render(item, context) for item in value]
    return value


def render_string(source: str, context: Mapping[str, Any]) -> Any:
    """Render one template: a lone `{{expr}}` keeps its JSON type, anything else becomes text."""
    if not has_template(source):
        return source
    lone = _LONE_EXPRESSION.match(source)
    try:
        with budgeted():
            if lone is not None:
                return to_json_value(_expression(lone.group("expr"))(context))
            return _text(_template(source), context)
    except LimitExceeded as exc:
        raise TemplateError(f"template {_quote(source)} {exc}", template=source) from exc
    except UndefinedError as exc:
        raise _undefined_error(source, context, exc) from exc
    except SecurityError as exc:
        raise TemplateError(f"template {_quote(source)} is not allowed: {exc}", template=source) from exc
    except TemplateSyntaxError as exc:
        raise TemplateError(
            f"template {_quote(source)} has a syntax error at line {exc.lineno}: {exc.message}",
            template=source,
        ) from exc
    except (JinjaTemplateError, ArithmeticError, LookupError, TypeError, ValueError, RecursionError) as exc:
        raise TemplateError(f"template {_quote(source)} failed: {exc}", template=source) from exc


def _text(template: Template, context: Mapping[str, Any]) -> str:
    """The rendered text, stopped as soon as it passes the limit (a huge output is never built).

    What `Template.render` does, with the bounded join (`generate` would cost a generator hop per piece).
    """
    ctx = template.new_context(dict(context))
    try:
        return bounded_text(template.root_render_func(ctx), MAX_RENDERED_CHARS, "characters of text")
    except Exception:
        return template.environment.handle_exception()  # re-raises, pointing at the template's line


def _quote(source: str, limit: int = 120) -> str:
    return repr(source if len(source) <= limit else source[: limit - 1] + "…")


def _undefined_error(source: str, context: Mapping[str, Any], exc: UndefinedError) -> TemplateError:
    """Name the first reference that does not resolve, and why; fall back to Jinja's message."""
    for reference in _parse_references(source):
        problem = _why_unresolved(reference, context)
        if problem is not None:
            return TemplateError(
                f"reference {{{{{reference.text}}}}} is undefined: {problem}",
                template=source,
                reference=reference.text,
            )
    return TemplateError(
        f"template {_quote(source)} uses something undefined: {exc.message}", template=source
    )


def _why_unresolved(reference: Reference, context: Mapping[str, Any]) -> str | None:
    if reference.root not in context:
        if reference.kind == "node":
            return f"'{reference.root}' is not a node that has produced output"
        return f"'{reference.root}' is not available here"
    current: Any = context[reference.root]
    walked: list[str | int] = []
    for segment in reference.path:
        where = reference.root + format_path(walked)
        if isinstance(current, Mapping):
            if segment not in current:
                if reference.kind == "env":
                    return f"there is no secret named '{segment}'"
                known = ", ".join(str(key) for key in list(current)[:20]) or "nothing"
                return f"{where} has no key '{segment}' (it has: {known})"
            current = current[segment]
        elif isinstance(current, list) and isinstance(segment, int):
            if not -len(current) <= segment < len(current):
                return f"{where} has {len(current)} items, so there is no item {segment}"
            current = current[segment]
        else:
            return f"{where} is {json_type_name(current)}, so it has no '{segment}'"
        walked.append(segment)
    return None
