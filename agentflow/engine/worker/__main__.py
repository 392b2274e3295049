"""`python -m agentflow.engine.worker --pool agentflow`: start the in-process worker.

A separate entry point because Prefect reads its settings when it is imported: the worker's own settings
must be in the environment first.
"""

from __future__ import annotations

import argparse
import asyncio
import os


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the AgentFlow in-process Prefect worker.")
    parser.add_argument("--pool", default="agentflow")
    parser.add_argument("--name", default=f"agentflow-worker-{os.getpid()}")
    parser.add_argument("--limit", type=int, default=100, help="Flow runs executing at once in this process.")
    args = parser.parse_args()
    os.environ.setdefault("PREFECT_WORKER_QUERY_SECONDS", "10")  # fallback poll; events wake us first
    os.environ.setdefault("PREFECT_WORKER_PREFETCH_SECONDS", "0")
    os.environ["PREFECT_WORKER_ENABLE_CANCELLATION"] = "false"  # our own subscription handles Cancelling

    from agentflow.engine.worker.inproc import serve
    from agentflow.logs import configure_logging

    configure_logging(json=True, level=os.environ.get("AGENTFLOW_LOG_LEVEL", "INFO"))
    asyncio.run(serve(args.pool, args.name, args.limit))


if __name__ == "__main__":
    main()
