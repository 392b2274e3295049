"""What an operator reads in Prefect's UI: flow-run names, the tags to filter by, deployment descriptions.

A deployment's *name* stays the agent's id (`run-agent/<agent id>`): Prefect cannot rename a deployment, it
refuses `/` in names, and publishing finds the deployment to update by that name. The names people read
(the agent's, the org's slug) go where Prefect shows them and where they may change: the description
(rewritten on every publish), the tags, and each flow run's name (set when the run is created).
"""

from __future__ import annotations

import re
import uuid

SEPARATOR = " · "
_NAME_LIMIT = 60
_SPACES = re.compile(r"\s+")
# Prefect renders a deployment's description as Markdown: a tenant's agent name must stay text (no links,
# no images an operator's browser would fetch).
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def org_tags(org_id: uuid.UUID, agent_id: uuid.UUID, org_slug: str | None = None) -> list[str]:
    """`org:<id>` and `agent:<id>` (what scripts and concurrency limits use), and `org:<slug>` (what an
    operator types in the UI's tag filter; slugs never change)."""
    tags = [f"org:{org_id}", f"agent:{agent_id}"]
    if org_slug:
        tags.append(f"org:{org_slug}")
    return tags


def deployment_tags(org_id: uuid.UUID, agent_id: uuid.UUID, org_slug: str, agent_name: str) -> list[str]:
    """The run tags, and `name:<agent name>`: Prefect's deployment list shows a deployment's name (the id)
    and its tags, so the agent's name is a tag there (rewritten on every publish)."""
    return [*org_tags(org_id, agent_id, org_slug), f"name:{short_name(agent_name)}"]


def short_name(name: str) -> str:
    """An agent's name on one line, cut to what a list column shows."""
    flat = _SPACES.sub(" ", name).strip() or "unnamed agent"
    return flat if len(flat) <= _NAME_LIMIT else flat[: _NAME_LIMIT - 1] + "…"


def run_name(agent_name: str, trigger: str, execution_id: uuid.UUID) -> str:
    """`support-triage · webhook · 3f2a9c1e`: which agent, what started it, and the execution id's start
    (the whole id is the run's `execution_id` parameter)."""
    return SEPARATOR.join([short_name(agent_name), trigger, str(execution_id)[:8]])


def deployment_description(
    *,
    agent_name: str,
    org_slug: str,
    agent_id: uuid.UUID,
    org_id: uuid.UUID,
    version_number: int,
    trigger_kind: str,
) -> str:
    name = _MARKDOWN.sub(r"\\\1", short_name(agent_name))
    return (
        f"**{name}**{SEPARATOR}org `{org_slug}`{SEPARATOR}version {version_number}{SEPARATOR}"
        f"{trigger_kind} trigger\n\n"
        f"AgentFlow agent `{agent_id}` of org `{org_id}`. Managed by AgentFlow: every publish rewrites "
        "this deployment, and pausing the agent in AgentFlow pauses its schedule."
    )
