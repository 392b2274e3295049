"""GET /api/v1/auth/me with API-key auth vs. a bare FastAPI endpoint, served the same way, same run; and a
small mutation (PUT /api/v1/teams/{id}) with the audit log vs. the same API with it switched off.

    python -m benchmarks.api_latency [--base-url URL --api-key af_…] [--concurrency 50] [--seconds 5]
                                     [--scenario all|auth|audit] [--mutation-concurrency 4]
    python -m benchmarks.api_latency --gate   # what the IP allowlist + rate limits add (gate_latency.py)

Without --base-url it starts its own `agentflow up` in a temporary data dir. The bare app runs under the
same uvicorn command (one worker, uvloop, httptools). Rounds alternate bare/auth to cancel machine drift.
The audit scenario starts a second API process with the same environment as the one serving `--base-url`
(found by its port), with auditing monkeypatched off (benchmarks/no_audit_app.py), against the same database.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from dataclasses import dataclass, field
from urllib.parse import urlparse

import httpx
import psutil

from agentflow.embedded.ports import free_port, wait_for_port
from benchmarks import gate_latency
from benchmarks.loadgen import LoadResult, median, run_load
from benchmarks.stack import BenchStack


def make_api_key(base: str) -> str:
    email = f"bench-{time.time_ns()}@example.com"
    signup = httpx.post(
        f"{base}/api/v1/auth/signup", json={"email": email, "password": "benchmark pass", "org_name": "Bench"}
    )
    signup.raise_for_status()
    token = signup.json()["access_token"]
    created = httpx.post(
        f"{base}/api/v1/org/api-keys", json={"name": "bench"}, headers={"Authorization": f"Bearer {token}"}
    )
    created.raise_for_status()
    return str(created.json()["key"])


def start_bare() -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "benchmarks.bare_app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if not wait_for_port("127.0.0.1", port, 30):
        raise SystemExit("bare app did not start")
    return proc, port


def process_cpu(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def api_processes(base: str) -> list[psutil.Process]:
    """The uvicorn serving `base` plus the Postgres processes: what an authenticated request costs."""
    port = str(urlparse(base).port)
    found = []
    for process in psutil.process_iter(["cmdline", "username"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if ("api.app:create_app" in cmdline and port in cmdline) or process.info["username"] == "pgserver":
            found.append(process)
    return found


@dataclass
class Measured:
    """A target's rounds: each load result with the server CPU it cost per request."""

    label: str
    processes: list[psutil.Process]
    runs: list[tuple[LoadResult, float]] = field(default_factory=list, kw_only=True)

    def record(self, result: LoadResult, cpu_before: float) -> None:
        cpu_us = (process_cpu(self.processes) - cpu_before) / max(result.requests, 1) * 1e6
        self.runs.append((result, cpu_us))
        print(f"{result.line()}   server CPU {cpu_us:5.0f} us/request")

    def summary(self) -> tuple[float, float, float, float]:
        results = [r for r, _ in self.runs]
        return (
            median([r.rps for r in results]),
            median([r.percentile(50) for r in results]),
            median([r.percentile(99) for r in results]),
            median([c for _, c in self.runs]),
        )


@dataclass
class Target(Measured):
    host: str
    port: int
    path: str
    headers: dict[str, str]
    method: str = "GET"
    body: bytes = b""

    async def round(self, concurrency: int, seconds: float) -> None:
        before = process_cpu(self.processes)
        result = await run_load(
            self.label,
            self.host,
            self.port,
            self.path,
            headers=self.headers,
            concurrency=concurrency,
            seconds=seconds,
            method=self.method,
            body=self.body,
        )
        self.record(result, before)


async def measure(bare: Target, auth: Target, concurrency: int, seconds: float, rounds: int) -> None:
    for target in (bare, auth):  # warm connection pools and caches
        await run_load(
            "warm", target.host, target.port, target.path, headers=target.headers, concurrency=4, seconds=1
        )
    for _ in range(rounds):
        await bare.round(concurrency, seconds)
        await auth.round(concurrency, seconds)
    print(f"\nconcurrency {concurrency}, {rounds} rounds of {seconds:.0f}s, medians:")
    for target in (bare, auth):
        rps, p50, p99, cpu = target.summary()
        print(
            f"  {target.label:<28} {rps:8.0f} req/s  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  "
            f"CPU {cpu:4.0f} us/req"
        )
    bare_rps, _, _, bare_cpu = bare.summary()
    auth_rps, _, auth_p99, auth_cpu = auth.summary()
    print(
        f"  ratio auth/bare req/s = {auth_rps / bare_rps:.2f} (target >= 0.50); "
        f"CPU per request auth/bare = {auth_cpu / bare_cpu:.1f}x; "
        f"auth p99 = {auth_p99:.1f} ms (target < 50 ms)"
    )


