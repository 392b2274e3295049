"""Which action each mutating route records in the audit log, in one place.

Every POST/PUT/PATCH/DELETE route is either in `ACTIONS` or in `NOT_AUDITED` with its reason;
tests/api/test_audit_log.py fails for a route in neither. A route added without an entry is still audited,
under a name derived from its path and method (`POST /things` → `thing.created`), until it gets its own.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from agentflow.audit.context import Described
from agentflow.audit.redact import is_secret_name

MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Audited:
    action: str
    # The resource the entry names; by default the action's first word (`agent.published` → `agent`).
    resource: str | None = None
    # The path parameter holding its id; "" when the request creates it (its new row's id is taken).
    id_param: str | None = None

    @property
    def resource_type(self) -> str:
        return self.resource or self.action.split(".", 1)[0]


# Where a resource's id sits in paths, when the entry does not say.
_ID_PARAMS = {
    "agent": "agent_id",
    "team": "team_id",
    "api_key": "key_id",
    "member": "user_id",
    "invitation": "invitation_id",
    "secret": "name",
    "provider": "provider",
    "knowledge_base": "kb_id",
    "document": "doc_id",
    "integration": "connection_id",
    "execution": "execution_id",
    "notification": "notification_id",
    "role": "role_id",
    "webhook_endpoint": "endpoint_id",
    "export": "export_id",
}

ACTIONS: dict[tuple[str, str], Audited] = {
    ("POST", "/auth/signup"): Audited("org.created"),
    ("PUT", "/org"): Audited("org.updated"),
    ("POST", "/org/members/invite"): Audited("member.invited", resource="invitation"),
    ("DELETE", "/org/invitations/{invitation_id}"): Audited("invitation.revoked"),
    ("PUT", "/org/members/{user_id}/role"): Audited("role.changed", resource="member"),
    ("DELETE", "/org/members/{user_id}"): Audited("member.removed"),
    ("POST", "/invitations/{token}/accept"): Audited("member.joined", resource="invitation"),
    ("POST", "/org/api-keys"): Audited("api_key.created"),
    ("DELETE", "/org/api-keys/{key_id}"): Audited("api_key.revoked"),
    ("POST", "/org/secrets"): Audited("secret.created"),
    ("PUT", "/org/secrets/{name}"): Audited("secret.updated"),
    ("DELETE", "/org/secrets/{name}"): Audited("secret.deleted"),
    ("POST", "/org/providers"): Audited("provider.updated"),
    ("DELETE", "/org/providers/{provider}"): Audited("provider.deleted"),
    ("POST", "/teams"): Audited("team.created"),
    ("PUT", "/teams/{team_id}"): Audited("team.updated"),
    ("DELETE", "/teams/{team_id}"): Audited("team.deleted"),
    ("POST", "/teams/{team_id}/members"): Audited("team.member_added"),
    ("DELETE", "/teams/{team_id}/members/{user_id}"): Audited("team.member_removed"),
    ("POST", "/knowledge-bases"): Audited("knowledge_base.created"),
    ("PUT", "/knowledge-bases/{kb_id}"): Audited("knowledge_base.updated"),
    ("DELETE", "/knowledge-bases/{kb_id}"): Audited("knowledge_base.deleted"),
    ("POST", "/knowledge-bases/{kb_id}/documents"): Audited("document.uploaded", id_param=""),
    ("POST", "/knowledge-bases/{kb_id}/documents/url"): Audited("document.added", id_param=""),
    ("DELETE", "/knowledge-bases/{kb_id}/documents/{doc_id}"): Audited("document.deleted"),
    ("POST", "/knowledge-bases/{kb_id}/documents/{doc_id}/reindex"): Audited("document.reindexed"),
    ("POST", "/integrations/{integration}/connect"): Audited("integration.connected", id_param=""),
    ("POST", "/integrations/{connection_id}/test"): Audited("integration.tested"),
    ("PATCH", "/integrations/{connection_id}"): Audited("integration.renamed"),
    ("DELETE", "/integrations/{connection_id}"): Audited("integration.disconnected"),
    ("POST", "/agents"): Audited("agent.created"),
    ("POST", "/agents/import"): Audited("agent.imported", resource="agent"),
    ("PUT", "/agents/{agent_id}"): Audited("agent.updated"),
    ("DELETE", "/agents/{agent_id}"): Audited("agent.archived"),
    ("PUT", "/agents/{agent_id}/status"): Audited("agent.status_changed"),
    ("POST", "/agents/{agent_id}/webhook/rotate"): Audited("agent.webhook_rotated"),
    ("POST", "/agents/{agent_id}/publish"): Audited("agent.published"),
    ("POST", "/agents/{agent_id}/versions/{number}/rollback"): Audited("agent.rolled_back"),
    ("POST", "/agents/{agent_id}/duplicate"): Audited("agent.duplicated", id_param=""),
    ("POST", "/agents/{agent_id}/execute"): Audited("agent.executed"),
    ("POST", "/agents/{agent_id}/test"): Audited("agent.tested"),
    ("PUT", "/agents/{agent_id}/access"): Audited("agent.access_changed"),
    ("POST", "/mcp"): Audited("agent.executed"),  # an MCP tool call (api/mcp.py writes it)
    ("POST", "/executions/{execution_id}/cancel"): Audited("execution.cancelled"),
    ("POST", "/executions/{execution_id}/approve"): Audited("execution.approved"),
    ("POST", "/executions/{execution_id}/retry"): Audited("execution.retried"),
    ("POST", "/notifications/read-all"): Audited("notification.read_all"),
    ("PUT", "/notifications/preferences"): Audited("notification.preferences_updated"),
    ("POST", "/notifications/{notification_id}/read"): Audited("notification.read"),
    ("POST", "/billing/subscribe"): Audited("billing.checkout_started", resource="billing"),
    ("POST", "/billing/portal"): Audited("billing.portal_opened", resource="billing"),
    ("POST", "/billing/webhook"): Audited("billing.updated"),  # Stripe's events: actor `system`
    ("POST", "/org/roles"): Audited("role.created", id_param=""),
    ("PUT", "/org/roles/{role_id}"): Audited("role.updated"),
    ("DELETE", "/org/roles/{role_id}"): Audited("role.deleted"),
    ("POST", "/org/webhooks"): Audited("webhook_endpoint.created", id_param=""),
    ("PUT", "/org/webhooks/{endpoint_id}"): Audited("webhook_endpoint.updated"),
    ("DELETE", "/org/webhooks/{endpoint_id}"): Audited("webhook_endpoint.deleted"),
    ("POST", "/org/webhooks/{endpoint_id}/test"): Audited("webhook_endpoint.tested"),
    ("POST", "/org/webhooks/{endpoint_id}/rotate-secret"): Audited("webhook_endpoint.secret_rotated"),
    ("POST", "/org/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver"): Audited(
        "webhook_endpoint.redelivered"
    ),
    ("POST", "/exports"): Audited("export.requested", id_param=""),
    ("POST", "/exports/{export_id}/link"): Audited("export.link_created"),
    ("PUT", "/org/sso"): Audited("sso.updated", resource="sso"),  # details say when `enforce` changed
    ("DELETE", "/org/sso"): Audited("sso.disconnected", resource="sso"),
    ("POST", "/auth/sso/webhook"): Audited("directory.synced", resource="directory"),  # actor `system`
}

# Mutating methods that change nothing an org audits, with the reason.
NOT_AUDITED: dict[tuple[str, str], str] = {
    ("POST", "/auth/login"): "signs in: issues a session, changes no org data",
    ("POST", "/auth/refresh"): "rotates the caller's own session token",
    ("POST", "/auth/logout"): "ends the caller's own session",
    ("POST", "/auth/switch-org"): "issues a token for another of the caller's orgs",
    ("POST", "/org/providers/{provider}/test"): "a check: one call to the provider, nothing stored",
    ("POST", "/knowledge-bases/{kb_id}/query"): "a search (viewer+), nothing stored",
    # A third party's delivery, on the fast path (no ORM session): the run it starts is recorded as an
    # execution with `triggered_by: webhook`, and the agent's webhook settings changes are audited.
    ("POST", "/hooks/{token}"): "a webhook delivery: recorded as the execution it starts",
}


def derived(method: str, path: str) -> Audited:
    """The fallback name: `POST /things/{id}/verb` → `thing.verb`; otherwise the last literal segment,
    singular, and what the method did to it (`DELETE /things/{id}` → `thing.deleted`)."""
    segments = [s for s in path.strip("/").split("/") if s]
    literals = [s for s in segments if not s.startswith("{")] or ["api"]
    if method == "POST" and len(segments) >= 3 and segments[-2].startswith("{") and segments[-1] in literals:
        return Audited(f"{_singular(segments[-3])}.{segments[-1].replace('-', '_')}")
    verb = {"POST": "created", "PUT": "updated", "PATCH": "updated", "DELETE": "deleted"}[method]
    return Audited(f"{_singular(literals[-1])}.{verb}")


def _singular(segment: str) -> str:
    return segment.replace("-", "_").removesuffix("s")


def action_for(method: str, path: str) -> Audited | None:
    """The route's entry; None for a route in `NOT_AUDITED`."""
    if (method, path) in NOT_AUDITED:
        return None
    return ACTIONS.get((method, path)) or derived(method, path)


def describe(scope: MutableMapping[str, Any], api_prefix: str, ip: str | None) -> Described | None:
    """Read after routing: the matched route's template and path parameters (secret-ish ones, such as a
    webhook's token, left out)."""
    template = getattr(scope.get("route"), "path", None)
    if not isinstance(template, str):
        # A plain Starlette route (the MCP endpoint) leaves no template in the scope: its path is the key,
        # and only a path listed as is counts (never a guessed name for an unmatched one).
        path = str(scope.get("path", "")).removeprefix(api_prefix)
        if (scope["method"], path) not in ACTIONS:
            return None
        template = api_prefix + path
    audited = action_for(scope["method"], template.removeprefix(api_prefix))
    if audited is None:
        return None
    params = {
        name: str(value)[:200]
        for name, value in (scope.get("path_params") or {}).items()
        if not is_secret_name(name)
    }
    id_param = audited.id_param if audited.id_param is not None else _ID_PARAMS.get(audited.resource_type)
    return Described(
        action=audited.action,
        resource_type=audited.resource_type,
        path_params=params,
        id_param=id_param or None,
        ip=ip,
    )
