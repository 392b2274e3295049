"""Prefect Block types: connection config and references to Vault paths, never secrets themselves."""
