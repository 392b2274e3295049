"""Every integration, in catalog order. Adding one: its module in `providers/` exposing `TOOL`, and its name
here; the catalog, the builder, AI tools, publish checks and the runner all read from this registry."""

from __future__ import annotations

import functools
import importlib

from agentflow.integrations.base import IntegrationTool

PROVIDERS: tuple[str, ...] = (
    "slack",
    "gmail",
    "google_sheets",
    "github",
    "jira",
    "notion",
    "salesforce",
    "hubspot",
    "custom_api",
    "mcp",
)


@functools.cache
def integrations() -> dict[str, IntegrationTool]:
    """Provider name → its tool (modules imported once, on first use)."""
    tools: dict[str, IntegrationTool] = {}
    for name in PROVIDERS:
        tool = importlib.import_module(f"agentflow.integrations.providers.{name}").TOOL
        assert tool.name == name, f"providers/{name}.py exposes {tool.name!r}"
        tools[name] = tool
    return tools


def get(name: str) -> IntegrationTool | None:
    return integrations().get(name)
