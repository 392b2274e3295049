"""Who may decide an approval: the one rule the API checks at approve time and notifications resolve from.

An approval's `approvers` are user ids and `role:<role>` entries (that role or any higher one); none at all
means any editor or higher.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from agentflow.rbac import ROLE_RANK, Role


@dataclass(frozen=True)
class Approvers:
    user_ids: frozenset[uuid.UUID]
    roles: frozenset[Role]  # every role that may decide (a named role and those above it)


def _at_least(role: Role) -> frozenset[Role]:
    return frozenset(r for r in Role if ROLE_RANK[r] >= ROLE_RANK[role])


def parse_approvers(approvers: Sequence[str]) -> Approvers:
    """The users and roles an approval's `approvers` list names (unknown entries name nobody)."""
    if not approvers:
        return Approvers(user_ids=frozenset(), roles=_at_least(Role.editor))
    users: set[uuid.UUID] = set()
    roles: set[Role] = set()
    for approver in approvers:
        if approver.startswith("role:"):
            wanted = approver.removeprefix("role:")
            if wanted in Role.__members__:
                roles |= _at_least(Role(wanted))
        else:
            try:
                users.add(uuid.UUID(approver))
            except ValueError:
                continue
    return Approvers(user_ids=frozenset(users), roles=frozenset(roles))


def may_decide(role: Role | None, user_id: uuid.UUID, approvers: Sequence[str]) -> bool:
    """Whether a caller acting with `role` (None: a key with no role) may decide."""
    allowed = parse_approvers(approvers)
    return user_id in allowed.user_ids or (role is not None and role in allowed.roles)
