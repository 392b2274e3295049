"""The one egress guard: every outbound call of the platform (HTTP and webhook nodes, LLM providers, later
integrations and URL ingestion) connects through it, so no tenant can reach the private network or the
stack's own services. See docs/security.md."""

from agentflow.egress.policy import EgressPolicy, EgressRefused
from agentflow.egress.transport import guarded_client, guarded_sdk_client

__all__ = ["EgressPolicy", "EgressRefused", "guarded_client", "guarded_sdk_client"]
