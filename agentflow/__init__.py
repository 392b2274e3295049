"""AgentFlow: AI agent workflows on Prefect 3 — the domain core (no HTTP here)."""

__version__ = "0.1.0"
