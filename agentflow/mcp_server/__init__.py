"""AgentFlow as an MCP server: which agents are tools, and running one for a tool call (no transport here)."""
