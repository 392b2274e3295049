"""Renders `{{…}}` templates with Jinja2's immutable sandbox: one budget per render, clear errors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import TemplateError as JinjaTemplateError
from jinja2.environment import Template
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError

from agentflow.templating.errors import TemplateError
from agentflow.templating.limits import MAX_RENDERED_CHARS, LimitExceeded, bounded_text, budgeted
from agentflow.templating.references import (
    _LONE_EXPRESSION,
    Reference,
    _check_tags,
    _expression,
    _parse_references,
    _quote,
    _template,
    format_path,
    has_template,
    json_type_name,
)
from agentflow.templating.sandbox import to_json_value


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
    _check_tags(source)
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
