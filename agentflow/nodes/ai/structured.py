"""The pydantic models instructor validates answers against: one per label set (classify) and per JSON Schema
(extract). Both are built once per distinct input and cached."""

from __future__ import annotations

import copy
import functools
import json
from typing import Any, ClassVar, Literal

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from jsonschema.protocols import Validator
from pydantic import BaseModel, ConfigDict, Field, GetJsonSchemaHandler, create_model, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from agentflow.kit.json_schema import linear_validator_class

_MAX_REPORTED_ERRORS = 10


class Classification(BaseModel):
    """Base of the per-label-set models: `label` is narrowed to the labels by `classification_model`."""

    label: str
    confidence: float = Field(ge=0, le=1)


@functools.lru_cache(maxsize=256)
def _classification_model(labels: tuple[str, ...]) -> type[Classification]:
    label_type: Any = Literal.__getitem__(labels)
    model = create_model(
        "Classification",
        __base__=Classification,
        __doc__="The one label that fits the input best, and how sure you are.",
        label=(label_type, Field(description="Exactly one of: " + ", ".join(labels))),
        confidence=(float, Field(ge=0, le=1, description="Confidence between 0 and 1.")),
    )
    return model


def classification_model(labels: list[str]) -> type[Classification]:
    """A model whose `label` must be one of `labels` and `confidence` between 0 and 1."""
    return _classification_model(tuple(labels))


class InvalidSchema(ValueError):
    """The node's `output_schema` is not a usable JSON Schema."""


class ExtractedObject(BaseModel):
    """An object validated against a JSON Schema; the schema is also what the model is shown."""

    model_config = ConfigDict(extra="allow")
    json_schema: ClassVar[dict[str, Any]] = {"type": "object", "properties": {}}
    validator: ClassVar[Validator] = Draft202012Validator({"type": "object"})

    @model_validator(mode="before")
    @classmethod
    def _matches_schema(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError("the answer must be a JSON object")
        errors = sorted(cls.validator.iter_errors(data), key=lambda error: list(error.absolute_path))
        if errors:
            reported = [
                f"{'.'.join(str(part) for part in error.absolute_path) or 'answer'}: {error.message}"
                for error in errors[:_MAX_REPORTED_ERRORS]
            ]
            more = len(errors) - len(reported)
            raise ValueError("; ".join(reported) + (f"; and {more} more" if more > 0 else ""))
        return data

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return copy.deepcopy(cls.json_schema)


@functools.lru_cache(maxsize=256)
def _extraction_model(canonical: str) -> type[ExtractedObject]:
    schema = json.loads(canonical)
    try:
        validator_class = linear_validator_class(schema)  # the model's answer is checked with RE2 patterns
        validator_class.check_schema(schema)
    except SchemaError as exc:
        raise InvalidSchema(f"output_schema is not a valid JSON Schema: {exc.message}") from exc
    shown = {"title": "Extraction", **schema, "type": "object"}
    shown.setdefault("properties", {})
    shown.setdefault("description", "The information extracted from the input.")
    return type(
        "Extraction",
        (ExtractedObject,),
        {
            "__doc__": shown["description"],
            "__module__": __name__,
            "json_schema": shown,
            "validator": validator_class(schema),
        },
    )


def extraction_model(schema: dict[str, Any]) -> type[ExtractedObject]:
    """A model that accepts exactly the objects `schema` accepts (InvalidSchema if the schema is broken)."""
    if schema.get("type", "object") != "object":
        raise InvalidSchema('output_schema must describe an object (`"type": "object"`)')
    return _extraction_model(json.dumps(schema, sort_keys=True))
