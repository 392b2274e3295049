"""The migration chain builds exactly the schema the models describe, and indexes every foreign key."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

import agentflow.models
from agentflow.kit.models import Base


async def test_models_and_migrations_agree(engine: AsyncEngine) -> None:
    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_every_foreign_key_is_indexed_and_tenant_rows_have_org_id(engine: AsyncEngine) -> None:
    def check(connection: Connection) -> tuple[list[str], list[str]]:
        inspector = inspect(connection)
        unindexed, missing_org = [], []
        for table in inspector.get_table_names():
            if table == "alembic_version":
                continue
            indexed = {tuple(ix["column_names"]) for ix in inspector.get_indexes(table)}
            indexed |= {tuple(uc["column_names"][:1]) for uc in inspector.get_unique_constraints(table)}
            # A primary key is an index too (a composite one serves its leading columns).
            indexed.add(tuple(inspector.get_pk_constraint(table)["constrained_columns"]))
            for fk in inspector.get_foreign_keys(table):
                cols = tuple(fk["constrained_columns"])
                if not any(ix[: len(cols)] == cols for ix in indexed):
                    unindexed.append(f"{table}.{','.join(cols)}")
            columns = {c["name"] for c in inspector.get_columns(table)}
            # Throttles and rate-limit counters are keyed by strings (an email, `api:<org>`), not tenant rows.
            keyed = ("organizations", "users", "login_throttles", "rate_limit_counters")
            if table not in keyed and "org_id" not in columns:
                missing_org.append(table)
        return unindexed, missing_org

    async with engine.connect() as conn:
        unindexed, missing_org = await conn.run_sync(check)
    assert unindexed == []
    assert missing_org == []


async def test_pgvector_is_installed(engine: AsyncEngine) -> None:
    from sqlalchemy import text

    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT '[1,2,3]'::vector <-> '[1,2,4]'::vector"))).scalar() == 1.0


# Revisions written before the naming rule; every later one is named exactly like its file.
_LEGACY_REVISIONS = {
    "0001_foundation": "0001",
    "0002a_agents": "0002_agents",
    "0002b_secrets": "0002_secrets",
}


def test_migrations_form_one_numbered_chain() -> None:
    """New migrations are `NNNN_name.py` with revision id `NNNN_name`, each revising the one before; the
    chain has one head, so `agentflow db upgrade` never meets two branches."""
    import re
    from pathlib import Path

    from alembic.script import ScriptDirectory

    versions = Path(agentflow.models.__file__).parent.parent / "migrations" / "versions"
    files = sorted(p.stem for p in versions.glob("[0-9]*.py"))
    script = ScriptDirectory(str(versions.parent))
    revisions = {Path(rev.module.__file__).stem: rev.revision for rev in script.walk_revisions()}
    assert sorted(revisions) == files
    for stem in files:
        assert re.fullmatch(r"\d{4}[a-z]?_[a-z0-9_]+", stem), stem
        assert revisions[stem] == _LEGACY_REVISIONS.get(stem, stem), f"{stem}.py must have revision {stem!r}"
    chain = [script.get_revision(revisions[stem]) for stem in files]
    assert [r.down_revision for r in chain] == [None, *[r.revision for r in chain[:-1]]]
    assert script.get_heads() == [chain[-1].revision]
