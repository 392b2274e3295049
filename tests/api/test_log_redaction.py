"""Credentials that travel in URLs never reach the logs: a real uvicorn server runs the app with the logging
production installs, and a browser-style WebSocket/EventSource `?token=`, a webhook token and an invitation
token are sent to it; the captured log text holds none of them."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import io
import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from websockets.asyncio.client import connect

from agentflow.auth.tokens import issue_access_token
from agentflow.config import Settings
from agentflow.embedded.ports import free_port
from agentflow.logs import configure_logging
from api.app import create_app

_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "httpx")


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """The test installs the production logging; everything after it gets pytest's back."""
    root = logging.getLogger()
    saved_root = (root.handlers[:], root.level)
    saved = {
        n: (lg.handlers[:], lg.filters[:], lg.propagate, lg.level)
        for n in _LOGGERS
        for lg in [logging.getLogger(n)]
    }
    thresholds = gc.get_threshold()
    yield
    root.handlers[:], level = saved_root
    root.setLevel(level)
    for name, (handlers, filters, propagate, level) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:], logger.filters[:], logger.propagate = handlers, filters, propagate
        logger.setLevel(level)
    gc.set_threshold(*thresholds)  # the app's lifespan tunes the collector for a long-lived server


@contextlib.contextmanager
def serve(settings: Settings, log: io.StringIO) -> Iterator[str]:
    """`uvicorn api.app:create_app --factory` on a free port, its log handler writing into `log`."""

    def factory() -> FastAPI:
        app = create_app(settings)  # configure_logging runs here, after uvicorn's own, as in production
        handler = logging.getLogger().handlers[0]
        assert isinstance(handler, logging.StreamHandler)
        handler.setStream(log)
        return app

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(factory, factory=True, host="127.0.0.1", port=port, log_level="info")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, log.getvalue()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


async def logged(log: io.StringIO, *needles: str) -> str:
    """The log text once every needle is in it (the server's thread writes an access line after the response
    is sent), or after 10 s."""
    for _ in range(200):
        if all(n in log.getvalue() for n in needles):
            break
        await asyncio.sleep(0.05)
    return log.getvalue()


async def test_url_tokens_are_redacted_in_every_log_line(settings: Settings, restored_logging: None) -> None:
    access_token = issue_access_token(settings, user_id=uuid.uuid4(), org_id=uuid.uuid4())
    hook_token = "whk_" + uuid.uuid4().hex
    invitation_token = "inv" + uuid.uuid4().hex
    execution = uuid.uuid4()
    log = io.StringIO()
    with serve(settings, log) as host:
        # A browser's WebSocket can only authenticate in the query string; uvicorn logs that URL itself.
        async with connect(f"ws://{host}/api/v1/executions/{execution}/stream?token={access_token}") as ws:
            with contextlib.suppress(Exception):
                await ws.recv()
        async with httpx.AsyncClient(base_url=f"http://{host}/api/v1") as client:
            sse = await client.get(f"/executions/{execution}/stream", params={"token": access_token, "x": 1})
            hook = await client.post(f"/hooks/{hook_token}", json={"hello": "world"})
            preview = await client.get(f"/invitations/{invitation_token}")
            accept = await client.post(f"/invitations/{invitation_token}/accept", json={})
        assert sse.status_code == 401 and hook.status_code in (404, 503)  # 503: no Prefect here
        assert preview.status_code == 404 and accept.status_code in (404, 422)
        text = await logged(
            log,
            "stream?token=[redacted]",
            "/api/v1/hooks/[redacted]",
            "/api/v1/invitations/[redacted]/accept",
        )

    for secret in (access_token, hook_token, invitation_token):
        assert secret not in text
    lines = [json.loads(line) for line in text.splitlines()]
    websocket_line = next(line for line in lines if "WebSocket" in line["message"])
    assert websocket_line["logger"] == "uvicorn.error"
    assert f"/api/v1/executions/{execution}/stream?token=[redacted]" in websocket_line["message"]
    paths = {line.get("path") for line in lines if line["logger"] == "agentflow.access"}
    assert {
        f"/api/v1/executions/{execution}/stream",
        "/api/v1/hooks/[redacted]",
        "/api/v1/invitations/[redacted]",
        "/api/v1/invitations/[redacted]/accept",
    } <= paths


def test_the_configured_handler_redacts_messages_extras_and_tracebacks(restored_logging: None) -> None:
    configure_logging(json=True, level="INFO")
    log = io.StringIO()
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(log)
    logger = logging.getLogger("agentflow.somewhere")
    secret = "s3cr3t-" + uuid.uuid4().hex

    logger.info(
        "calling %s", f"https://x.example/cb?a=1&access_token={secret}", extra={"url": f"/hooks/{secret}"}
    )
    try:
        raise RuntimeError(f"GET /invitations/{secret}/accept failed")
    except RuntimeError:
        logger.exception("while serving /api/v1/executions/1/stream?token=%s", secret)
    logging.getLogger("agentflow.access").info(
        "GET /api/v1/org/invitations/5d1f 204", extra={"path": "/api/v1/org/invitations/5d1f"}
    )

    text = log.getvalue()
    assert secret not in text
    first, second, third = (json.loads(line) for line in text.splitlines())
    assert first["message"] == "calling https://x.example/cb?a=1&access_token=[redacted]"
    assert first["url"] == "/hooks/[redacted]"
    assert second["message"] == "while serving /api/v1/executions/1/stream?token=[redacted]"
    assert "/invitations/[redacted]/accept failed" in second["exc_info"]
    assert third["path"] == "/api/v1/org/invitations/5d1f"  # an invitation's id, not its token: kept


async def test_the_access_log_redacts_at_the_source(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Without the production handler too (an app embedded with its own logging), the access line is clean."""
    secret = "whk_" + uuid.uuid4().hex
    with caplog.at_level("INFO", logger="agentflow.access"):
        await client.post(f"/hooks/{secret}", json={})
    record = next(r for r in caplog.records if r.name == "agentflow.access")
    assert record.getMessage().startswith("POST /api/v1/hooks/[redacted] ")
    assert getattr(record, "path", None) == "/api/v1/hooks/[redacted]"
    assert secret not in caplog.text
