"""`{{…}}` templates: the bounded Jinja2 sandbox, the references a template uses, and rendering.

A leaf package (it imports only `agentflow.kit`): the agent definition, the node types and the engine all
build on it."""

from agentflow.templating.errors import TemplateError
from agentflow.templating.references import (
    JINJA_GLOBALS,
    SPECIAL_ROOTS,
    Reference,
    ReferenceKind,
    format_path,
    has_template,
    iter_template_strings,
    join_field,
    json_type_name,
    list_references,
    references_in,
    unsafe_constructs,
)
from agentflow.templating.render import LoopFrame, build_context, render, render_string

__all__ = [
    "JINJA_GLOBALS",
    "SPECIAL_ROOTS",
    "LoopFrame",
    "Reference",
    "ReferenceKind",
    "TemplateError",
    "build_context",
    "format_path",
    "has_template",
    "iter_template_strings",
    "join_field",
    "json_type_name",
    "list_references",
    "references_in",
    "render",
    "render_string",
    "unsafe_constructs",
]
