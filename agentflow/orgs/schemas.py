"""Org settings bodies."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from agentflow.kit.schemas import InputSchema, examples


class OrgUpdate(InputSchema):
    model_config = examples({"name": "Acme Robotics", "settings": {"allow_private_network": False}})

    name: str | None = Field(default=None, min_length=1, max_length=200)
    settings: dict[str, Any] | None = Field(
        default=None, description="Merged into the org's settings; a key set to null is removed."
    )
    data_region: str | None = Field(default=None, pattern="^(us|eu)$")
