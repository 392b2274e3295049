"""The `agentflow` command line (Typer + Rich)."""
