"""Rate limits: RateLimit-Policy / RateLimit headers on authenticated responses, 429 + Retry-After past a
quota, and one quota shared by two API processes (counters in Postgres by default, or in Redis)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from limits import RateLimitItemPerSecond
from limits.aio.strategies import FixedWindowRateLimiter
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.config import Settings
from agentflow.embedded.ports import free_port, wait_for_port
from agentflow.gate.storage import redis_storage
from tests.factories import PASSWORD, Member

ROOT = Path(__file__).resolve().parents[2]


async def test_a_keys_own_limit_answers_429_with_retry_after(
    client: httpx.AsyncClient, owner: Member, session: AsyncSession
) -> None:
    created = await client.post(
        "/org/api-keys", json={"name": "slow", "rate_limit_per_minute": 3}, headers=owner.headers
    )
    assert created.status_code == 201, created.text
    assert created.json()["rate_limit_per_minute"] == 3
    key = {"X-API-Key": created.json()["key"]}
    for remaining in (2, 1, 0):
        answer = await client.get("/agents", headers=key)
        assert answer.status_code == 200, answer.text
        assert '"key";q=3;w=60' in answer.headers["ratelimit-policy"]
        assert f'"key";r={remaining};' in answer.headers["ratelimit"]
    refused = await client.get("/agents", headers=key)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert '"key";r=0;' in refused.headers["ratelimit"]
    # Another key of the same org is not held back by this one's limit.
    other = await client.post("/org/api-keys", json={"name": "other"}, headers=owner.headers)
    assert (await client.get("/agents", headers={"X-API-Key": other.json()["key"]})).status_code == 200


async def test_web_app_requests_carry_the_orgs_quota(client: httpx.AsyncClient, owner: Member) -> None:
    answer = await client.get("/org", headers=owner.headers)
    assert answer.headers["ratelimit-policy"] == '"org";q=6000;w=60'
    assert answer.headers["ratelimit"].startswith('"org";r=5999;t=')
    # Even an error after authentication carries them.
    missing = await client.get(f"/agents/{uuid.uuid4()}", headers=owner.headers)
    assert missing.status_code == 404 and "ratelimit" in missing.headers


@pytest.mark.parametrize("bad", [0, -1, 10_000_001, "many", 1.5])
async def test_invalid_key_limits_are_422(client: httpx.AsyncClient, owner: Member, bad: object) -> None:
    answer = await client.post(
        "/org/api-keys", json={"name": "k", "rate_limit_per_minute": bad}, headers=owner.headers
    )
    assert answer.status_code == 422


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    server = shutil.which("redis-server")
    assert server, "redis-server (Debian's package) is needed for this test"
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        assert wait_for_port("127.0.0.1", port, timeout=20)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _api_process(settings: Settings, extra: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "AGENTFLOW_DATABASE_URL": settings.database_url,
        "AGENTFLOW_JWT_SECRET": settings.jwt_secret.get_secret_value(),
        "AGENTFLOW_DATA_DIR": str(settings.data_dir),
        **extra,
    }
    env.pop("PREFECT_API_URL", None)
    argv = [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--port", str(port)]
    process = subprocess.Popen([*argv, "--log-level", "warning"], env=env, cwd=ROOT)
    assert wait_for_port("127.0.0.1", port, timeout=60), "the API process did not start"
    return process, f"http://127.0.0.1:{port}/api/v1"


@pytest.mark.parametrize("store", ["postgres", "redis"])
def test_two_api_processes_share_one_quota(
    settings: Settings, store: str, request: pytest.FixtureRequest
) -> None:
    extra = {"AGENTFLOW_REDIS_URL": request.getfixturevalue("redis_url")} if store == "redis" else {}
    processes = [_api_process(settings, extra) for _ in range(2)]
    try:
        (_, first), (_, second) = processes
        with httpx.Client(timeout=30) as http:
            signup = http.post(
                f"{first}/auth/signup",
                json={
                    "email": f"rl-{uuid.uuid4().hex[:8]}@example.com",
                    "password": PASSWORD,
                    "org_name": "R",
                },
            )
            assert signup.status_code == 201, signup.text
            owner = {"Authorization": f"Bearer {signup.json()['access_token']}"}
            created = http.post(
                f"{second}/org/api-keys", json={"name": "shared", "rate_limit_per_minute": 6}, headers=owner
            )
            assert created.status_code == 201, created.text
            key = {"X-API-Key": created.json()["key"]}
            answers = [http.get(f"{(first, second)[i % 2]}/agents", headers=key) for i in range(8)]
        assert [a.status_code for a in answers] == [200] * 6 + [429] * 2, [a.text for a in answers]
        # The last allowed one was answered by one process with what the other had counted.
        assert '"key";r=0;' in answers[5].headers["ratelimit"]
        assert int(answers[6].headers["retry-after"]) >= 1
    finally:
        for process, _ in processes:
            process.terminate()
            process.wait(timeout=20)
    time.sleep(0)  # nothing to wait for: the counters expire with their window


async def test_counters_are_an_unlogged_table(session: AsyncSession) -> None:
    """No WAL flush per counted request: the table is UNLOGGED (created so, and after the migration)."""
    persistence = await session.scalar(
        text("SELECT relpersistence FROM pg_class WHERE relname = 'rate_limit_counters'")
    )
    assert persistence in ("u", b"u")  # "char" arrives as bytes


async def test_redis_window_stats_come_from_the_hit(redis_url: str) -> None:
    """After a hit, the remaining count and the window's end are those the hit saw, also when another
    process opened the window; a window ending is noticed, not served from memory."""
    storage = redis_storage(redis_url)
    other = redis_storage(redis_url)  # another API process, same Redis
    limiter, item = FixedWindowRateLimiter(storage), RateLimitItemPerSecond(5, 2)
    key = f"k{uuid.uuid4().hex[:6]}"
    assert await FixedWindowRateLimiter(other).hit(item, key)  # opened by the other process
    assert await limiter.hit(item, key)
    stats = await limiter.get_window_stats(item, key)
    assert stats.remaining == 3
    assert 0 < stats.reset_time - time.time() <= 2
    assert await FixedWindowRateLimiter(other).hit(item, key, cost=3)
    assert not await limiter.hit(item, key)  # 6 > 5: refused, counted from Redis, not from memory
    assert (await limiter.get_window_stats(item, key)).remaining == 0
    await asyncio.sleep(stats.reset_time - time.time() + 0.1)
    assert (await limiter.get_window_stats(item, key)).remaining == 5  # the window ended
    assert await limiter.hit(item, key)
    assert (await limiter.get_window_stats(item, key)).remaining == 4
