"""The kinds of notification, whether each may go by email, what a producer hands over, and to whom."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from agentflow.nodes.approval.approvers import parse_approvers
from agentflow.rbac import ROLE_PERMISSIONS, ROLE_RANK, Role

TITLE_MAX = 200
BODY_MAX = 2000


class NotificationKind(StrEnum):
    approval_requested = "approval.requested"
    usage_threshold = "usage.threshold"
    payment_failed = "payment.failed"
    integration_needs_reauth = "integration.needs_reauth"
    webhook_disabled = "webhook.disabled"
    retention_scheduled = "retention.scheduled"
    export_finished = "export.finished"


@dataclass(frozen=True)
class Notice:
    """One event to tell people about. `email`: whether this one goes by email too (each recipient's
    preferences still decide); `dedupe_key` names the event, so telling it again notifies nobody twice."""

    kind: NotificationKind
    title: str
    body: str
    link: str | None
    dedupe_key: str
    email: bool

    def __post_init__(self) -> None:
        # Titles and bodies are built from names users chose (agents, connections): cut, never refused. A
        # title is an email's subject: one line.
        object.__setattr__(self, "title", _cut(" ".join(self.title.split()), TITLE_MAX))
        object.__setattr__(self, "body", _cut(self.body, BODY_MAX))
        object.__setattr__(self, "dedupe_key", self.dedupe_key[:200])


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Recipients:
    """Members of the organization: those named, and those holding one of the roles. Inactive accounts and
    people who are not (or no longer) members are never notified."""

    user_ids: frozenset[uuid.UUID] = frozenset()
    roles: frozenset[Role] = frozenset()

    @classmethod
    def users(cls, ids: Iterable[uuid.UUID | None]) -> Recipients:
        return cls(user_ids=frozenset(i for i in ids if i is not None))

    @classmethod
    def with_roles(cls, *roles: Role) -> Recipients:
        return cls(roles=frozenset(roles))

    @classmethod
    def approvers(cls, approvers: Sequence[str]) -> Recipients:
        """The people who may decide an approval (agentflow/nodes/approval/approvers.py)."""
        allowed = parse_approvers(approvers)
        return cls(user_ids=allowed.user_ids, roles=allowed.roles)

    def __or__(self, other: Recipients) -> Recipients:
        return Recipients(user_ids=self.user_ids | other.user_ids, roles=self.roles | other.roles)

    @property
    def custom_role_floor(self) -> list[str] | None:
        """The permissions a custom role must all hold to act as one of `roles` (rbac.acting_role): those
        of the lowest of them, the built-in roles' permissions being nested; None when only owners are
        meant (no custom role acts as owner)."""
        below_owner = [role for role in self.roles if role is not Role.owner]
        if not below_owner:
            return None
        lowest = min(below_owner, key=lambda role: ROLE_RANK[role])
        return sorted(permission.value for permission in ROLE_PERMISSIONS[lowest])


OWNERS_AND_ADMINS = Recipients.with_roles(Role.owner, Role.admin)
OWNERS = Recipients.with_roles(Role.owner)
