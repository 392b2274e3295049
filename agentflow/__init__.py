"""AgentFlow: AI agent workflows on Prefect 3 — the domain core (no HTTP here)."""
