"""Prefect's multi-server shape for `agentflow up --redis-url …`: one webserver process with N API workers,
one background-services process, Redis for what the processes share.

Prefect keeps per-process state in memory by default (event messaging, the event cache, causal ordering,
concurrency leases, the docket of loop services); with several API processes that state must live in Redis,
or a worker's event subscription on one process never hears of a run resumed through another. The settings
are Prefect's own (docs.prefect.io, "How to scale self-hosted Prefect"), served by the `prefect-redis`
package.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from agentflow.embedded.process import ManagedProcess
from agentflow.errors import AgentFlowError

REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


class ScaleError(AgentFlowError):
    code = "scale_out_failed"


def check_shape(*, prefect_workers: int, redis_url: str | None, external_prefect: bool) -> None:
    """Refuse, before anything starts, the shapes that cannot work (never echoing the URL: it may hold a
    password)."""
    if redis_url and (len(redis_url) > 2000 or not redis_url.startswith(REDIS_SCHEMES)):
        raise ScaleError("--redis-url must be a redis://, rediss:// or unix:// URL (at most 2000 characters)")
    if prefect_workers > 1 and external_prefect:
        raise ScaleError(
            "--prefect-workers starts Prefect API processes, but PREFECT_API_URL points at a Prefect "
            "server that runs elsewhere: scale that one instead, or unset PREFECT_API_URL"
        )
    if prefect_workers > 1 and not redis_url:
        raise ScaleError(
            f"--prefect-workers {prefect_workers} needs Redis, where the Prefect processes share "
            "events and leases: pass --redis-url redis://host:6379/0 (or set AGENTFLOW_REDIS_URL)"
        )


def prepare(
    data_dir: Path,
    *,
    host: str,
    port: int,
    workers: int,
    redis_url: str,
    database_url: str | None,
    env: Mapping[str, str],
) -> tuple[ManagedProcess, ManagedProcess]:
    """Check Redis, migrate Prefect's database once, and return the services and webserver processes
    (`env`: the single server's environment; the Redis settings go on top)."""
    if not database_url:
        raise ScaleError(
            "Prefect with Redis (several Prefect processes) keeps its state in Postgres, but it is on "
            "SQLite here (AGENTFLOW_PREFECT_DATABASE=sqlite, or an external AgentFlow database): "
            "unset AGENTFLOW_PREFECT_DATABASE, or start without --redis-url"
        )
    check_redis(redis_url)
    merged = {**env, **redis_env(redis_url)}
    upgrade_database(merged)
    return (
        services_process(data_dir, env=merged),
        webserver_process(data_dir, host=host, port=port, workers=workers, env=merged),
    )


def redis_env(redis_url: str) -> dict[str, str]:
    """Prefect's settings that move its shared state to Redis (the same for webservers and services)."""
    return {
        "PREFECT_MESSAGING_BROKER": "prefect_redis.messaging",
        "PREFECT_MESSAGING_CACHE": "prefect_redis.messaging",
        "PREFECT_SERVER_EVENTS_CAUSAL_ORDERING": "prefect_redis.ordering",
        "PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE": "prefect_redis.lease_storage",
        "PREFECT_REDIS_MESSAGING_URL": redis_url,
        "PREFECT_SERVER_DOCKET_URL": redis_url,
        # Several processes must not race each other through the schema migrations or the registration of
        # block types (on a new database two API processes failed on each other's rows): once, up front.
        "PREFECT_API_DATABASE_MIGRATE_ON_START": "false",
        "PREFECT_API_BLOCKS_REGISTER_ON_START": "false",
    }


def check_redis(redis_url: str) -> None:
    """Fail with a clear message before any Prefect process starts, when Redis is absent or unreachable."""
    try:
        import prefect_redis  # noqa: F401
    except ImportError as exc:
        raise ScaleError(
            "Several Prefect processes need the prefect-redis package: pip install 'agentflow[scale]'"
        ) from exc
    import redis

    try:
        client = redis.Redis.from_url(redis_url, socket_connect_timeout=5, socket_timeout=5)
        try:
            client.ping()
        finally:
            client.close()
    except (redis.RedisError, ValueError) as exc:
        # The URL may hold a password: name the failure, never the URL.
        raise ScaleError(f"Redis did not answer at the configured Redis URL ({type(exc).__name__})") from exc


def upgrade_database(env: Mapping[str, str]) -> None:
    """Prefect's migrations and block types (what each server does on start), once, in a child process with
    the server's settings, before the processes that skip them start."""
    try:
        result = subprocess.run(
            [sys.executable, "-m", "agentflow.embedded.prefect_scale"],
            env=dict(env),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ScaleError("Upgrading Prefect's database did not finish within 600s") from exc
    if result.returncode != 0:
        raise ScaleError(f"Upgrading Prefect's database failed:\n{(result.stderr or result.stdout)[-2000:]}")


def webserver_process(
    data_dir: Path, *, host: str, port: int, workers: int, env: Mapping[str, str]
) -> ManagedProcess:
    """Prefect's API and UI without its services: `workers` uvicorn processes sharing one port (Prefect's
    own `--workers`), so every client keeps one URL and the kernel spreads connections over them."""
    return ManagedProcess(
        name="prefect-server",
        argv=[
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            host,
            "--port",
            str(port),
            "--no-services",
            "--workers",
            str(workers),
        ],
        log_path=data_dir / "logs" / "prefect-server.log",
        env=dict(env),
        stop_timeout=20,
    )


def services_process(data_dir: Path, *, env: Mapping[str, str]) -> ManagedProcess:
    """Prefect's background services (scheduler, event persister, task-run recorder, late runs, …): one
    process for the whole installation, fed by the webservers through Redis."""
    return ManagedProcess(
        name="prefect-services",
        argv=[sys.executable, "-m", "prefect", "server", "services", "start"],
        log_path=data_dir / "logs" / "prefect-services.log",
        env=dict(env),
        stop_timeout=20,
    )


async def _prepare_database() -> None:
    from prefect.server.database import provide_database_interface
    from prefect.server.models.block_registration import run_block_auto_registration

    db = provide_database_interface()
    await db.create_db()
    async with await db.session() as session:
        await run_block_auto_registration(session=session)


if __name__ == "__main__":
    import asyncio

    asyncio.run(_prepare_database())
