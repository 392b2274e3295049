"""A minimal HTTP/1.1 keep-alive load generator: N connections, each sending requests back to back.

Hand-rolled on asyncio streams on purpose: on a 2-core machine the load generator shares the CPU with the
server, so it must cost as little as possible, and it costs the same for the endpoint and its baseline.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class LoadResult:
    label: str
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] if ordered else float("nan")

    def line(self) -> str:
        return (
            f"{self.label:<28} {self.rps:9.0f} req/s   p50 {self.percentile(50):6.2f} ms   "
            f"p99 {self.percentile(99):6.2f} ms   errors {self.errors}"
        )


async def _connection(
    host: str, port: int, request: bytes, stop_at: float, latencies: list[float], errors: list[int]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            writer.write(request)
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            latencies.append((time.perf_counter() - started) * 1000)
            if not status_line.startswith(b"HTTP/1.1 2"):
                errors.append(1)
    finally:
        writer.close()


async def run_load(
    label: str,
    host: str,
    port: int,
    path: str,
    *,
    headers: dict[str, str],
    concurrency: int,
    seconds: float,
    method: str = "GET",
    body: bytes = b"",
) -> LoadResult:
    all_headers = {"Host": f"{host}:{port}", **headers}
    if body:
        all_headers["Content-Length"] = str(len(body))
    head = "".join(f"{k}: {v}\r\n" for k, v in all_headers.items())
    request = f"{method} {path} HTTP/1.1\r\n{head}\r\n".encode() + body
    latencies: list[float] = []
    errors: list[int] = []
    started = time.perf_counter()
    stop_at = started + seconds
    await asyncio.gather(
        *(_connection(host, port, request, stop_at, latencies, errors) for _ in range(concurrency))
    )
    return LoadResult(label, len(latencies), len(errors), time.perf_counter() - started, latencies)


def median(values: list[float]) -> float:
    return statistics.median(values)
