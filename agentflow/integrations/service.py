"""The org's integration connections: list, connect (credentials or OAuth), test, rename, delete.

Write order follows agentflow/secrets: the row is flushed first, Vault written second, so a Vault failure
rolls the row back; a connect whose credentials the provider refuses deletes what it wrote.
"""

from __future__ import annotations

import builtins
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.auth.subject import AuthSubject
from agentflow.errors import Conflict, NotFound, ValidationFailed
from agentflow.integrations import credentials, oauth_flow, registry
from agentflow.integrations.apps import provider_app
from agentflow.integrations.base import AuthExpired, ConnectContext, IntegrationTool
from agentflow.integrations.oauth_flow import Services
from agentflow.integrations.repository import ConnectionRepository
from agentflow.integrations.runner import expiry_of, open_call
from agentflow.integrations.schemas import ConnectBody
from agentflow.kit.models import utcnow
from agentflow.models import ConnectionStatus, IntegrationConnection
from agentflow.nodes.errors import StepError
from agentflow.notifications.producers import notify_needs_reauth
from agentflow.secrets.masking import Masker

logger = logging.getLogger("agentflow.integrations")

__all__ = ["IntegrationService", "Services", "integration_service"]


def _auth_kind(tool: IntegrationTool, body: ConnectBody) -> str:
    if body.auth is not None:
        if body.auth not in tool.auth_kinds:
            raise ValidationFailed(
                f"{tool.label} connects with {', '.join(tool.auth_kinds)}, not {body.auth}",
                code="invalid_auth",
            )
        return body.auth
    if not body.credentials and "oauth2" in tool.auth_kinds:
        return "oauth2"
    return next((k for k in tool.auth_kinds if k != "oauth2"), tool.auth_kinds[0])


def _checked_credentials(tool: IntegrationTool, given: Mapping[str, str]) -> dict[str, str]:
    known = {f.name: f for f in tool.credential_fields}
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise ValidationFailed(
            f"{tool.label} takes no credential {unknown[0]!r} (it takes: {', '.join(known) or 'none'})",
            code="unknown_credential",
        )
    missing = [f.name for f in tool.credential_fields if f.required and not given.get(f.name)]
    if missing:
        raise ValidationFailed(f"{tool.label} needs the credential {missing[0]!r}", code="missing_credential")
    return {k: v for k, v in given.items() if v}


def _checked_config(tool: IntegrationTool, config: Mapping[str, Any]) -> dict[str, Any]:
    missing = [f.name for f in tool.config_fields if f.required and config.get(f.name) in (None, "")]
    if missing:
        raise ValidationFailed(f"{tool.label} needs the setting {missing[0]!r}", code="missing_config")
    return dict(config)


