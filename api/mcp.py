"""/api/v1/mcp: AgentFlow's MCP server (streamable HTTP) — the org's opted-in agents as tools.

The MCP SDK's stateless session manager speaks the protocol; in front of it this endpoint authenticates the
caller with the same credentials as the REST API (401 before any MCP message is read), requires
`agents:read` (403), and `agents:execute` for a `tools/call` (403). The caller's org decides which tools
exist: another org's agent is neither listed nor callable.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import mcp_types as types
import orjson
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

import agentflow
from agentflow.audit.capture import write_entry
from agentflow.audit.context import audit_context, note_resource
from agentflow.auth.subject import AuthSubject
from agentflow.config import Settings
from agentflow.errors import AgentFlowError, ValidationFailed
from agentflow.mcp_server.service import CallOutcome, mcp_tool_service
from agentflow.rbac import Permission
from api.deps import get_subject
from api.errors import error_response

PATH = "/api/v1/mcp"
_SUBJECT = "agentflow.mcp.subject"
_WAIT = "agentflow.mcp.wait_seconds"
_AUDIT = "agentflow.mcp.audit"
_INSTRUCTIONS = (
    "Each tool runs one AgentFlow agent with the tool's arguments as its input and returns the agent's "
    "output. A run that takes longer than the wait answers with its execution_id and status instead."
)


class McpEndpoint:
    """The ASGI app mounted at `PATH`; its session manager runs for the app's lifespan (`run`)."""

    def __init__(self, settings: Settings) -> None:
        self.server: Server[Any] = Server(
            "agentflow",
            version=agentflow.__version__,
            instructions=_INSTRUCTIONS,
            on_list_tools=_list_tools,
            on_call_tool=_call_tool,
        )
        # Stateless, JSON answers: any API replica serves any request, and no session outlives its
        # request. DNS-rebinding checks stay off: every request needs an API key in a header, which a page
        # on another origin cannot send without CORS allowing it.
        self.manager = StreamableHTTPSessionManager(
            self.server,
            stateless=True,
            json_response=True,
            max_request_body_size=settings.max_body_bytes,
        )

    def route(self) -> Route:
        # A route of its own (not a Mount): `/api/v1/mcp` answers as it is, without a redirect to a slash.
        return Route(PATH, endpoint=self, include_in_schema=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # pragma: no cover - Route only hands over HTTP
            return
        request = Request(scope, receive)
        try:
            subject = await _authorize(request)
            wait = _wait_seconds(request)
            body = await request.body()
            if _calls_a_tool(body):
                subject.require(Permission.agents_execute)
        except AgentFlowError as exc:
            headers = exc.headers
            if exc.status_code == 401:  # what MCP clients look for to know a token is needed
                headers = {**headers, "WWW-Authenticate": 'Bearer realm="agentflow"'}
            response = error_response(exc.status_code, exc.code, exc.message, exc.details, headers)
            await response(scope, receive, send)
            return
        # The SDK may answer in a task of its own: the request's audit context travels in the scope.
        scoped = {**scope, _SUBJECT: subject, _WAIT: wait, _AUDIT: audit_context.get()}
        await self.manager.handle_request(scoped, _replay(body), send)


async def _authorize(request: Request) -> AuthSubject:
    """The caller, as the REST API authenticates it (`Authorization: Bearer …` or `X-API-Key`)."""
    subject = await get_subject(request)
    subject.require(Permission.agents_read)
    return subject


def _wait_seconds(request: Request) -> float:
    """`?wait_seconds=` shortens the wait for a run's end (never beyond `mcp_wait_seconds`)."""
    limit: float = request.app.state.settings.mcp_wait_seconds
    raw = request.query_params.get("wait_seconds")
    if raw is None:
        return limit
    try:
        asked = float(raw)
    except ValueError:
        asked = math.nan
    if not math.isfinite(asked) or asked < 0:
        raise ValidationFailed("wait_seconds must be a number of seconds, 0 or more", code="invalid_wait")
    return min(asked, limit)


def _calls_a_tool(body: bytes) -> bool:
    """Whether the JSON-RPC message (or batch) asks for `tools/call`; what is not JSON the SDK refuses."""
    try:
        message = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        return False
    messages = message if isinstance(message, list) else [message]
    return any(isinstance(m, dict) and m.get("method") == "tools/call" for m in messages)


def _replay(body: bytes) -> Receive:
    """The request's body, already read for the checks above, handed to the SDK once more."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


def _caller(ctx: ServerRequestContext[Any, Any]) -> tuple[Request, AuthSubject, float]:
    request = ctx.request
    assert isinstance(request, Request)  # streamable HTTP always attaches it
    return request, request.scope[_SUBJECT], request.scope[_WAIT]


async def _list_tools(
    ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
) -> types.ListToolsResult:
    request, subject, _ = _caller(ctx)
    async with request.app.state.read_sessionmaker() as session:
        tools = await mcp_tool_service.list_tools(session, subject=subject)
    return types.ListToolsResult(
        tools=[
            types.Tool(name=tool.name, description=tool.description, input_schema=tool.input_schema)
            for tool in tools
        ]
    )


async def _call_tool(
    ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
) -> types.CallToolResult:
    request, subject, wait = _caller(ctx)
    state = request.app.state
    audit = audit_context.set(request.scope.get(_AUDIT))
    try:
        async with state.sessionmaker() as session:
            triggered = await mcp_tool_service.start_call(
                session,
                subject=subject,
                name=params.name,
                arguments=params.arguments,
                max_input_bytes=state.settings.mcp_max_input_bytes,
                limits=state.limits,
            )
            note_resource(str(triggered.agent_id), execution_id=str(triggered.id))
            await write_entry(session)  # `agent.executed`, in the run's own transaction
            await session.commit()
    except AgentFlowError as exc:  # nothing was recorded: the caller (a model) reads why
        return _refused(exc)
    finally:
        audit_context.reset(audit)
    if triggered.created and state.dispatcher is not None:  # without Prefect it stays queued
        await state.dispatcher.dispatch_quietly(triggered.id)
    finished = await mcp_tool_service.wait(
        state.reader, state.events, org_id=subject.org_id, execution_id=triggered.id, seconds=wait
    )
    return _result(finished)


def _refused(exc: AgentFlowError) -> types.CallToolResult:
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=f"{exc.code}: {exc.message}")], is_error=True
    )


def _result(outcome: CallOutcome) -> types.CallToolResult:
    """Completed: the output. Failed, cancelled, timed out: an error with the (masked) reason. Still
    running: the execution id, to look up with GET /api/v1/executions/{id}."""
    summary: dict[str, Any] = {"execution_id": str(outcome.execution_id), "status": outcome.status}
    if not outcome.finished:
        text = (
            f"The agent is still {outcome.status}. Its execution id is {outcome.execution_id}: "
            f"GET /api/v1/executions/{outcome.execution_id} returns its output once it ends."
        )
        return _content(text, summary, is_error=False)
    if outcome.status == "completed":
        return _content(_as_text(outcome.output), {**summary, "output": outcome.output}, is_error=False)
    reason = outcome.error or f"the run ended {outcome.status}"
    return _content(
        f"The agent's run {outcome.status}: {reason}", {**summary, "error": reason}, is_error=True
    )


def _content(text: str, structured: Mapping[str, Any], *, is_error: bool) -> types.CallToolResult:
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text)],
        structured_content=dict(structured),
        is_error=is_error,
    )


def _as_text(output: Any) -> str:
    return output if isinstance(output, str) else json.dumps(output, ensure_ascii=False, default=str)
