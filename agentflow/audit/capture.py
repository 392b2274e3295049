"""Collects what a request's flushes changed, and writes its one audit entry just before it commits.

`install()` hooks every ORM session once per process; the hook does nothing without a request's audit
context (context.py), so the engine's and flows' sessions pay one context-variable read per flush.
Statements that bypass the ORM unit of work (bulk `update(...)`) are not in the diff; the entry still names
the action and resource.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import Table, event, insert, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, UOWTransaction

from agentflow.audit.context import AuditContext, Change, Described, audit_context
from agentflow.audit.redact import safe_value, shown
from agentflow.logs import request_id_var
from agentflow.models import ActorType, AuditLog, User

# Bookkeeping rows, not changes an org would audit (and sessions, throttles, OAuth states hold secrets).
IGNORED_TABLES = frozenset(
    {
        "audit_logs",
        "rate_limit_counters",
        "login_throttles",
        "refresh_tokens",
        "integration_oauth_states",
        "execution_events",
        "execution_logs",
        "knowledge_chunks",
        "usage_daily",
        "usage_rollup_days",
        "stripe_events",
    }
)
AUDIT_LOGS: Table = AuditLog.__table__  # type: ignore[assignment]
MAX_CHANGES = 25  # rows listed per entry; the rest are counted
MAX_FIELDS = 40

_installed = False


def install() -> None:
    """Listen on every ORM session of this process (idempotent)."""
    global _installed
    if not _installed:
        event.listen(Session, "after_flush", _collect)
        _installed = True


def _type_name(obj: Any) -> str:
    """`APIKey` → `api_key`, `KnowledgeBase` → `knowledge_base`."""
    name = type(obj).__name__
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def _collect(session: Session, flush_context: UOWTransaction) -> None:
    context = audit_context.get()
    if context is None or context.paused or context.written:
        return
    # After the flush, before its bookkeeping: new/dirty/deleted and attribute histories are still there.
    for op, objects in (("created", session.new), ("updated", session.dirty), ("deleted", session.deleted)):
        for obj in objects:
            if getattr(obj, "__tablename__", None) in IGNORED_TABLES:
                continue
            if op == "updated" and not session.is_modified(obj, include_collections=False):
                continue
            _record(context, op, obj)


def _record(context: AuditContext, op: str, obj: Any) -> None:
    state = inspect(obj)
    # A row inserted by this flush has no identity key yet (it is assigned after the flush): read its
    # primary key from the instance.
    identity = state.mapper.primary_key_from_instance(obj)
    key = (_type_name(obj), ",".join(str(part) for part in identity))
    change = context.changes.get(key)
    if change is None:
        if len(context.changes) >= MAX_CHANGES:
            context.dropped_changes += 1
            return
        org_id = getattr(obj, "org_id", None)
        if key[0] == "organization":
            org_id = getattr(obj, "id", None)
        change = Change(type=key[0], id=key[1], op=op, org_id=org_id)
        context.changes[key] = change
    elif op == "deleted":
        change.op = "deleted" if change.op != "created" else "created+deleted"
    fields = change.fields
    for attr in state.mapper.column_attrs:
        name = attr.key
        if not shown(name) or (len(fields) >= MAX_FIELDS and name not in fields):
            continue
        if op == "created":
            fields[name] = safe_value(getattr(obj, name, None))
        elif op == "updated":
            history = state.attrs[name].history
            if not history.added and not history.deleted:
                continue
            new = safe_value(history.added[0]) if history.added else None
            if change.op == "created":
                fields[name] = new  # created and changed in one request: its final value
            else:  # changed twice in one request: from the first old value to the last new one
                earlier = fields.get(name)
                if isinstance(earlier, dict) and "old" in earlier:
                    old = earlier["old"]
                else:
                    old = safe_value(history.deleted[0]) if history.deleted else None
                fields[name] = {"old": old, "new": new}


# Resource types whose rows are of a model named otherwise.
RESOURCE_MODELS = {
    "member": "org_membership",
    "secret": "org_secret",
    "integration": "integration_connection",
    "document": "knowledge_document",
    "org": "organization",
}


def _resource_id(described: Described, context: AuditContext) -> str | None:
    """The path's id of the resource; else the row of its type the request created (a POST to a
    collection), or changed; else a row that points at it (an execution's `agent_id`); else the path's
    most specific id."""
    params, kind = described.path_params, described.resource_type
    if described.id_param and described.id_param in params:
        return params[described.id_param]
    model = RESOURCE_MODELS.get(kind or "", kind)
    changes = list(context.changes.values())
    for wanted in ("created", ""):
        for change in changes:
            if change.type == model and change.op.startswith(wanted):
                return change.id
    for change in changes:
        pointer = change.fields.get(f"{kind}_id")
        if change.op.startswith("created") and isinstance(pointer, str):
            return pointer
    return list(params.values())[-1] if params else None


def _org_of(context: AuditContext) -> uuid.UUID | None:
    """The caller's org; for a request without a caller (a webhook trigger, an invitation being accepted),
    the one org whose rows it changed."""
    if context.org_id is not None:
        return context.org_id
    orgs = {c.org_id for c in context.changes.values() if c.org_id is not None}
    return orgs.pop() if len(orgs) == 1 else None


async def write_entry(session: AsyncSession) -> None:
    """The request's entry, in the transaction about to commit (so a rolled-back request leaves none)."""
    context = audit_context.get()
    if context is None or context.written or context.paused:
        return
    described = context.describe()
    if described is None:
        return
    await session.flush()  # pending changes reach the collector first
    org_id = _org_of(context)
    if org_id is None:
        return  # nothing tenant-owned happened: no org to file it under
    resource_id = context.resource_id or _resource_id(described, context)
    actor = context.actor
    details: dict[str, Any] = {
        "changes": [
            {"type": c.type, "id": c.id, "op": c.op, "fields": c.fields} for c in context.changes.values()
        ]
    }
    if context.dropped_changes:
        details["more_changes"] = context.dropped_changes
    if described.path_params:
        details["path"] = described.path_params
    details.update(context.notes)
    email = (
        select(User.email).where(User.id == actor.user_id).scalar_subquery()
        if actor is not None and actor.user_id is not None
        else None
    )
    # A Core insert of the table (not the ORM-enabled one): one statement, no unit-of-work bookkeeping.
    await session.execute(
        insert(AUDIT_LOGS).values(
            id=uuid.uuid4(),
            org_id=org_id,
            actor_type=(actor.type if actor else ActorType.system).value,
            actor_id=actor.id if actor else None,
            actor_email=email,
            action=described.action,
            resource_type=described.resource_type,
            resource_id=resource_id[:200] if resource_id else None,
            ip=described.ip[:64] if described.ip else None,
            user_agent=context.user_agent,
            request_id=(request_id_var.get() or "")[:128] or None,
            details=details,
        )
    )
    context.written = True