class IntegrationService:
    async def list(
        self, session: AsyncSession, *, subject: AuthSubject
    ) -> builtins.list[IntegrationConnection]:
        return list(await ConnectionRepository(session).list_in_org(subject.org_id))

    async def get(
        self,
        session: AsyncSession,
        *,
        subject: AuthSubject,
        connection_id: uuid.UUID,
        for_update: bool = False,
    ) -> IntegrationConnection:
        repo = ConnectionRepository(session)
        row = await (repo.get_for_update if for_update else repo.get_in_org)(subject.org_id, connection_id)
        if row is None:
            raise NotFound.resource("Connection", connection_id)
        return row

    def _tool(self, provider: str) -> IntegrationTool:
        tool = registry.get(provider)
        if tool is None:
            raise NotFound(f"There is no integration {provider!r}", code="unknown_integration")
        return tool

    async def _free_name(self, session: AsyncSession, org_id: uuid.UUID, provider: str, name: str) -> None:
        if await ConnectionRepository(session).named(org_id, provider, name) is not None:
            raise Conflict(
                f"This organization already has a {provider} connection named {name!r}", code="name_taken"
            )

    def _context(self, services: Services, org_id: uuid.UUID) -> ConnectContext:
        org_secret = oauth_flow.org_secret_reader(services.store, org_id)
        return ConnectContext(org_id=str(org_id), http=services.http, org_secret=org_secret)

    async def connect(
        self,
        session: AsyncSession,
        services: Services,
        *,
        subject: AuthSubject,
        provider: str,
        body: ConnectBody,
    ) -> IntegrationConnection | str:
        """A new connection (token / API key / no auth), or, for OAuth, the URL to send the browser to."""
        tool = self._tool(provider)
        kind = _auth_kind(tool, body)
        name = body.name or tool.label
        config = _checked_config(tool, body.config or {})
        own = await tool.connection_app(config, oauth_flow.org_secret_reader(services.store, subject.org_id))
        if kind == "oauth2" or own is not None:  # a custom API's authorization-code grant: its own app
            return await self._start_oauth(
                session, services, subject=subject, tool=tool, name=name, body=body
            )
        if body.connection_id is not None:
            raise ValidationFailed("connection_id is for OAuth reconnects", code="invalid_field")
        given = _checked_credentials(tool, body.credentials or {})
        await self._free_name(session, subject.org_id, tool.name, name)
        config = await tool.prepare(self._context(services, subject.org_id), config, given)
        row = IntegrationConnection(
            org_id=subject.org_id,
            provider=tool.name,
            name=name,
            auth_kind=kind,
            status=ConnectionStatus.active.value,
            scopes=[],
            config=config,
            connected_by=subject.user_id if subject.method == "token" else None,
        )
        try:
            await ConnectionRepository(session).add(row)
        except IntegrityError:
            raise Conflict(f"A {provider} connection named {name!r} exists", code="name_taken") from None
        if given:
            await credentials.write(services.store, subject.org_id, row.id, given)
        try:
            await self._verify(session, services, row, tool)
        except ValidationFailed:
            await credentials.delete(services.store, subject.org_id, row.id)
            raise
        return row

    async def _verify(
        self, session: AsyncSession, services: Services, row: IntegrationConnection, tool: IntegrationTool
    ) -> None:
        """Check fresh credentials with the provider: refused → 422 (nothing kept); unreachable → kept with
        status `error` (a later test sets it right)."""
        _, error, refused = await self._run_test(session, services, row, tool)
        if refused:
            raise ValidationFailed(
                f"{tool.label} refused these credentials: {error}", code="credentials_refused"
            )

    async def _run_test(
        self, session: AsyncSession, services: Services, row: IntegrationConnection, tool: IntegrationTool
    ) -> tuple[bool, str | None, bool]:
        """(ok, error, the provider refused the credentials) — and the row updated to match."""
        masker = Masker()

        async def refreshed(data: Mapping[str, str]) -> None:
            row.token_expires_at = expiry_of(data)

        try:
            opened = await open_call(
                tool=tool,
                row=row,
                store=services.store,
                settings=services.settings,
                policy=services.policy,
                http=services.http,
                on_refreshed=refreshed,
            )
            masker = opened.masker()
            learned = await tool.test(opened.call)
            masker = opened.masker()
        except NotImplementedError:
            return True, None, False
        except StepError as exc:
            message = masker.mask_text(exc.message)[:2000]
            refused = isinstance(exc, AuthExpired) or exc.code == "http_401"
            newly_refused = refused and row.status != ConnectionStatus.needs_reauth.value
            row.status = (ConnectionStatus.needs_reauth if refused else ConnectionStatus.error).value
            row.last_error = message
            row.updated_at = utcnow()
            await session.flush()
            if newly_refused:  # told once per time it turns needs_reauth (and never if this rolls back)
                await notify_needs_reauth(
                    session,
                    org_id=row.org_id,
                    connection_id=row.id,
                    provider_label=tool.label,
                    name=row.name,
                    connected_by=row.connected_by,
                    since=row.updated_at,
                )
            return False, message, refused
        row.status = ConnectionStatus.active.value
        row.last_error = None
        if learned.get("account"):
            row.account = str(learned["account"])[:200]
        if isinstance(learned.get("actions"), list):  # an MCP server's tools as they are now
            row.config = {**(row.config or {}), "actions": learned["actions"]}
        await session.flush()
        return True, None, False

    async def test(
        self, session: AsyncSession, services: Services, *, subject: AuthSubject, connection_id: uuid.UUID
    ) -> tuple[IntegrationConnection, bool, str | None]:
        row = await self.get(session, subject=subject, connection_id=connection_id, for_update=True)
        ok, error, _ = await self._run_test(session, services, row, self._tool(row.provider))
        return row, ok, error

    async def rename(
        self, session: AsyncSession, *, subject: AuthSubject, connection_id: uuid.UUID, name: str
    ) -> IntegrationConnection:
        row = await self.get(session, subject=subject, connection_id=connection_id, for_update=True)
        if name != row.name:
            await self._free_name(session, subject.org_id, row.provider, name)
            row.name = name
            await session.flush()
        return row

    async def delete(
        self, session: AsyncSession, services: Services, *, subject: AuthSubject, connection_id: uuid.UUID
    ) -> None:
        """Revoke at the provider where it has an endpoint (best effort: a provider that is down must not
        keep a connection the org wants gone), then the credentials, then the row."""
        row = await self.get(session, subject=subject, connection_id=connection_id, for_update=True)
        tool = registry.get(row.provider)
        if tool is not None:
            await self._revoke(services, row, tool)
        await ConnectionRepository(session).delete(row)
        await credentials.delete(services.store, subject.org_id, row.id)

    async def _revoke(self, services: Services, row: IntegrationConnection, tool: IntegrationTool) -> None:
        app = provider_app(services.settings, tool)
        # Revocation endpoints authenticate the OAuth app itself (GitHub: basic auth with its id and secret).
        extra = {"oauth.client_id": app.client_id or "", "oauth.client_secret": app.client_secret or ""}
        masker = Masker()
        try:
            opened = await open_call(
                tool=tool,
                row=row,
                store=services.store,
                settings=services.settings,
                policy=services.policy,
                http=services.http,
                extra={k: v for k, v in extra.items() if v},
            )
            masker = opened.masker()
            await tool.revoke(opened.call)
        except Exception as exc:
            logger.warning(
                "revoking %s connection %s failed: %s", row.provider, row.id, masker.mask_text(str(exc))[:500]
            )

    # OAuth

    async def _start_oauth(
        self,
        session: AsyncSession,
        services: Services,
        *,
        subject: AuthSubject,
        tool: IntegrationTool,
        name: str,
        body: ConnectBody,
    ) -> str:
        if tool.oauth is not None and not provider_app(services.settings, tool).oauth_configured:
            raise oauth_flow.not_configured(tool, own=False)
        if body.connection_id is not None:
            existing = await self.get(session, subject=subject, connection_id=body.connection_id)
            if existing.provider != tool.name:
                raise NotFound.resource("Connection", body.connection_id)
            name = existing.name
        else:
            await self._free_name(session, subject.org_id, tool.name, name)
        config = await tool.prepare(
            self._context(services, subject.org_id), _checked_config(tool, body.config or {}), {}
        )
        app = await oauth_flow.app_of(services, tool, subject.org_id, config)
        if not app.oauth_configured:  # a connection's own app whose client secret went missing
            raise oauth_flow.not_configured(tool, own=tool.oauth is None)
        return await oauth_flow.start(
            session,
            services,
            subject=subject,
            tool=tool,
            app=app,
            name=name,
            connection_id=body.connection_id,
            config=config,
            redirect_to=body.redirect_to,
        )

    async def abandon_oauth(self, session: AsyncSession, *, state: str) -> str:
        """A declined authorization: its state is consumed; the UI path to return to."""
        return await oauth_flow.abandon(session, state=state)

    async def complete_oauth(
        self, session: AsyncSession, services: Services, *, code: str, state: str
    ) -> tuple[str, uuid.UUID | None, str | None]:
        """(UI path to return to, the connection, an error code); the new connection is tested at once."""
        done = await oauth_flow.finish(session, services, code=code, state=state)
        if done.row is None or done.tool is None:
            return done.back, None, done.error
        await self._run_test(session, services, done.row, done.tool)
        return done.back, done.row.id, None


integration_service = IntegrationService()
