"""Roles and the permission matrix — written down once, enforced by the API on every route."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    owner = "owner"
    admin = "admin"
    editor = "editor"
    viewer = "viewer"


ROLE_RANK = {Role.viewer: 0, Role.editor: 1, Role.admin: 2, Role.owner: 3}


class Permission(StrEnum):
    org_read = "org:read"
    org_update = "org:update"
    members_read = "members:read"
    members_invite = "members:invite"
    members_manage = "members:manage"
    teams_read = "teams:read"
    teams_write = "teams:write"
    api_keys_read = "api_keys:read"
    api_keys_write = "api_keys:write"
    secrets_read = "secrets:read"
    secrets_write = "secrets:write"
    agents_read = "agents:read"
    agents_write = "agents:write"
    agents_publish = "agents:publish"
    agents_archive = "agents:archive"
    agents_execute = "agents:execute"
    executions_read = "executions:read"
    executions_manage = "executions:manage"
    # Deciding approvals: every role has it (the approval node's `approvers` say who may decide); an API key
    # decides only when it was given this scope.
    executions_approve = "executions:approve"
    knowledge_read = "knowledge:read"
    knowledge_write = "knowledge:write"
    integrations_read = "integrations:read"
    integrations_use = "integrations:use"
    integrations_connect = "integrations:connect"
    analytics_read = "analytics:read"
    billing_read = "billing:read"
    billing_manage = "billing:manage"
    # A member's own notifications and email choices (every role; a key reads its creator's).
    notifications_read = "notifications:read"
    # The org's audit log (owner and admin).
    audit_read = "audit:read"


_VIEWER = {
    Permission.org_read,
    Permission.members_read,
    Permission.teams_read,
    Permission.agents_read,
    Permission.executions_read,
    Permission.executions_approve,
    Permission.knowledge_read,
    Permission.integrations_read,
    Permission.analytics_read,
    Permission.billing_read,
    Permission.notifications_read,
}
_EDITOR = _VIEWER | {
    Permission.agents_write,
    Permission.agents_publish,
    Permission.agents_execute,
    Permission.executions_manage,
    Permission.secrets_read,
    Permission.knowledge_write,
    Permission.integrations_use,
}
_ADMIN = _EDITOR | {
    Permission.org_update,
    Permission.members_invite,
    Permission.members_manage,
    Permission.teams_write,
    Permission.api_keys_read,
    Permission.api_keys_write,
    Permission.secrets_write,
    Permission.agents_archive,
    Permission.integrations_connect,
    Permission.billing_manage,
    Permission.audit_read,
}
_OWNER = _ADMIN

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.viewer: frozenset(_VIEWER),
    Role.editor: frozenset(_EDITOR),
    Role.admin: frozenset(_ADMIN),
    Role.owner: frozenset(_OWNER),
}


def can_assign(actor: Role, target: Role) -> bool:
    """Only owners hand out or take away the owner role; admins manage everyone below owner."""
    if target is Role.owner:
        return actor is Role.owner
    return ROLE_RANK[actor] >= ROLE_RANK[Role.admin]


def permission_matrix_markdown() -> str:
    """The matrix as a Markdown table (docs/api.md embeds it; a test keeps the two equal)."""
    roles = list(Role)
    lines = ["| permission | " + " | ".join(r.value for r in roles) + " |", "|---|" + "---|" * len(roles)]
    for permission in Permission:
        marks = " | ".join("✓" if permission in ROLE_PERMISSIONS[r] else "" for r in roles)
        lines.append(f"| `{permission.value}` | {marks} |")
    return "\n".join(lines)
