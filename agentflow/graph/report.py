"""Validation issues and the report that collects them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from agentflow.nodes.spec import Severity

__all__ = ["Issue", "Severity", "ValidationReport"]


class Issue(BaseModel):
    """One problem found in a definition; `message` always names the node (or edge) and the field."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(description="Stable machine-readable code, e.g. `unknown_reference`.")
    message: str = Field(description="Human-readable message naming the node id and the field.")
    node_id: str | None = Field(default=None, description="The node the issue is about, if any.")
    field: str | None = Field(
        default=None,
        description="Dotted path of the offending field, e.g. `config.prompt` or `edges[2].target`.",
    )
    severity: Severity = Field(default="error", description="`error` blocks publishing; `warning` does not.")


class ValidationReport(BaseModel):
    """Errors (publish-blocking) and warnings found by `validate_definition`."""

    errors: list[Issue] = Field(default_factory=list, description="Publish-blocking problems.")
    warnings: list[Issue] = Field(
        default_factory=list, description="Problems worth showing that do not block."
    )

    @property
    def ok(self) -> bool:
        """True when nothing blocks publishing."""
        return not self.errors

    def add(self, issue: Issue) -> None:
        """File the issue under errors or warnings according to its severity."""
        (self.errors if issue.severity == "error" else self.warnings).append(issue)

    def codes(self) -> list[str]:
        """Codes of every issue, errors first (handy in tests and logs)."""
        return [issue.code for issue in [*self.errors, *self.warnings]]