def start_no_audit_api(base: str) -> tuple[subprocess.Popen[bytes], int]:
    """A second API process like the one serving `base` (same environment, same database), auditing off."""
    port = str(urlparse(base).port)
    serving = next(
        p
        for p in psutil.process_iter(["cmdline"])
        if "api.app:create_app" in " ".join(p.info["cmdline"] or []) and port in p.info["cmdline"]
    )
    free = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "benchmarks.no_audit_app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(free),
            "--workers",
            "1",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env=serving.environ(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if not wait_for_port("127.0.0.1", free, 60):
        raise SystemExit("the API without auditing did not start")
    return proc, free


@dataclass
class MutationTarget(Measured):
    """PUT /teams/{id} with a new description each time (a real UPDATE, committed), one team per
    connection so the connections never wait on each other's row lock."""

    base: str

    async def round(self, team_ids: list[str], headers: dict[str, str], seconds: float) -> None:
        before = process_cpu(self.processes)
        latencies: list[float] = []
        errors: list[int] = []
        started = time.perf_counter()
        stop_at = started + seconds

        async def connection(team_id: str) -> None:
            async with httpx.AsyncClient(base_url=self.base, headers=headers, timeout=30) as client:
                n = 0
                while time.perf_counter() < stop_at:
                    n += 1
                    sent = time.perf_counter()
                    response = await client.put(f"/api/v1/teams/{team_id}", json={"description": f"run {n}"})
                    latencies.append((time.perf_counter() - sent) * 1000)
                    if response.status_code != 200:
                        errors.append(1)

        await asyncio.gather(*(connection(team_id) for team_id in team_ids))
        result = LoadResult(self.label, len(latencies), len(errors), time.perf_counter() - started, latencies)
        self.record(result, before)


def audit_scenario(base: str, api_key: str, concurrency: int, seconds: float, rounds: int) -> None:
    """A small committed mutation with and without its audit entry, alternating rounds, same database."""
    headers = {"X-API-Key": api_key}
    team_ids = []
    for _ in range(concurrency):
        team = httpx.post(f"{base}/api/v1/teams", json={"name": f"bench-{time.time_ns()}"}, headers=headers)
        team.raise_for_status()
        team_ids.append(str(team.json()["id"]))
    plain, plain_port = start_no_audit_api(base)
    database = [p for p in api_processes(base) if "api.app:create_app" not in " ".join(p.cmdline())]
    try:
        without = MutationTarget(
            "PUT team, audit off",
            base=f"http://127.0.0.1:{plain_port}",
            processes=[psutil.Process(plain.pid), *database],
        )
        audited = MutationTarget("PUT team, audited", base=base, processes=api_processes(base))
        asyncio.run(_measure_audit(without, audited, team_ids, headers, seconds, rounds))
        last = httpx.get(f"{base}/api/v1/org/audit-logs", params={"limit": 1}, headers=headers).json()
        assert last["items"][0]["action"] == "team.updated", last  # the audited process did write entries
    finally:
        plain.terminate()
        plain.wait()


async def _measure_audit(
    without: MutationTarget,
    audited: MutationTarget,
    team_ids: list[str],
    headers: dict[str, str],
    seconds: float,
    rounds: int,
) -> None:
    for target in (without, audited):  # warm
        await target.round(team_ids, headers, 1)
        target.runs.clear()
    for _ in range(rounds):
        await without.round(team_ids, headers, seconds)
        await audited.round(team_ids, headers, seconds)
    print(f"\n{len(team_ids)} connections, {rounds} rounds of {seconds:.0f}s, medians:")
    for target in (without, audited):
        rps, p50, p99, cpu = target.summary()
        print(
            f"  {target.label:<28} {rps:8.0f} req/s  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  "
            f"CPU {cpu:4.0f} us/req"
        )
    _, off_p50, _, off_cpu = without.summary()
    _, on_p50, _, on_cpu = audited.summary()
    print(
        f"  audit adds {on_p50 - off_p50:+.2f} ms p50 per mutation "
        f"(ratio audited/off = {on_p50 / off_p50:.2f}; goal <= 1 ms), {on_cpu - off_cpu:+.0f} us server CPU"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base-url")
    parser.add_argument("--api-key")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scenario", choices=["all", "auth", "audit"], default="all")
    parser.add_argument("--mutation-concurrency", type=int, default=4)
    parser.add_argument("--gate", action="store_true", help="measure the rate limiter against no limits")
    args = parser.parse_args()
    if args.gate:
        stack = BenchStack.start()
        try:
            base = stack.api.removesuffix("/api/v1")
            gate_latency.run(int(urlparse(base).port or 0), base, args.seconds, args.rounds)
        finally:
            stack.stop()
        return

    stack = None
    base = args.base_url
    if not base:
        # The API as deployed: its access log on (INFO), one line per request.
        stack = BenchStack.start(log_level="INFO")
        base = stack.api.removesuffix("/api/v1")
    bare, bare_port = start_bare()
    try:
        api_key = args.api_key or make_api_key(base)
        target = urlparse(base)
        assert target.hostname and target.port
        if args.scenario in ("all", "audit"):
            audit_scenario(base, api_key, args.mutation_concurrency, args.seconds, args.rounds)
        if args.scenario == "audit":
            return
        asyncio.run(
            measure(
                Target(
                    "bare FastAPI GET /bare",
                    host="127.0.0.1",
                    port=bare_port,
                    path="/bare",
                    headers={},
                    processes=[psutil.Process(bare.pid)],
                ),
                Target(
                    "GET /api/v1/auth/me (key)",
                    host=target.hostname,
                    port=target.port,
                    path="/api/v1/auth/me",
                    headers={"X-API-Key": api_key},
                    processes=api_processes(base),
                ),
                args.concurrency,
                args.seconds,
                args.rounds,
            )
        )
    finally:
        bare.terminate()
        bare.wait()
        if stack is not None:
            stack.stop()


if __name__ == "__main__":
    main()
