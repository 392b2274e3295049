"""docs/api.md shows exactly the permission matrix the code enforces."""

import itertools
from pathlib import Path

from agentflow.rbac import ROLE_PERMISSIONS, Permission, Role, can_assign, permission_matrix_markdown

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


def test_only_owners_assign_owner() -> None:
    assert can_assign(Role.owner, Role.owner)
    assert not can_assign(Role.admin, Role.owner)
    assert can_assign(Role.admin, Role.editor)
    assert not can_assign(Role.editor, Role.viewer)
