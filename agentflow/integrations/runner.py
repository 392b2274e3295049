"""Running an integration action with a connection: `open_call` builds the `ActionCall` (credentials read
from Vault for this call only, refreshed when about to lapse or on a 401), `ConnectionRunner` is the worker's
`IntegrationCalls` (nodes/context.py): it finds the org's connection, validates the params, runs the action
and masks every credential out of what comes back."""

from __future__ import annotations

import asyncio
import logging
import uuid
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import BaseModel, ValidationError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agentflow.config import Settings
from agentflow.egress import EgressPolicy
from agentflow.integrations import credentials, registry
from agentflow.integrations.apps import connection_app
from agentflow.integrations.base import (
    Action,
    ActionCall,
    AuthExpired,
    Connection,
    IntegrationTool,
    Previewed,
)
from agentflow.integrations.oauth import OAuthClient, OAuthFailed
from agentflow.integrations.repository import ConnectionRepository
from agentflow.kit.models import utcnow
from agentflow.models import ConnectionStatus, IntegrationConnection
from agentflow.nodes.context import ToolDescription
from agentflow.nodes.errors import PermanentStepError, StepError, TransientStepError
from agentflow.notifications.delivery import NotificationMailer
from agentflow.notifications.producers import notify_needs_reauth
from agentflow.secrets.masking import Masker
from agentflow.secrets.paths import SecretKind, SecretRef
from agentflow.secrets.store import SecretStore
from agentflow.secrets.vault import VaultUnavailable

logger = logging.getLogger("agentflow.integrations")

OnRefreshed = Callable[[Mapping[str, str]], Awaitable[None]]
_refresh_locks: weakref.WeakValueDictionary[tuple[int, uuid.UUID], asyncio.Lock] = (
    weakref.WeakValueDictionary()
)


def _refresh_lock(connection_id: uuid.UUID) -> asyncio.Lock:
    """The lock serialising refreshes of one connection on this event loop."""
    key = (id(asyncio.get_running_loop()), connection_id)
    lock = _refresh_locks.get(key)
    if lock is None:
        lock = _refresh_locks[key] = asyncio.Lock()
    return lock


def connection_of(row: IntegrationConnection) -> Connection:
    return Connection(id=str(row.id), provider=row.provider, name=row.name, config=dict(row.config or {}))


def expiry_of(data: Mapping[str, str]) -> datetime | None:
    raw = data.get("expires_at")
    try:
        return datetime.fromtimestamp(float(raw), tz=UTC) if raw else None
    except ValueError:
        return None


@dataclass
class OpenCall:
    """An ActionCall and every secret value it was given (or refreshed into), for masking."""

    call: ActionCall
    secrets: list[str] = field(default_factory=list)

    def masker(self) -> Masker:
        return Masker([*self.secrets, *credentials.secret_values(self.call.credentials)])


