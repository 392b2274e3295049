"""A connection that turns needs_reauth in the worker's runner tells owners, admins and whoever connected it:
in-app, and by email right after the commit through a real SMTP server; once, however often it is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from agentflow.config import Settings
from agentflow.email.sender import SMTPSender
from agentflow.kit.fastread import PoolReader
from agentflow.models import IntegrationConnection, Notification
from agentflow.nodes.errors import PermanentStepError
from agentflow.notifications.delivery import NotificationMailer
from agentflow.rbac import Role
from tests.agentflow.integrations.test_runner import World, world  # noqa: F401  (the fixture)
from tests.factories import add_member
from tests.support.mailbox import smtp_server, text_of


async def test_a_revoked_token_in_a_run_notifies_once_and_mails(world: World, settings: Settings) -> None:  # noqa: F811
    async with world.sessions() as session, session.begin():
        admin = await add_member(session, settings, world.org_id, Role.admin)
        editor = await add_member(session, settings, world.org_id, Role.editor)
    connection_id = await world.connection(name="ops")
    async with world.sessions() as session, session.begin():
        await session.execute(
            update(IntegrationConnection)
            .where(IntegrationConnection.id == connection_id)
            .values(connected_by=editor.user_id)
        )
    reader = await PoolReader.connect(settings.database_url, max_size=2)
    with smtp_server() as mailbox:
        smtp = settings.model_copy(
            update={"smtp_host": "127.0.0.1", "smtp_port": mailbox.port, "smtp_starttls": False}
        )
        world.runner.mailer = NotificationMailer(reader, SMTPSender(smtp), smtp)
        world.gh.tokens.clear()
        for _ in range(2):  # the second run finds it needs_reauth already: nothing new to tell
            with pytest.raises(PermanentStepError):
                await world.run("list_pull_requests", {"owner": "o", "repo": "r"}, connection_id)
        async with world.sessions() as session:
            rows = (
                (await session.execute(select(Notification).where(Notification.org_id == world.org_id)))
                .scalars()
                .all()
            )
        recipients = {row.user_id for row in rows}
        assert admin.user_id in recipients and editor.user_id in recipients and len(rows) == 3  # + owner
        assert {row.kind for row in rows} == {"integration.needs_reauth"}
        assert {row.email_status for row in rows} == {"sent"}
        assert len(mailbox.messages) == 3
        message = mailbox.to(editor.email)[0]
        assert message["Subject"] == "Reconnect GitHub: ops"
        assert f"{settings.public_url}/integrations" in text_of(message)
    await reader.pool.close()
