"""Connections whose actions come from their own configuration: custom HTTP APIs (hand-made actions or an
imported OpenAPI 3 document) and MCP servers (their tools). The providers live in `providers/custom_api.py`
and `providers/mcp.py`; this package holds what they share and what would make those modules too long."""
