"""Prefect flow entrypoints: thin wrappers that call agentflow/."""
