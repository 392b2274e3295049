"""The one error templating raises."""

from __future__ import annotations


class TemplateError(Exception):
    """A `{{…}}` template cannot be parsed, refers to something undefined, or tried something unsafe."""

    def __init__(self, message: str, *, template: str | None = None, reference: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.template = template
        self.reference = reference
