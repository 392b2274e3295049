"""Hot-path reads straight on asyncpg: no ORM session, no SQLAlchemy pool checkout.

Authentication runs on every request. Through an ORM session a one-row lookup cost ~180 µs of CPU here
(session + pool checkout ~140 µs, the query itself ~16 µs); on an asyncpg pool it costs ~30 µs. Queries
stay written in SQLAlchemy Core and are compiled once to asyncpg's SQL; only their execution is direct.
Use this for a few hot, read-only lookups — everything else goes through repositories and the session.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import asyncpg
import orjson
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

_DIALECT = asyncpg_dialect()  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class CompiledQuery:
    """A Core statement compiled to asyncpg SQL with its parameter names in positional order."""

    sql: str
    params: tuple[str, ...]

    def args(self, values: dict[str, Any]) -> list[Any]:
        return [values[name] for name in self.params]


def compile_query(statement: ClauseElement) -> CompiledQuery:
    """Compile once at import time; bind parameters must be named with `bindparam("name")`."""
    compiled = statement.compile(dialect=_DIALECT, compile_kwargs={"render_postcompile": True})
    assert isinstance(compiled, SQLCompiler)
    return CompiledQuery(sql=str(compiled), params=tuple(compiled.positiontup or ()))


class FastReader(Protocol):
    async def fetchrow(self, query: CompiledQuery, **values: Any) -> asyncpg.Record | None: ...

    async def fetch(self, query: CompiledQuery, **values: Any) -> Sequence[asyncpg.Record]: ...

    async def execute(self, query: CompiledQuery, **values: Any) -> None: ...


async def _init_connection(conn: asyncpg.Connection) -> None:
    # Same JSON behaviour as SQLAlchemy's connections: jsonb arrives as Python objects.
    for typename in ("json", "jsonb"):
        await conn.set_type_codec(
            typename,
            encoder=lambda v: orjson.dumps(v, default=str).decode(),
            decoder=orjson.loads,
            schema="pg_catalog",
        )


async def _keep_session_state(conn: asyncpg.Connection) -> None:
    """asyncpg's default reset costs a round trip per release; these statements never change state."""


class PoolReader:
    """Production reader: its own small asyncpg pool (autocommit statements)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @classmethod
    async def connect(cls, database_url: str, *, max_size: int) -> PoolReader:
        dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        pool = await asyncpg.create_pool(
            dsn, min_size=1, max_size=max_size, init=_init_connection, reset=_keep_session_state
        )
        return cls(pool)

    async def fetchrow(self, query: CompiledQuery, **values: Any) -> asyncpg.Record | None:
        async with self.pool.acquire() as conn:
            return await conn.fetchrow(query.sql, *query.args(values))

    async def fetch(self, query: CompiledQuery, **values: Any) -> Sequence[asyncpg.Record]:
        async with self.pool.acquire() as conn:
            return list(await conn.fetch(query.sql, *query.args(values)))

    async def execute(self, query: CompiledQuery, **values: Any) -> None:
        async with self.pool.acquire() as conn:
            await conn.execute(query.sql, *query.args(values))

    async def close(self) -> None:
        await self.pool.close()


class ConnectionReader:
    """A reader on one existing driver connection (tests: the connection holding the test's transaction)."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self.connection = connection

    async def fetchrow(self, query: CompiledQuery, **values: Any) -> asyncpg.Record | None:
        return await self.connection.fetchrow(query.sql, *query.args(values))

    async def fetch(self, query: CompiledQuery, **values: Any) -> Sequence[asyncpg.Record]:
        return list(await self.connection.fetch(query.sql, *query.args(values)))

    async def execute(self, query: CompiledQuery, **values: Any) -> None:
        await self.connection.execute(query.sql, *query.args(values))
