"""Tool names of agents on the MCP server: what MCP clients accept, derived from the agent's name."""

from __future__ import annotations

import re

import pytest

from agentflow.mcp_server.service import tool_slug

# The widest name every MCP client accepts (Claude Desktop's limit is 64 characters).
CLIENT_SAFE = re.compile(r"^[a-z0-9_]{1,64}$")


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Ticket Triage", "ticket_triage"),
        ("  Shout It!  ", "shout_it"),
        ("Résumé → PDF (v2)", "r_sum_pdf_v2"),
        ("🚀🚀", "agent"),
        ("x" * 200, "x" * 55),
    ],
)
def test_tool_names_are_client_safe_slugs_of_the_agent_name(name: str, slug: str) -> None:
    assert tool_slug(name) == slug
    # Room is left for the `_<8 hex>` suffix that tells two agents of the same name apart.
    assert CLIENT_SAFE.match(tool_slug(name) + "_0123abcd")
