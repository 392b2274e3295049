"""Roles and the permission matrix — written down once, enforced by the API on every route.

The four built-in roles are fixed here. An organization may also define custom roles (agentflow/roles): a
named set of these permissions. A custom role never ranks as owner; who may hand one out is decided by
permissions (`assignment_refusal`), not by a rank.
"""

from __future__ import annotations

from collections.abc import Iterable
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
    roles_manage = "roles:manage"
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
    # Reach every agent of the org, restricted ones included (agentflow/agents/access.py): owner and admin.
    agents_access_all = "agents:access_all"
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
    # Outbound webhook endpoints (their URLs and delivery logs say where org events go): owner and admin.
    webhooks_read = "webhooks:read"
    webhooks_manage = "webhooks:manage"
    # Files of the org's executions (or audit log) over a date range: owners and admins.
    exports_create = "exports:create"
    # SSO settings decide who may still sign in with a password (owners only: they keep the break-glass path).
    sso_manage = "sso:manage"
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
    Permission.roles_manage,
    Permission.teams_write,
    Permission.api_keys_read,
    Permission.api_keys_write,
    Permission.secrets_write,
    Permission.agents_archive,
    Permission.agents_access_all,
    Permission.integrations_connect,
    Permission.billing_manage,
    Permission.webhooks_read,
    Permission.webhooks_manage,
    Permission.exports_create,
    Permission.audit_read,
}
_OWNER = _ADMIN | {Permission.sso_manage}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.viewer: frozenset(_VIEWER),
    Role.editor: frozenset(_EDITOR),
    Role.admin: frozenset(_ADMIN),
    Role.owner: frozenset(_OWNER),
}


BUILTIN_ROLE_NAMES = frozenset(role.value for role in Role)
_PERMISSION_VALUES = frozenset(permission.value for permission in Permission)


def builtin_role(name: str) -> Role | None:
    """The built-in role spelled exactly `name` (as stored), or None for a custom role's name."""
    return Role(name) if name in BUILTIN_ROLE_NAMES else None


def known_permissions(values: Iterable[str]) -> frozenset[Permission]:
    """The permissions among stored values; one since removed from the code grants nothing."""
    return frozenset(Permission(value) for value in values if value in _PERMISSION_VALUES)


def acting_role(role: str, permissions: frozenset[Permission]) -> Role | None:
    """The built-in role a caller acts as (approvals name roles): owner for an owner holding every
    permission; otherwise the highest of admin/editor/viewer whose every permission it holds, or none.
    So a custom role, or a narrowly scoped key, never acts beyond what it holds."""
    if role == Role.owner and ROLE_PERMISSIONS[Role.owner] <= permissions:
        return Role.owner
    for candidate in (Role.admin, Role.editor, Role.viewer):
        if ROLE_PERMISSIONS[candidate] <= permissions:
            return candidate
    return None


def assignment_refusal(
    actor_role: str,
    actor_permissions: frozenset[Permission],
    target_role: str,
    target_permissions: frozenset[Permission],
) -> str | None:
    """Why the actor may not hand out (or take away) `target_role`, or None when it may.

    `owner_only`: only owners make or unmake owners. `role_escalation`: nobody hands out a role holding a
    permission they do not hold themselves (so admins manage every role below owner, and a custom role
    that may manage members only hands out roles within its own permissions).
    """
    if target_role == Role.owner and actor_role != Role.owner:
        return "owner_only"
    if not target_permissions <= actor_permissions:
        return "role_escalation"
    return None


def can_assign(
    actor_role: str,
    actor_permissions: frozenset[Permission],
    target_role: str,
    target_permissions: frozenset[Permission],
) -> bool:
    return assignment_refusal(actor_role, actor_permissions, target_role, target_permissions) is None


def permission_matrix_markdown() -> str:
    """The matrix as a Markdown table (docs/api.md embeds it; a test keeps the two equal)."""
    roles = list(Role)
    lines = ["| permission | " + " | ".join(r.value for r in roles) + " |", "|---|" + "---|" * len(roles)]
    for permission in Permission:
        marks = " | ".join("✓" if permission in ROLE_PERMISSIONS[r] else "" for r in roles)
        lines.append(f"| `{permission.value}` | {marks} |")
    return "\n".join(lines)
