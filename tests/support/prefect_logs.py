"""Reading a flow run's Logs tab back from Prefect's API, as the UI does."""

from __future__ import annotations

import asyncio
import time
import uuid

from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
from prefect.client.schemas.objects import Log
from prefect.client.schemas.sorting import LogSort


async def flow_run_logs(
    prefect: PrefectClient, flow_run_id: uuid.UUID | str, *, until: str, within: float = 30
) -> list[Log]:
    """The run's logs, oldest first, once a line containing `until` has arrived: workers send logs in
    batches (every 2 s by default), so the last line tells the batch holding it has been written."""
    run_filter = LogFilter(flow_run_id=LogFilterFlowRunId(any_=[uuid.UUID(str(flow_run_id))]))
    deadline = time.monotonic() + within
    logs: list[Log] = []
    while time.monotonic() < deadline:
        logs = await prefect.read_logs(log_filter=run_filter, sort=LogSort.TIMESTAMP_ASC, limit=200)
        if any(until in log.message for log in logs):  # a record holds several lines
            return logs
        await asyncio.sleep(0.2)
    lines = "\n".join(log.message for log in logs)
    raise AssertionError(f"no log line with {until!r} within {within}s; the run logged:\n{lines}")


def engine_lines(logs: list[Log]) -> list[tuple[str, str]]:
    """The engine's lines (several to a record, each `HH:MM:SS.mmm [LEVEL ]text`) as (level, text)."""
    lines = []
    for log in logs:
        if log.name != "agentflow.engine":
            continue
        for line in log.message.split("\n"):
            _, _, text = line.partition(" ")
            level, _, rest = text.partition(" ")
            lines.append((level, rest) if level in ("WARNING", "ERROR") else ("INFO", text))
    return lines
