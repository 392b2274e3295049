"""The trigger node: how an execution starts (manual, webhook, schedule, API, integration event)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from agentflow.gate.network import MAX_ALLOWLIST_ENTRIES, normalise
from agentflow.nodes.base import NOT_TEMPLATED, NodeBase, StrictModel

TriggerKind = Literal["manual", "webhook", "schedule", "api", "integration"]


class TriggerConfig(StrictModel):
    """How the agent is started and what input it receives."""

    kind: TriggerKind = Field(
        default="manual",
        description=(
            "What starts a run: `manual` (Run button), `webhook` (POST to the agent's webhook URL), "
            "`schedule` (cron), `api` (POST /agents/{id}/execute), `integration` (an event from a connected "
            "app)."
        ),
    )
    cron: str | None = Field(
        default=None,
        description="Five-field cron expression for `schedule` triggers, e.g. `0 9 * * 1-5`.",
        examples=["0 9 * * 1-5"],
    )
    timezone: str = Field(
        default="UTC",
        description="IANA time zone the cron expression is read in, e.g. `Europe/Paris`.",
        examples=["Europe/Paris"],
    )
    integration: str | None = Field(
        default=None,
        description=(
            "For `integration` triggers: whose events start a run — `slack` (an app's Event Subscriptions) "
            "or `github` (a repository or organization webhook), sent to the agent's webhook URL."
        ),
        examples=["slack", "github"],
    )
    event: str | None = Field(
        default=None,
        description=(
            "For `integration` triggers: which events start a run; every event if unset. Slack: the inner "
            "event type (`message`, `app_mention`). GitHub: the `X-GitHub-Event` name, alone or with the "
            "payload's `action` (`issues` or `issues.opened`)."
        ),
        examples=["app_mention", "issues.opened"],
    )
    signing_secret: str | None = Field(
        default=None,
        description=(
            "For `webhook` triggers: name of the org secret that signs requests. Callers sign with Standard "
            "Webhooks headers, `X-AgentFlow-Signature: t=<unix>,v1=<hex HMAC-SHA256 of {t}.{body}>`, or "
            "`X-AgentFlow-Signature: sha256=<hex HMAC-SHA256 of the raw body>`; unsigned, wrongly signed or "
            "stale requests get 401, replayed ones 409. Unsigned webhooks are accepted when unset. "
            "Required for `integration` triggers: the Slack app's signing secret, or the GitHub webhook's "
            "secret; requests without a valid signature get 401."
        ),
    )
    allowed_ips: list[Annotated[str, Field(max_length=64)]] | None = Field(
        default=None,
        max_length=MAX_ALLOWLIST_ENTRIES,
        description=(
            "For `webhook` and `integration` triggers: the addresses and CIDR ranges (IPv4 and IPv6) "
            "deliveries may come from, e.g. the ranges Slack or GitHub publish; others get 403 "
            "`ip_not_allowed`. From anywhere when unset."
        ),
        examples=[["192.30.252.0/22", "2a0a:a440::/29"]],
        json_schema_extra=NOT_TEMPLATED,
    )
    input_schema: dict[str, Any] | None = Field(
        default=None,
        description=(
            "JSON Schema of the run input (manual/api), or of the webhook or event body "
            "(webhook/integration); a run is refused if the input does not match, and the builder offers its "
            "properties as variables."
        ),
        json_schema_extra=NOT_TEMPLATED,
    )

    @field_validator("allowed_ips")
    @classmethod
    def _valid_networks(cls, value: list[str] | None) -> list[str] | None:
        return normalise(value) if value is not None else None


class TriggerNode(NodeBase):
    """Starts the agent; exactly one per definition. Its output is the run's input."""

    type: Literal["trigger"] = Field(description="Node type.")
    config: TriggerConfig = Field(default_factory=TriggerConfig, description="Trigger settings.")
