"""The loopback webhook receiver of benchmarks/webhook_deliveries.py, in its own process (so it shares no
interpreter with the client measured): POST /hook answers 204 and notes when each `webhook-id` arrived;
GET /stats tells the count and those times (wall clock)."""

from __future__ import annotations

import sys
import time

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

count = 0
arrived: dict[str, float] = {}


async def hook(request: Request) -> Response:
    global count
    await request.body()
    count += 1
    msg_id = request.headers.get("webhook-id")
    if msg_id:
        arrived.setdefault(msg_id, time.time())
    return Response(status_code=204)


async def stats(request: Request) -> Response:
    return JSONResponse({"count": count, "arrived": arrived})


app = Starlette(routes=[Route("/hook", hook, methods=["POST"]), Route("/stats", stats)])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
