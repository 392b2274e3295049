"""What the request gate (IP allowlist + rate limits) adds to an authenticated request, same run.

    python -m benchmarks.api_latency --gate [--seconds 5] [--rounds 3]

Three extra API processes are started beside the stack's own, with the stack's environment (read from its
API process) and one difference each:
- **baseline**: `AGENTFLOW_RATE_LIMIT_PER_MINUTE=0` and a key without its own limit: the gate counts nothing;
- **postgres**: the organization quota and the key's own quota counted in Postgres (two counters/request);
- **redis**: the same two counters in Redis (Debian's `redis-server`, started here).
All serve `GET /api/v1/auth/me` with an API key. Rounds alternate targets to cancel machine drift; the
figure is the p50 difference against the baseline at concurrency 1 (latency) and 10 (under load).
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

import httpx
import psutil

from agentflow.embedded.ports import free_port, wait_for_port
from benchmarks.loadgen import LoadResult, median, run_load

HUGE = 10_000_000  # counted, never refused


@dataclass
class GateTarget:
    label: str
    port: int
    key: str
    runs: dict[int, list[LoadResult]] = field(default_factory=dict)


def stack_api_env(api_port: int) -> dict[str, str]:
    """The environment `agentflow up` gave its API process (database, Vault, JWT secret, …)."""
    for process in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if "api.app:create_app" in cmdline and str(api_port) in cmdline:
            return dict(process.environ())
    raise SystemExit("the stack's API process was not found")


@contextmanager
def api_process(env: dict[str, str], extra: dict[str, str]) -> Iterator[int]:
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--port", str(port)]
    argv += ["--workers", "1", "--no-access-log", "--log-level", "warning"]
    process = subprocess.Popen(
        argv, env={**env, **extra}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        if not wait_for_port("127.0.0.1", port, 60):
            raise SystemExit("an API process did not start")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def redis_server() -> Iterator[str | None]:
    server = shutil.which("redis-server")
    if server is None:
        print("redis-server not installed: the Redis target is left out")
        yield None
        return
    port = free_port()
    argv = [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    try:
        wait_for_port("127.0.0.1", port, 20)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def make_keys(base: str) -> tuple[str, str]:
    """A key without its own limit (the baseline's) and one with a huge one (counted, never refused)."""
    email = f"gate-{time.time_ns()}@example.com"
    signup = httpx.post(
        f"{base}/api/v1/auth/signup", json={"email": email, "password": "benchmark pass", "org_name": "Gate"}
    )
    signup.raise_for_status()
    owner = {"Authorization": f"Bearer {signup.json()['access_token']}"}
    keys = []
    for body in ({"name": "plain"}, {"name": "limited", "rate_limit_per_minute": 1_000_000}):
        created = httpx.post(f"{base}/api/v1/org/api-keys", json=body, headers=owner)
        created.raise_for_status()
        keys.append(str(created.json()["key"]))
    return keys[0], keys[1]


async def _measure(targets: list[GateTarget], concurrencies: list[int], seconds: float, rounds: int) -> None:
    for target in targets:
        headers = {"X-API-Key": target.key}
        await run_load(
            "warm", "127.0.0.1", target.port, "/api/v1/auth/me", headers=headers, concurrency=4, seconds=1
        )
    for concurrency in concurrencies:
        for _ in range(rounds):
            for target in targets:
                result = await run_load(
                    target.label,
                    "127.0.0.1",
                    target.port,
                    "/api/v1/auth/me",
                    headers={"X-API-Key": target.key},
                    concurrency=concurrency,
                    seconds=seconds,
                )
                target.runs.setdefault(concurrency, []).append(result)
                print(f"c={concurrency:<3} {result.line()}")
    baseline = targets[0]
    print(f"\n{rounds} rounds of {seconds:.0f}s per target, medians:")
    for concurrency in concurrencies:
        base_p50 = median([r.percentile(50) for r in baseline.runs[concurrency]])
        base_rps = median([r.rps for r in baseline.runs[concurrency]])
        for target in targets:
            p50 = median([r.percentile(50) for r in target.runs[concurrency]])
            rps = median([r.rps for r in target.runs[concurrency]])
            print(
                f"  c={concurrency:<3} {target.label:<22} p50 {p50:6.2f} ms  added {p50 - base_p50:+5.2f} ms "
                f"(goal <= 1 ms)  req/s {rps:7.0f}  ratio {rps / base_rps:.2f}"
            )


def run(api_port: int, base: str, seconds: float, rounds: int) -> None:
    env = stack_api_env(api_port)
    plain, limited = make_keys(base)
    counted = {"AGENTFLOW_RATE_LIMIT_PER_MINUTE": str(HUGE)}
    with ExitStack() as processes:
        redis_url = processes.enter_context(redis_server())
        bare = processes.enter_context(api_process(env, {"AGENTFLOW_RATE_LIMIT_PER_MINUTE": "0"}))
        targets = [
            GateTarget("baseline (no limits)", bare, plain),
            GateTarget("postgres counters", processes.enter_context(api_process(env, counted)), limited),
        ]
        if redis_url is not None:
            redis = processes.enter_context(api_process(env, {**counted, "AGENTFLOW_REDIS_URL": redis_url}))
            targets.append(GateTarget("redis counters", redis, limited))
        asyncio.run(_measure(targets, [1, 10], seconds, rounds))
