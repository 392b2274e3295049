"""One module per provider, each exposing `TOOL` (an `IntegrationTool`)."""
