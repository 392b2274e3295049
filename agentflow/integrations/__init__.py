"""Integrations: providers (`IntegrationTool`s and their actions), the org's connections, OAuth, and the
runner that executes an action with a connection's credentials (see AGENTS.md)."""
