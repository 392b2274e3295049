"""What the edge knows about one mutating request, for the entry written when its transaction commits.

The API's audit middleware opens a context per POST/PUT/PATCH/DELETE; authentication fills in the actor;
the session's flush listener (capture.py) collects the changed rows into it. Outside a request (the engine,
flows, the CLI) there is no context and nothing is collected.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from agentflow.models import ActorType


@dataclass(frozen=True)
class Described:
    """The route's side of an entry, resolved after routing: its action and the resource it names."""

    action: str
    resource_type: str | None
    # Path parameters, in order (the most specific last): the resource's id is taken from them first.
    path_params: dict[str, str]
    id_param: str | None = None
    ip: str | None = None


@dataclass(frozen=True)
class Actor:
    type: ActorType
    id: uuid.UUID | None
    user_id: uuid.UUID | None  # whose email the entry shows: the user, or the key's creator


@dataclass
class Change:
    """One row the request created, updated or deleted; `fields` holds only what may be shown."""

    type: str
    id: str
    op: str  # created | updated | deleted
    org_id: uuid.UUID | None
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(eq=False)
class AuditContext:
    # None: the route is exempt (listed with its reason in api/audit_actions.py).
    describe: Callable[[], Described | None]
    user_agent: str | None = None
    org_id: uuid.UUID | None = None
    actor: Actor | None = None
    changes: dict[tuple[str, str], Change] = field(default_factory=dict)
    dropped_changes: int = 0
    # Set by a caller whose change the flush does not show (a Core insert): the resource, and what to add.
    resource_id: str | None = None
    notes: dict[str, str] = field(default_factory=dict)
    paused: bool = False
    written: bool = False


audit_context: ContextVar[AuditContext | None] = ContextVar("agentflow_audit", default=None)


def note_caller(*, org_id: uuid.UUID, method: str, user_id: uuid.UUID, api_key_id: uuid.UUID | None) -> None:
    """Authentication calls this: the entry belongs to the caller's org and names the caller."""
    context = audit_context.get()
    if context is None:
        return
    context.org_id = org_id
    if method == "api_key":
        context.actor = Actor(type=ActorType.api_key, id=api_key_id, user_id=user_id)
    else:
        context.actor = Actor(type=ActorType.user, id=user_id, user_id=user_id)


def note_resource(resource_id: str, **notes: str) -> None:
    """Name the entry's resource (and add details) where the rows changed do not show it."""
    context = audit_context.get()
    if context is not None:
        context.resource_id = resource_id
        context.notes.update(notes)


@contextmanager
def paused() -> Iterator[None]:
    """Flushes inside are not the request's changes (a test harness committing its own setup)."""
    context = audit_context.get()
    if context is None:
        yield
        return
    before, context.paused = context.paused, True
    try:
        yield
    finally:
        context.paused = before
