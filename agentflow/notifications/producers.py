"""What each kind says, to whom, and when it goes by email (docs/api.md, Notifications).

Producers run inside the transaction of the change they report; the rows are mailed after it commits.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.billing.plans import LimitName
from agentflow.notifications.kinds import OWNERS, OWNERS_AND_ADMINS, Notice, NotificationKind, Recipients
from agentflow.notifications.service import notification_service

# The usage levels that notify, and whether each goes by email too.
USAGE_THRESHOLDS = {80: False, 100: True}
_LIMIT_WORDS = {
    LimitName.agents: "agents",
    LimitName.executions: "executions this period",
    LimitName.knowledge_bytes: "knowledge storage",
    LimitName.seats: "seats",
}


def _amount(limit: LimitName, value: int) -> str:
    if limit == LimitName.knowledge_bytes:
        return f"{value / (1024 * 1024):,.1f} MiB"
    return f"{value:,}"


def usage_threshold_notice(
    *, limit: LimitName, used: int, allowed: int, percent: int, period_start: date | datetime
) -> Notice:
    """Usage at a threshold of a plan limit: once per limit, period and threshold."""
    if percent not in USAGE_THRESHOLDS:
        raise ValueError(f"usage notifications are sent at {sorted(USAGE_THRESHOLDS)} %, not {percent} %")
    what = _LIMIT_WORDS[limit]
    reached = percent >= 100
    title = f"Plan limit reached: {what}" if reached else f"{percent} % of your plan's {what} used"
    body = f"Used {_amount(limit, used)} of {_amount(limit, allowed)} {what}." + (
        " New ones are refused until the limit resets or you upgrade." if reached else ""
    )
    day = period_start.date() if isinstance(period_start, datetime) else period_start
    return Notice(
        kind=NotificationKind.usage_threshold,
        title=title,
        body=body,
        link="/settings/billing",
        dedupe_key=f"usage:{limit.value}:{day.isoformat()}:{percent}",
        email=USAGE_THRESHOLDS[percent],
    )


async def notify_usage_threshold(
    session: AsyncSession,
    org_id: uuid.UUID,
    limit: LimitName,
    used: int,
    allowed: int,
    percent: int,
    period_start: date | datetime,
) -> list[uuid.UUID]:
    """Tell owners and admins their org reached `percent` (80 or 100) of a limit in the period starting
    `period_start`; a second call for the same limit, period and threshold notifies nobody."""
    notice = usage_threshold_notice(
        limit=limit, used=used, allowed=allowed, percent=percent, period_start=period_start
    )
    return await notification_service.notify(
        session, org_id=org_id, recipients=OWNERS_AND_ADMINS, notice=notice
    )


async def notify_payment_failed(
    session: AsyncSession, org_id: uuid.UUID, invoice_url: str | None, *, event_id: str | None = None
) -> list[uuid.UUID]:
    """Tell owners and admins a payment failed (in-app and email). `event_id` (the Stripe event's)
    makes a replayed webhook notify nobody twice; every failed attempt is news of its own."""
    body = "The last payment for your subscription failed. Update the payment method to keep your plan."
    if invoice_url:  # Stripe's hosted invoice page: owners and admins see it in billing anyway
        body += f"\n\nInvoice: {invoice_url[:500]}"
    notice = Notice(
        kind=NotificationKind.payment_failed,
        title="A payment failed",
        body=body,
        link="/settings/billing",
        dedupe_key=f"payment_failed:{event_id or uuid.uuid4()}",
        email=True,
    )
    return await notification_service.notify(
        session, org_id=org_id, recipients=OWNERS_AND_ADMINS, notice=notice
    )


def needs_reauth_notice(
    *, connection_id: uuid.UUID, provider_label: str, name: str, since: datetime
) -> Notice:
    return Notice(
        kind=NotificationKind.integration_needs_reauth,
        title=f"Reconnect {provider_label}: {name}",
        body=(
            f"{provider_label} refused the credentials of the connection {name!r}. Agents using it fail "
            "until someone reconnects it in Integrations."
        ),
        link="/integrations",
        # Once per time the connection turned needs_reauth (callers notify only on that change).
        dedupe_key=f"needs_reauth:{connection_id}:{since.isoformat()}",
        email=True,
    )


async def notify_needs_reauth(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    connection_id: uuid.UUID,
    provider_label: str,
    name: str,
    connected_by: uuid.UUID | None,
    since: datetime,
) -> list[uuid.UUID]:
    """Tell owners, admins and whoever connected it that a connection must be reconnected."""
    notice = needs_reauth_notice(
        connection_id=connection_id, provider_label=provider_label, name=name, since=since
    )
    return await notification_service.notify(
        session,
        org_id=org_id,
        recipients=OWNERS_AND_ADMINS | Recipients.users([connected_by]),
        notice=notice,
    )


async def notify_webhook_disabled(
    session: AsyncSession, *, org_id: uuid.UUID, endpoint_id: uuid.UUID, host: str, days: float
) -> list[uuid.UUID]:
    """Tell owners and admins an outbound webhook endpoint was disabled after failing for days. Only its
    host is named: a URL's path or query may hold the receiver's token."""
    notice = Notice(
        kind=NotificationKind.webhook_disabled,
        title=f"Webhook endpoint disabled: {host[:100]}",
        body=(
            f"Every delivery to the webhook endpoint at {host[:100]} has failed for more than {days:g} days, "
            "so it was disabled. Fix the receiver, enable the endpoint again in the organization settings "
            "and redeliver what it missed from its delivery log."
        ),
        link="/settings/webhooks",
        dedupe_key=f"webhook_disabled:{endpoint_id}:{uuid.uuid4()}",
        email=True,
    )
    return await notification_service.notify(
        session, org_id=org_id, recipients=OWNERS_AND_ADMINS, notice=notice
    )


def approval_notice(
    *, execution_id: uuid.UUID, attempt: int, agent_name: str, waiting: dict[str, Any]
) -> Notice:
    """An execution waits for a decision. The question itself stays out (it may quote run data): the link
    shows it behind sign-in. Once per step and attempt: resumes without a decision notify nobody again."""
    step = str(waiting.get("step_key") or waiting.get("node_id") or "")
    if waiting.get("kind") == "tool_call":
        what = f"wants to call {str(waiting.get('tool') or 'a tool')[:100]}"
    else:
        what = f"waits for a decision at step {step[:100]}"
    return Notice(
        kind=NotificationKind.approval_requested,
        title=f"Approval needed: {agent_name}",
        body=f"A run of {agent_name} {what}. Approve or reject it in AgentFlow.",
        link=f"/executions/{execution_id}",
        dedupe_key=f"approval:{execution_id}:{attempt}:{step}",
        email=True,
    )


async def notify_retention_scheduled(
    session: AsyncSession, *, org_id: uuid.UUID, days: int, purge_from: datetime
) -> list[uuid.UUID]:
    """Tell the owners (in-app and email) that a new or shorter retention first deletes executions at
    `purge_from` (a week after it was saved); once per setting saved."""
    notice = Notice(
        kind=NotificationKind.retention_scheduled,
        title=f"Executions older than {days} days will be deleted",
        body=(
            f"The organization's retention was set to {days} days. From {purge_from:%Y-%m-%d %H:%M} UTC on, "
            f"executions older than {days} days are deleted every day, with their steps, logs and events. "
            "Export what you want to keep before then, or change the setting in the organization settings."
        ),
        link="/settings/organization",
        dedupe_key=f"retention:{days}:{purge_from.isoformat()}",
        email=True,
    )
    return await notification_service.notify(session, org_id=org_id, recipients=OWNERS, notice=notice)


def export_finished_notice(
    *, export_id: uuid.UUID, kind: str, succeeded: bool, link: str | None, expires_at: datetime | None
) -> Notice:
    """The requester's export is ready (with its download link) or failed. The link carries the export's
    download token: it is the requester's own notification, and it stops working at `expires_at`."""
    what = kind.replace("_", " ")
    if succeeded and expires_at is not None:
        title = f"Your {what} export is ready"
        body = f"Download it before {expires_at:%Y-%m-%d %H:%M} UTC; the file is deleted after."
    else:
        title, body = f"Your {what} export failed", "See the export in AgentFlow for the reason."
    return Notice(
        kind=NotificationKind.export_finished,
        title=title,
        body=body,
        link=link,
        dedupe_key=f"export:{export_id}",
        email=True,
    )


async def notify_export_finished(
    session: AsyncSession, *, org_id: uuid.UUID, requested_by: uuid.UUID | None, notice: Notice
) -> list[uuid.UUID]:
    """Tell whoever asked for the export (nobody, if they left the organization)."""
    return await notification_service.notify(
        session, org_id=org_id, recipients=Recipients.users([requested_by]), notice=notice
    )
