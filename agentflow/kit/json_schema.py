"""JSON Schema validators whose regular expressions (`pattern`, `patternProperties`) run on RE2.

Tenants write JSON Schemas (a trigger's `input_schema`, an AI node's `output_schema`) and anyone who knows a
webhook URL sends the data checked against them. jsonschema matches with Python's backtracking `re`, so
`{"pattern": "(a+)+$"}` and a long near-miss would stall the API; these keywords match in linear time.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from jsonschema import _keywords as keywords
from jsonschema.exceptions import SchemaError
from jsonschema.protocols import Validator
from jsonschema.validators import extend, validator_for

from agentflow.kit.regex import RegexError, search


def _matches(pattern: str, text: str) -> bool:
    try:
        return search(pattern, text)
    except RegexError as exc:
        raise _Unsupported(exc.message) from exc


class _Unsupported(Exception):
    """A schema pattern RE2 cannot run; becomes a validation error naming it."""


def _pattern(
    validator: Any, pattern: str, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "string"):
        return
    try:
        if not _matches(pattern, instance):
            yield ValidationError(f"{instance!r} does not match {pattern!r}")
    except _Unsupported as exc:
        yield ValidationError(str(exc))


def _pattern_properties(
    validator: Any, patterns: Mapping[str, Any], instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            try:
                matched = _matches(pattern, key)
            except _Unsupported as exc:
                yield ValidationError(str(exc))
                return
            if matched:
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional_properties(
    validator: Any, additional: Any, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if "patternProperties" not in schema:  # no regex involved: jsonschema's own keyword
        yield from keywords.additionalProperties(validator, additional, instance, schema)
        return
    if not validator.is_type(instance, "object"):
        return
    properties = schema.get("properties", {})
    patterns = list(schema["patternProperties"])
    try:
        extras = {
            key
            for key in instance
            if key not in properties and not any(_matches(pattern, key) for pattern in patterns)
        }
    except _Unsupported as exc:
        yield ValidationError(str(exc))
        return
    if validator.is_type(additional, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], additional, path=extra)
    elif not additional and extras:
        joined = ", ".join(repr(each) for each in sorted(extras))
        verb = "does" if len(extras) == 1 else "do"
        listed = ", ".join(repr(each) for each in sorted(patterns))
        yield ValidationError(f"{joined} {verb} not match any of the regexes: {listed}")


_LINEAR = {
    "pattern": _pattern,
    "patternProperties": _pattern_properties,
    "additionalProperties": _additional_properties,
}


@functools.cache
def _linear(base: type[Validator]) -> type[Validator]:
    replaced = {name: function for name, function in _LINEAR.items() if name in base.VALIDATORS}
    return extend(base, replaced)  # type: ignore[arg-type]


def _has_key(value: Any, key: str) -> bool:
    if isinstance(value, Mapping):
        return key in value or any(_has_key(item, key) for item in value.values())
    if isinstance(value, list):
        return any(_has_key(item, key) for item in value)
    return False


def linear_validator_class(schema: Mapping[str, Any]) -> type[Validator]:
    """The validator class for the schema's `$schema` (2020-12 by default), matching regexes on RE2.

    `unevaluatedProperties` together with `patternProperties` raises SchemaError: jsonschema would match
    those patterns with `re` while working out which properties were evaluated.
    """
    if _has_key(schema, "unevaluatedProperties") and _has_key(schema, "patternProperties"):
        raise SchemaError("unevaluatedProperties cannot be combined with patternProperties here")
    return _linear(validator_for(schema, default=Draft202012Validator))


def linear_validator(schema: Mapping[str, Any]) -> Validator:
    """A validator for the schema (see `linear_validator_class`)."""
    return linear_validator_class(schema)(schema)
