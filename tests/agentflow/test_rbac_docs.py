"""docs/api.md shows exactly the permission matrix the code enforces."""

import itertools
from pathlib import Path

from agentflow.rbac import (
    ROLE_PERMISSIONS,
    Permission,
    Role,
    acting_role,
    can_assign,
    permission_matrix_markdown,
)

DOC = Path(__file__).parents[2] / "docs" / "api.md"


def test_docs_matrix_matches_code() -> None:
    text = DOC.read_text()
    start = text.index("<!-- permission-matrix:start -->") + len("<!-- permission-matrix:start -->")
    end = text.index("<!-- permission-matrix:end -->")
    assert text[start:end].strip() == permission_matrix_markdown()


def test_roles_are_nested() -> None:
    order = [Role.viewer, Role.editor, Role.admin]
    for lower, higher in itertools.pairwise(order):
        assert ROLE_PERMISSIONS[lower] < ROLE_PERMISSIONS[higher]
    # Owners hold every permission admins hold (billing included); what only an owner may do is make
    # owners (test below) and stay un-demotable, which the members service enforces.
    assert ROLE_PERMISSIONS[Role.admin] <= ROLE_PERMISSIONS[Role.owner]
    assert set(ROLE_PERMISSIONS[Role.owner]) == set(Permission)


def _can(actor: str, target: str, actor_permissions: frozenset[Permission] | None = None) -> bool:
    held = ROLE_PERMISSIONS[Role(actor)] if actor_permissions is None else actor_permissions
    return can_assign(actor, held, target, ROLE_PERMISSIONS[Role(target)])


def test_only_owners_assign_owner() -> None:
    assert _can(Role.owner, Role.owner)
    assert not _can(Role.admin, Role.owner)
    assert _can(Role.admin, Role.admin)
    assert _can(Role.admin, Role.editor)


def test_nobody_hands_out_a_role_beyond_their_own_permissions() -> None:
    """A custom role that may manage members hands out only roles within its own permissions."""
    manager = frozenset({Permission.members_manage, *ROLE_PERMISSIONS[Role.viewer]})
    assert _can("People ops", Role.viewer, manager)
    assert not _can("People ops", Role.editor, manager)
    narrow = frozenset({Permission.agents_read})
    assert can_assign("People ops", manager, "Reader", narrow)
    assert not can_assign("Reader", narrow, "People ops", manager)


def test_a_custom_role_acts_as_the_highest_built_in_role_it_contains_never_owner() -> None:
    everything = frozenset(Permission)
    assert acting_role(Role.owner, everything) is Role.owner
    assert acting_role("Almighty", everything) is Role.admin
    assert acting_role("Writer", ROLE_PERMISSIONS[Role.editor] | {Permission.teams_write}) is Role.editor
    assert acting_role("Runner", frozenset({Permission.agents_execute})) is None