async def open_call(
    *,
    tool: IntegrationTool,
    row: IntegrationConnection,
    store: SecretStore,
    settings: Settings,
    policy: EgressPolicy,
    http: httpx.AsyncClient,
    preview: bool = False,
    on_refreshed: OnRefreshed | None = None,
    extra: Mapping[str, str] | None = None,
) -> OpenCall:
    """The call for one action on `row`'s connection. Org secrets the connection names come along as
    `env.NAME`; an OAuth token lapsing within a minute is refreshed first (and written back to Vault), with
    the connection's own OAuth app when it has one (a custom API's token URL and client secret)."""
    org_id, connection = row.org_id, connection_of(row)
    stored = await credentials.read(store, org_id, row.id) or {}
    env: dict[str, str] = {}
    for name in sorted(tool.org_secrets(connection)):
        value = await store.read_value(SecretRef(org_id, SecretKind.env, name))
        if value is None:
            raise PermanentStepError(
                f"{tool.label} connection {row.name!r} uses the org secret {name}, which is not set",
                code="missing_secret",
            )
        env[f"env.{name}"] = value

    async def env_secret(name: str) -> str | None:  # a connection's own OAuth client secret is one of them
        return env.get(f"env.{name}")

    app = await connection_app(settings, tool, connection.config, env_secret)
    opened = OpenCall(
        call=ActionCall(
            tool=tool,
            connection=connection,
            http=http,
            api_base=app.api_base,
            credentials={**stored, **env, **(extra or {})},
            preview=preview,
            oauth=app.oauth,
        ),
        secrets=[*credentials.secret_values(stored), *env.values(), *(extra or {}).values()],
    )
    current = dict(stored)

    def adopt(data: Mapping[str, str]) -> Mapping[str, str]:
        opened.secrets.extend(credentials.secret_values(data))
        current.clear()
        current.update(data)
        return {**data, **env, **(extra or {})}

    async def refresh() -> Mapping[str, str]:
        # One refresh per connection at a time in this process (parallel tool calls share a connection):
        # providers that rotate refresh tokens would refuse the second one. Whoever waited uses the token
        # the first one stored.
        async with _refresh_lock(row.id):
            latest = await credentials.read(store, org_id, row.id) or {}
            token = latest.get("access_token")
            if token and token != current.get("access_token") and not credentials.expires_soon(latest):
                return adopt(latest)
            return await refresh_now()

    async def refresh_now() -> Mapping[str, str]:
        if not current.get("refresh_token") or not app.oauth_configured:
            raise AuthExpired(
                f"{tool.label} refused the credentials of connection {row.name!r}: reconnect it", code="auth"
            )
        try:
            token = await OAuthClient(app, policy).refresh(current["refresh_token"])
        except OAuthFailed as exc:
            if exc.refused:
                raise AuthExpired(
                    f"{tool.label} refused to refresh connection {row.name!r} ({exc}): reconnect it",
                    code="refresh_failed",
                ) from None
            raise TransientStepError(
                f"{tool.label} token refresh failed: {exc}", code="refresh_unavailable"
            ) from None
        fresh = credentials.from_token_response(token, current)
        opened.secrets.extend(credentials.secret_values(fresh))
        await credentials.write(store, org_id, row.id, fresh)
        if on_refreshed is not None:
            await on_refreshed(fresh)
        return adopt(fresh)

    if row.auth_kind == "oauth2":
        opened.call.refresh = refresh
        if credentials.expires_soon(stored):
            opened.call.credentials = await refresh()
    return opened


def masked_error(exc: StepError, masker: Masker) -> StepError:
    """The same failure with every credential value replaced (message and output)."""
    exc.message = masker.mask_text(exc.message)
    exc.args = (exc.message,)
    exc.output = masker.mask(exc.output)
    return exc


def params_problem(action: Action, params: Mapping[str, Any]) -> tuple[BaseModel | None, str | None]:
    """The validated params, or a message naming the offending fields (never their values)."""
    try:
        return action.params.model_validate(dict(params)), None
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in error['loc']) or 'params'}: {error['msg']}"
            for error in exc.errors()[:5]
        ]
        return None, "; ".join(problems)


def as_json(result: Any) -> Any:
    if isinstance(result, BaseModel):
        return result.model_dump(mode="json", exclude_none=True)
    if isinstance(result, list):
        return [as_json(item) for item in result]
    return result


