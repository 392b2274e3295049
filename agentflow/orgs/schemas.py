"""Org settings bodies: only known, typed keys (a free-form settings document was a way to widen what the
engine allows; what only an operator may decide is never an org setting)."""

from __future__ import annotations

import zoneinfo
from typing import Annotated, Any

from pydantic import Field, field_validator

from agentflow.gate.network import normalise
from agentflow.kit.schemas import InputSchema, examples
from agentflow.providers.config import ProviderName
from agentflow.retention.policy import RetentionDays

# Where an org's data lives (docs/residency.md); chosen at signup and fixed from then on.
DataRegion = Annotated[str, Field(pattern="^(us|eu)$", description="`us` or `eu`.")]

MODEL_NAME = Annotated[str, Field(min_length=1, max_length=200)]


class AiRoutingSettings(InputSchema):
    """Which provider answers a model name (`settings.ai`), read by every AI node of the org."""

    default_provider: ProviderName | None = Field(
        default=None, description="Provider of models no route matches (ollama if unset)."
    )
    default_model: MODEL_NAME | None = Field(default=None, description="Model of AI nodes that name none.")
    fallback_models: list[MODEL_NAME] = Field(
        default_factory=list,
        max_length=10,
        description="Models tried in order when a call fails with a rate limit, a server error, a timeout "
        "or a connection error, for AI nodes that list no `fallback_models` of their own.",
    )
    routes: dict[MODEL_NAME, ProviderName] = Field(
        default_factory=dict,
        max_length=50,
        description="Model name pattern (e.g. `my-*`) → provider, tried before the built-in table.",
    )


class OrgSettingsUpdate(InputSchema):
    """The settings an org admin may change; a key sent as null is removed."""

    ai: AiRoutingSettings | None = Field(default=None, description="AI provider routing.")
    timezone: str | None = Field(
        default=None, max_length=64, description="IANA time zone shown in the web app, e.g. `Europe/Berlin`."
    )
    ip_allowlist: list[Annotated[str, Field(max_length=64)]] | None = Field(
        default=None,
        max_length=200,
        description="Addresses and CIDR ranges (IPv4 and IPv6) the organization is used from; requests "
        "from elsewhere are refused (403 `ip_not_allowed`). Empty or null: from anywhere.",
    )
    retention_days: RetentionDays | None = Field(
        default=None,
        description="Executions older than this many days (30, 90 or 365) are deleted every day with "
        "their steps, logs and events; null or absent: kept forever. A new or shorter setting first "
        "deletes a week after it is saved, and the owners are told at once.",
    )
    allow_private_network: Any = Field(
        default=None,
        description="Not an org setting: private destinations are allowed by the operator "
        "(AGENTFLOW_EGRESS_ALLOWLIST). Sending it is refused.",
        json_schema_extra={"deprecated": True},
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None and value not in zoneinfo.available_timezones():
            raise ValueError(f"{value!r} is not an IANA time zone")
        return value

    @field_validator("ip_allowlist")
    @classmethod
    def _valid_networks(cls, value: list[str] | None) -> list[str] | None:
        return normalise(value) if value is not None else None

    @field_validator("allow_private_network")
    @classmethod
    def _operator_only(cls, value: Any) -> Any:
        raise ValueError(
            "private network access is not an organization setting; the operator allows private "
            "destinations with AGENTFLOW_EGRESS_ALLOWLIST"
        )


class OrgUpdate(InputSchema):
    model_config = examples({"name": "Acme Robotics", "settings": {"timezone": "Europe/Berlin"}})

    name: str | None = Field(default=None, min_length=1, max_length=200)
    settings: OrgSettingsUpdate | None = Field(
        default=None, description="Merged into the org's settings; a key set to null is removed."
    )
    data_region: DataRegion | None = Field(
        default=None,
        description="Fixed when the organization is created: sending its current region is accepted, "
        "another one is refused (409 `data_region_fixed`).",
    )
