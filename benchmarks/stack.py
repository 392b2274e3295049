"""A throwaway `agentflow up` for benchmarks: start it, sign up, build agents, read results from the API."""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from agentflow.embedded.ports import free_port

REPO = Path(__file__).resolve().parents[1]


@dataclass
class BenchStack:
    data_dir: str
    api: str
    prefect: str
    process: subprocess.Popen[bytes]
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def prefect_auth(self) -> str:
        """The generated Prefect API credentials (`agentflow up` keeps them in the data dir)."""
        return (Path(self.data_dir) / "secrets" / "prefect_auth").read_text().strip()

    @classmethod
    def start(
        cls, *, log_level: str = "WARNING", env: dict[str, str] | None = None, timeout: float = 180
    ) -> BenchStack:
        """`log_level` INFO keeps the per-request access log, as a production API writes it; `env` adds
        settings (e.g. AGENTFLOW_PREFECT_DATABASE=sqlite); `timeout`: how long the stack may take to start."""
        data_dir = tempfile.mkdtemp(prefix="agentflow-bench-")
        ports = {name: free_port() for name in ("api", "prefect", "db", "vault")}
        extra_env = env or {}
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTFLOW_", "PREFECT_", "VAULT_"))}
        env["AGENTFLOW_LOG_LEVEL"] = log_level
        env["AGENTFLOW_EGRESS_ALLOWLIST"] = "127.0.0.0/8"  # benchmarks call loopback servers
        # Counted as in production, never refused: a benchmark sends far more than 6000 requests a minute.
        env["AGENTFLOW_RATE_LIMIT_PER_MINUTE"] = "10000000"
        env.update(extra_env)
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "agentflow",
                "up",
                "--data-dir",
                data_dir,
                "--port",
                str(ports["api"]),
                "--prefect-port",
                str(ports["prefect"]),
                "--db-port",
                str(ports["db"]),
                "--vault-port",
                str(ports["vault"]),
            ],
            env=env,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        stack = cls(
            data_dir,
            f"http://127.0.0.1:{ports['api']}/api/v1",
            f"http://127.0.0.1:{ports['prefect']}/api",
            process,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{stack.api}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            stack.stop()
            raise SystemExit("the stack did not start")
        signup = httpx.post(
            f"{stack.api}/auth/signup",
            json={
                "email": f"bench-{uuid.uuid4().hex[:8]}@example.com",
                "password": "benchmark pass",
                "org_name": "Bench",
            },
        )
        stack.headers = {"Authorization": f"Bearer {signup.json()['access_token']}"}
        time.sleep(2)  # let the worker finish starting
        return stack

    def client(self, **kwargs: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.api, headers=self.headers, timeout=60, **kwargs)

    async def agent(self, definition: dict[str, Any], name: str = "bench") -> dict[str, Any]:
        async with self.client() as client:
            created = (await client.post("/agents", json={"name": name, "definition": definition})).json()
            published = await client.post(f"/agents/{created['id']}/publish", json={"message": "bench"})
            assert published.status_code == 201, published.text
            return dict((await client.get(f"/agents/{created['id']}")).json())

    async def wait(
        self, client: httpx.AsyncClient, execution_id: str, statuses: tuple[str, ...], within: float = 120
    ) -> dict[str, Any]:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            body = (await client.get(f"/executions/{execution_id}")).json()
            if body["status"] in statuses:
                return dict(body)
            await asyncio.sleep(0.01)
        raise TimeoutError(f"execution {execution_id} not {statuses}")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.data_dir, ignore_errors=True)


def linear_agent(nodes: int, trigger: str = "api") -> dict[str, Any]:
    """A trigger then `nodes - 1` trivial logic nodes in a chain."""
    chain = [{"id": "start", "type": "trigger", "config": {"kind": trigger}}]
    for index in range(1, nodes):
        chain.append(
            {
                "id": f"n{index}",
                "type": "logic.if",
                "config": {"conditions": [{"left": index, "op": "gte", "right": 0}]},
            }
        )
    edges = [
        {"source": a["id"], "target": b["id"], "source_handle": "true" if a["type"] == "logic.if" else None}
        for a, b in itertools.pairwise(chain)
    ]
    return {"nodes": chain, "edges": [{k: v for k, v in e.items() if v is not None} for e in edges]}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] if ordered else float("nan")