class ConnectionRunner:
    """`IntegrationCalls` for one worker process: every lookup is scoped to the run's org."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        store: Callable[[], Awaitable[SecretStore]],
        *,
        http: httpx.AsyncClient,
        settings: Settings,
        policy: EgressPolicy | None = None,
        mailer: NotificationMailer | None = None,
    ) -> None:
        self.sessions = sessions
        self.store = store
        self.http = http
        self.settings = settings
        self.policy = policy or EgressPolicy.from_settings(settings)
        # Mails the needs_reauth notifications right after their commit (else the workers' sweeper does).
        self.mailer = mailer

    async def _connection(
        self, org_id: uuid.UUID, integration: str | None, connection_id: str | None
    ) -> IntegrationConnection:
        async with self.sessions() as session, session.begin():
            repo = ConnectionRepository(session)
            if connection_id:
                try:
                    row = await repo.get_in_org(org_id, uuid.UUID(str(connection_id)))
                except ValueError:
                    row = None
                if row is None or (integration is not None and row.provider != integration):
                    raise PermanentStepError(
                        f"Connection {connection_id} is not one of this organization's"
                        + (f" {integration} connections" if integration else ""),
                        code="connection_not_found",
                    )
                return row
            if integration is None:
                raise PermanentStepError(
                    "Name the connection to use (connection_id)", code="connection_required"
                )
            rows = await repo.active_of_provider(org_id, integration)
            if not rows:
                raise PermanentStepError(
                    f"This organization has no active {integration} connection: connect one in Integrations",
                    code="connection_not_found",
                )
            if len(rows) > 1:
                raise PermanentStepError(
                    f"This organization has {len(rows)} {integration} connections: pick one (connection_id)",
                    code="connection_ambiguous",
                )
            return rows[0]

    async def _set_status(
        self, row: IntegrationConnection, status: ConnectionStatus, error: str | None, *, label: str
    ) -> None:
        """Record the status; a connection that turns needs_reauth notifies the people who can fix it, once
        (the row lock makes concurrent steps agree on who turned it)."""
        scoped = (IntegrationConnection.id == row.id, IntegrationConnection.org_id == row.org_id)
        told: list[uuid.UUID] = []
        async with self.sessions() as session, session.begin():
            before = await session.scalar(
                select(IntegrationConnection.status).where(*scoped).with_for_update()
            )
            now = utcnow()
            await session.execute(
                update(IntegrationConnection)
                .where(*scoped)
                .values(status=status.value, last_error=error, updated_at=now)
            )
            if status == ConnectionStatus.needs_reauth and before not in (None, status.value):
                told = await notify_needs_reauth(
                    session,
                    org_id=row.org_id,
                    connection_id=row.id,
                    provider_label=label,
                    name=row.name,
                    connected_by=row.connected_by,
                    since=now,
                )
        if told and self.mailer is not None:
            await self.mailer.deliver(told)  # never raises: what is not sent now, the sweeper sends

    async def _refreshed(self, row: IntegrationConnection, data: Mapping[str, str]) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(IntegrationConnection)
                .where(IntegrationConnection.id == row.id, IntegrationConnection.org_id == row.org_id)
                .values(
                    token_expires_at=expiry_of(data), status=ConnectionStatus.active.value, last_error=None
                )
            )

    def _tool_action(self, row: IntegrationConnection, action: str) -> tuple[IntegrationTool, Action]:
        tool = registry.get(row.provider)
        if tool is None:
            raise PermanentStepError(
                f"Integration {row.provider!r} is not available", code="unknown_integration"
            )
        found = tool.action(action, connection_of(row))
        if found is None:
            raise PermanentStepError(
                f"{tool.label} has no action {action!r} on connection {row.name!r}", code="unknown_action"
            )
        return tool, found

    async def describe(self, org_id: uuid.UUID, *, connection_id: str, action: str) -> ToolDescription:
        row = await self._connection(org_id, None, connection_id)
        _, found = self._tool_action(row, action)
        return ToolDescription(
            name=found.name,
            description=found.description,
            parameters=found.params_schema(),
            side_effect=found.side_effect,
        )

    async def run_action(
        self,
        org_id: uuid.UUID,
        *,
        integration: str | None,
        connection_id: str | None,
        action: str,
        params: dict[str, Any],
        preview: bool,
    ) -> Any:
        row = await self._connection(org_id, integration, connection_id)
        tool, found = self._tool_action(row, action)
        parsed, problem = params_problem(found, params)
        if parsed is None:
            raise PermanentStepError(
                f"{tool.label} {action}: invalid params ({problem})", code="invalid_params"
            )
        if row.status == ConnectionStatus.needs_reauth.value:
            raise PermanentStepError(
                f"{tool.label} connection {row.name!r} needs to be reconnected", code="needs_reauth"
            )
        masker = Masker()
        try:
            opened = await open_call(
                tool=tool,
                row=row,
                store=await self.store(),
                settings=self.settings,
                policy=self.policy,
                http=self.http,
                preview=preview,
                on_refreshed=lambda data: self._refreshed(row, data),
            )
            masker = opened.masker()
            try:
                result = await found.run(opened.call, parsed)
            finally:
                masker = opened.masker()  # with any token a refresh brought
        except Previewed as previewed:
            return {"preview": True, "request": masker.mask(previewed.request)}
        except AuthExpired as exc:
            masked_error(exc, masker)
            await self._set_status(row, ConnectionStatus.needs_reauth, exc.message[:2000], label=tool.label)
            raise
        except StepError as exc:
            raise masked_error(exc, masker) from None
        except VaultUnavailable as exc:  # sealed or restarting: the next attempt may find it back
            raise TransientStepError(
                f"The credentials of connection {row.name!r} could not be read: {exc}",
                code="vault_unavailable",
            ) from None
        except Exception as exc:  # an action's own bug: its message may quote a request, so it is masked
            logger.warning("integration action %s.%s raised %s", row.provider, action, type(exc).__name__)
            raise PermanentStepError(
                masker.mask_text(f"{tool.label} {action} failed: {type(exc).__name__}: {exc}"),
                code="action_failed",
            ) from None
        return masker.mask(as_json(result))
