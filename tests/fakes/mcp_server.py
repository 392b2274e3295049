"""An MCP server on a loopback port, built with the `mcp` SDK's own server (MCPServer over streamable HTTP),
behind a bearer-token check like a hosted MCP server's. It records the headers of every HTTP request and the
notes its one side-effecting tool created."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from agentflow.embedded.ports import free_port

TOKEN = "mcp-secret-token"


@dataclass
class NotesServer:
    token: str = TOKEN
    notes: list[dict[str, str]] = field(default_factory=list)
    seen_headers: list[dict[str, str]] = field(default_factory=list)

    def reset(self) -> None:
        self.notes.clear()
        self.seen_headers.clear()

    def mcp(self) -> MCPServer:
        server = MCPServer("notes", version="1.2.0")

        @server.tool(annotations=ToolAnnotations(read_only_hint=True))
        def add(a: int, b: int) -> int:
            """Add two integers."""
            return a + b

        @server.tool()
        def create_note(title: str, text: str = "") -> dict[str, Any]:
            """Create a note."""
            self.notes.append({"title": title, "text": text})
            return {"id": len(self.notes), "title": title}

        @server.tool(annotations=ToolAnnotations(read_only_hint=True))
        def weather(city: str) -> str:
            """Today's weather in a city."""
            if city != "Paris":
                raise ToolError(f"unknown city: {city}")
            return "sunny"

        return server

    def app(self) -> Any:
        inner = self.mcp().streamable_http_app()

        async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
                self.seen_headers.append(headers)
                if headers.get("authorization") != f"Bearer {self.token}":
                    response = JSONResponse({"error": "invalid_token"}, status_code=401)
                    await response(scope, receive, send)
                    return
            await inner(scope, receive, send)

        inner_router = inner.router

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "lifespan":  # the SDK's session manager runs in the app's lifespan
                await inner_router.lifespan(scope, receive, send)
                return
            await guarded(scope, receive, send)

        return app


class LifespanServer:
    """Like tests/fakes/loopback.LoopbackServer, with the ASGI lifespan on (the MCP session manager)."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="error", lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name=f"mcp-{self.port}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def start(self) -> LifespanServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the MCP server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)
