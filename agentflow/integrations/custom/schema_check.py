"""Params against a connection-defined action's JSON Schema (custom API actions, MCP tools), where there is
no pydantic model to validate with: each problem with where it is (`("body", "name")`) and what it is, so a
publish check can leave problems at `{{…}}` values to the run, as it does for model-validated params."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

MAX_PROBLEMS = 20


def schema_problems(schema: Mapping[str, Any], params: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """(location, message) of every way `params` breaks `schema` (most relevant first, bounded)."""
    try:
        validator = Draft202012Validator(dict(schema))
        errors = sorted(validator.iter_errors(params), key=lambda e: (len(e.absolute_path), e.message))
    except SchemaError as exc:
        return [((), f"the action's params schema is invalid: {exc.message}")]
    return [(tuple(error.absolute_path), error.message) for error in errors[:MAX_PROBLEMS]]
