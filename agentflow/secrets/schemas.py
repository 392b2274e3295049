"""Org environment secret bodies: values go in, never out."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field, SecretStr, field_validator

from agentflow.kit.schemas import InputSchema, RecordPublic, examples
from agentflow.secrets.paths import ENV_NAME

MAX_VALUE_CHARS = 65_536


def _check_value(value: SecretStr | None) -> SecretStr | None:
    if value is not None and len(value.get_secret_value()) > MAX_VALUE_CHARS:
        raise ValueError(f"a secret value is at most {MAX_VALUE_CHARS} characters")
    return value


class SecretCreate(InputSchema):
    # Values are stored byte for byte: no whitespace stripping in this body.
    model_config = examples(
        {"name": "OPENAI_API_KEY", "value": "sk-example-0123456789", "description": "Support agent's key"},
        strip_whitespace=False,
    )

    name: str = Field(
        pattern=ENV_NAME.pattern,
        description="Upper-case letters, digits and `_`, starting with a letter (used as `{{env.NAME}}`).",
    )
    value: SecretStr = Field(description="Stored in Vault; no endpoint ever returns it.")
    description: str = Field(default="", max_length=2000)

    _value_length = field_validator("value")(_check_value)


class SecretUpdate(InputSchema):
    model_config = examples(
        {"value": "sk-rotated-9876543210", "description": "Rotated after the audit"}, strip_whitespace=False
    )

    value: SecretStr | None = Field(
        default=None, description="A new value (rotation): the version increments."
    )
    description: str | None = Field(default=None, max_length=2000)

    _value_length = field_validator("value")(_check_value)


class SecretPublic(RecordPublic):
    """What the API shows of a secret: never its value."""

    name: str
    description: str
    version: int = Field(description="Vault KV version of the current value; increments on every rotation.")
    updated_at: datetime
    created_by: uuid.UUID | None
    updated_by: uuid.UUID | None
