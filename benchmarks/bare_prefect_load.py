"""Bare Prefect under load, the side-by-side baseline: `concurrency` clients in one process each run
the 2-task flow of benchmarks/bare_flows.py back to back for `seconds`, against the Prefect API in the
environment (PREFECT_API_URL, PREFECT_API_AUTH_STRING). Prints one JSON line: flow runs completed, errors,
seconds and each run's latency.

    python -m benchmarks.bare_prefect_load CONCURRENCY SECONDS
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from benchmarks.bare_flows import bare_tasks


async def load(concurrency: int, seconds: float) -> dict[str, object]:
    latencies: list[float] = []
    errors = 0
    stop_at = time.monotonic() + seconds

    async def client() -> None:
        nonlocal errors
        while time.monotonic() < stop_at:
            started = time.monotonic()
            try:
                await bare_tasks(2)
            except Exception:  # counted, like a failed request; the load goes on
                errors += 1
            else:
                latencies.append(time.monotonic() - started)

    started = time.monotonic()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return {
        "completed": len(latencies),
        "errors": errors,
        "seconds": time.monotonic() - started,
        "latencies": latencies,
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(load(int(sys.argv[1]), float(sys.argv[2])))))
