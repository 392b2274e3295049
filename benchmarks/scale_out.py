"""Scale-out on one machine: the webhook benchmark's 2-node agent against 1 vs 2 AgentFlow workers and 1 vs 2
Prefect API processes (with Redis, Prefect's services in their own process).

    python -m benchmarks.scale_out [--seconds 60] [--concurrency 20,100] [--variants 1-worker,2-workers,...]

Each variant is its own fresh `agentflow up` (settings from the environment: AGENTFLOW_WORKERS,
AGENTFLOW_PREFECT_WORKERS, AGENTFLOW_REDIS_URL), measured one after the other in the same run with
benchmarks/webhook_throughput.py's `measure` (nothing lost: every accepted request must have a completed
execution); the first variant is the baseline of the ratios. The benchmark starts Debian's redis-server on a
free loopback port for each Redis variant.

Variants: `1-worker` (the default stack), `2-workers`, `redis-1-prefect` (Redis, one Prefect API process and
the services process), `redis-2-prefect` (two Prefect API processes), `redis-2-prefect-2-workers`.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from agentflow.embedded.ports import free_port, wait_for_port
from benchmarks.stack import BenchStack
from benchmarks.webhook_throughput import Figures, measure, run_from_command_line

REDIS = "{redis}"  # replaced by the URL of the redis-server this run starts
VARIANTS: dict[str, dict[str, str]] = {
    "1-worker": {},
    "2-workers": {"AGENTFLOW_WORKERS": "2"},
    "redis-1-prefect": {"AGENTFLOW_REDIS_URL": REDIS, "AGENTFLOW_PREFECT_WORKERS": "1"},
    "redis-2-prefect": {"AGENTFLOW_REDIS_URL": REDIS, "AGENTFLOW_PREFECT_WORKERS": "2"},
    "redis-2-prefect-2-workers": {
        "AGENTFLOW_REDIS_URL": REDIS,
        "AGENTFLOW_PREFECT_WORKERS": "2",
        "AGENTFLOW_WORKERS": "2",
    },
}


@contextmanager
def redis_server() -> Iterator[str]:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="agentflow-bench-redis-")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        if not wait_for_port("127.0.0.1", port, timeout=20):
            raise SystemExit("redis-server did not start")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        shutil.rmtree(workdir, ignore_errors=True)


def run_variant(name: str, seconds: float, concurrencies: list[int]) -> list[Figures]:
    # A fresh Redis per variant: nothing left over from the previous stack's streams.
    with redis_server() as redis_url:
        env = {key: value.replace(REDIS, redis_url) for key, value in VARIANTS[name].items()}
        stack = BenchStack.start(env=env, timeout=600)
        try:
            return [asyncio.run(measure(stack, name, seconds, c)) for c in concurrencies]
        finally:
            stack.stop()


def main() -> None:
    run_from_command_line(
        __doc__, VARIANTS, "1-worker,2-workers,redis-1-prefect,redis-2-prefect", run_variant
    )


if __name__ == "__main__":
    main()
