"""Errors raised by the agent-definition package; plain exceptions the app maps to HTTP responses."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentflow.templating.errors import TemplateError

if TYPE_CHECKING:
    from agentflow.graph.report import Issue

__all__ = ["DefinitionError", "GraphError", "TemplateError"]


class GraphError(Exception):
    """Base of every error raised by agentflow.graph."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DefinitionError(GraphError):
    """A definition (or the YAML/JSON text holding it) cannot be read or is not well-formed."""

    def __init__(
        self,
        message: str,
        *,
        issues: list[Issue] | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.issues: list[Issue] = issues or []
        self.line = line
        self.column = column
