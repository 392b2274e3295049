"""The same 2-node flow, side by side in one run: AgentFlow (standard path and fast lane), Langflow's executor
(`lfx serve`) and bare Prefect flow runs.

    python -m benchmarks.side_by_side [--seconds 60] [--concurrency 20,100]

- **agentflow-standard / agentflow-fast**: benchmarks/webhook_throughput.py's `measure` on one fresh
  `agentflow up` (webhook → logic.if; every execution recorded, nothing lost, checked).
- **bare-prefect**: the 2-task flow of benchmarks/bare_flows.py run by `concurrency` clients in one process
  (benchmarks/bare_prefect_load.py) against the same stack's Prefect server: Prefect's own cost per flow run
  with nothing of AgentFlow around it.
- **lfx**: `lfx serve` with Langflow's own 2-component "hello world" template (Text Input → Chat Output), its
  `POST /flows/{id}/run` driven by the same load generator. It keeps no record of a run (no database).

lfx is installed once into its own virtualenv (its dependencies are not ours), under
~/.cache/agentflow-benchmarks/ (or where LFX_VENV points). Ratios are completed/s against agentflow-standard
at the same client count.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from agentflow.embedded.ports import free_port, wait_for_port
from benchmarks.loadgen import run_load
from benchmarks.stack import REPO, BenchStack, percentile
from benchmarks.webhook_throughput import measure, two_node_agent

LFX_VERSION = "1.13.0"
LFX_KEY = "side-by-side"


@dataclass
class Row:
    variant: str
    clients: int
    completed_per_s: float
    p50: float
    p99: float
    errors: int

    def line(self, baseline: Row) -> str:
        ratio = self.completed_per_s / baseline.completed_per_s if baseline.completed_per_s else float("nan")
        return (
            f"| {self.variant} | {self.clients} | {self.completed_per_s:.1f} | {self.p50:.3f} s | "
            f"{self.p99:.3f} s | {self.errors} | {ratio:.2f} |"
        )


def lfx_venv() -> Path:
    venv = Path(
        os.environ.get("LFX_VENV", Path.home() / ".cache" / "agentflow-benchmarks" / f"lfx-{LFX_VERSION}")
    )
    if not (venv / "bin" / "lfx").exists():
        print(f"installing lfx {LFX_VERSION} into {venv} (once)…", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", f"lfx=={LFX_VERSION}"], check=True)
    return venv


def agentflow_rows(seconds: float, concurrencies: list[int]) -> list[Row]:
    stack = BenchStack.start(timeout=600)
    rows = []
    try:
        for variant, settings in (
            ("agentflow-standard", None),
            ("agentflow-fast", {"execution_mode": "fast"}),
        ):
            for clients in concurrencies:
                figures = asyncio.run(measure(stack, variant, seconds, clients, two_node_agent(settings)))
                row = Row(variant, clients, figures.completed_per_s, figures.p50, figures.p99, figures.lost)
                rows.append(row)
        for clients in concurrencies:
            rows.append(bare_prefect(stack, seconds, clients))
    finally:
        stack.stop()
    return rows


def bare_prefect(stack: BenchStack, seconds: float, clients: int) -> Row:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {"PREFECT_API_URL": stack.prefect, "PREFECT_API_AUTH_STRING": stack.prefect_auth}
    env["PREFECT_LOGGING_LEVEL"] = "WARNING"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bare_prefect_load", str(clients), str(seconds)],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    latencies = result["latencies"]
    print(f"bare-prefect c={clients}: {result['completed']} flow runs, {result['errors']} errors", flush=True)
    return Row(
        "bare-prefect",
        clients,
        result["completed"] / result["seconds"],
        statistics.median(latencies),
        percentile(latencies, 99),
        result["errors"],
    )


def lfx_rows(seconds: float, concurrencies: list[int]) -> list[Row]:
    venv = lfx_venv()
    template = next(venv.glob("lib/python*/site-packages/lfx/templates/flows/hello-world.json"))
    port = free_port()
    server = subprocess.Popen(
        [str(venv / "bin" / "lfx"), "serve", str(template), "--host", "127.0.0.1", "--port", str(port)],
        env={**os.environ, "LANGFLOW_API_KEY": LFX_KEY},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        if not wait_for_port("127.0.0.1", port, 120):
            raise SystemExit("lfx serve did not start")
        headers = {"x-api-key": LFX_KEY}
        flow_id = httpx.get(f"http://127.0.0.1:{port}/flows", headers=headers, timeout=30).json()[0]["id"]
        check = httpx.post(
            f"http://127.0.0.1:{port}/flows/{flow_id}/run",
            headers=headers,
            json={"input_value": "hi"},
            timeout=30,
        )
        assert check.json()["success"], check.text  # the flow really runs before it is measured
        rows = []
        for clients in concurrencies:
            load = asyncio.run(
                run_load(
                    f"lfx c={clients}",
                    "127.0.0.1",
                    port,
                    f"/flows/{flow_id}/run",
                    headers={**headers, "Content-Type": "application/json"},
                    concurrency=clients,
                    seconds=seconds,
                    method="POST",
                    body=b'{"input_value": "hi"}',
                )
            )
            print(load.line(), flush=True)
            completed = load.requests - load.errors
            rows.append(
                Row(
                    "lfx",
                    clients,
                    completed / load.seconds,
                    load.percentile(50) / 1000,
                    load.percentile(99) / 1000,
                    load.errors,
                )
            )
        return rows
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--concurrency", default="20,100", help="comma-separated client counts")
    args = parser.parse_args()
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    started = time.monotonic()
    rows = agentflow_rows(args.seconds, concurrencies) + lfx_rows(args.seconds, concurrencies)
    elapsed = time.monotonic() - started
    print(f"\nThe same 2-node flow, {args.seconds:.0f} s per line ({elapsed:.0f} s in all):\n")
    print("| variant | clients | completed/s | p50 | p99 | lost or failed | vs agentflow-standard |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        baseline = next(r for r in rows if r.variant == "agentflow-standard" and r.clients == row.clients)
        print(row.line(baseline))


if __name__ == "__main__":
    main()
