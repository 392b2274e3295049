"""Node handlers against a real loopback server: SSRF guard, auth from secrets, previews, signing, limits."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from agentflow.engine.worker import test_nodes
from agentflow.nodes.context import NodeResult
from agentflow.nodes.errors import is_retryable
from agentflow.nodes.logic.handler import evaluate
from tests.agentflow.engine.conftest import edge, node, walk
from tests.support.outside import Outside, json_reply, outside_server


def one(node_raw: dict[str, Any]) -> dict[str, Any]:
    return {"nodes": [node("start", "trigger"), node_raw], "edges": [edge("start", node_raw["id"])]}


async def test_private_addresses_are_refused_unless_the_operator_allows_them(
    http: httpx.AsyncClient, strict_http: httpx.AsyncClient, outside: Outside
) -> None:
    raw = one(node("call", "action.http", url=outside.url + "/x"))
    refused = await walk(raw, strict_http)
    assert refused.result.status == "failed"
    assert "private or local address" in (refused.result.error or "")
    assert "AGENTFLOW_EGRESS_ALLOWLIST" in (refused.result.error or "")
    assert outside.requests == []
    port = outside.url.rsplit(":", 1)[1]
    for url in (
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]:9/",
        "http://10.0.0.1/",
        "http://localhost:1/",
        # IPv6 forms that carry a loopback IPv4 address: compatible, NAT64, 6to4, mapped.
        f"http://[::7f00:1]:{port}/",
        f"http://[64:ff9b::7f00:1]:{port}/",
        f"http://[2002:7f00:1::1]:{port}/",
        f"http://[::ffff:127.0.0.1]:{port}/",
        "http://0.0.0.0:1/",
    ):
        run = await walk(one(node("call", "action.http", url=url)), strict_http)
        assert "private or local" in (run.result.error or ""), url
        assert run.result.status == "failed"
    assert outside.requests == []
    allowed = await walk(raw, http)
    assert allowed.result.status == "completed"


async def test_redirects_are_followed_hop_by_hop(http: httpx.AsyncClient, outside: Outside) -> None:
    async def to_final(request: Request, body: Any) -> Response:
        return RedirectResponse(outside.url + "/final", status_code=307)

    outside.routes["/hop"] = to_final
    followed = await walk(one(node("call", "action.http", url=outside.url + "/hop")), http)
    assert followed.result.outputs["call"]["body"] == {"echo": "/final", "method": "GET"}
    assert [r.path for r in outside.requests] == ["/hop", "/final"]


async def test_a_redirect_to_another_origin_drops_credentials(
    http: httpx.AsyncClient, outside: Outside
) -> None:
    """An attacker's server redirects a signed-in request elsewhere: the secret must not follow it."""
    port = outside.url.rsplit(":", 1)[1]

    async def elsewhere(request: Request, body: Any) -> Response:  # same server, another origin
        return RedirectResponse(f"http://localhost:{port}/landing", status_code=307)

    outside.routes["/bounce"] = elsewhere
    config = {
        "url": outside.url + "/bounce",
        "headers": {"Cookie": "session=abc", "X-Trace": "keep-me"},
        "auth": {"type": "api_key", "secret": "TOKEN", "header": "X-Custom-Key"},
    }
    run = await walk(one(node("call", "action.http", **config)), http, env={"TOKEN": "s3cret"})
    assert run.result.status == "completed", run.result.error
    first, landing = outside.requests[-2], outside.requests[-1]
    assert first.headers["x-custom-key"] == "s3cret" and first.headers["cookie"] == "session=abc"
    assert landing.path == "/landing"
    assert "x-custom-key" not in landing.headers and "cookie" not in landing.headers
    assert landing.headers["x-trace"] == "keep-me"
    bearer = {**config, "auth": {"type": "bearer", "secret": "TOKEN"}}
    await walk(one(node("call", "action.http", **bearer)), http, env={"TOKEN": "s3cret"})
    assert "authorization" not in outside.requests[-1].headers


async def test_every_redirect_hop_passes_the_guard(strict_http: httpx.AsyncClient) -> None:
    """A public URL that redirects to the metadata address is refused at the hop, not followed."""
    from agentflow.egress import EgressPolicy, EgressRefused, guarded_client
    from agentflow.egress.requests import send

    with outside_server() as public:  # stands in for a public host: its own address is allowlisted

        async def inward(request: Request, body: Any) -> Response:
            return RedirectResponse("http://169.254.169.254/latest/meta-data", status_code=302)

        public.routes["/go"] = inward
        host_port = public.url.removeprefix("http://")
        async with guarded_client(EgressPolicy.build(host_port)) as client:
            with pytest.raises(EgressRefused, match=r"169\.254\.169\.254"):
                await send(client, "GET", public.url + "/go", timeout=5, max_bytes=1000)
        assert [r.path for r in public.requests] == ["/go"]


async def test_auth_comes_from_org_secrets(http: httpx.AsyncClient, outside: Outside) -> None:
    for auth, header, expected in [
        ({"type": "bearer", "secret": "TOKEN"}, "authorization", "Bearer s3cret"),
        ({"type": "basic", "secret": "TOKEN", "username": "bot"}, "authorization", "Basic Ym90OnMzY3JldA=="),
        ({"type": "api_key", "secret": "TOKEN", "header": "X-Key"}, "x-key", "s3cret"),
    ]:
        run = await walk(
            one(node("call", "action.http", url=outside.url + "/a", auth=auth)), http, env={"TOKEN": "s3cret"}
        )
        assert run.result.status == "completed", run.result.error
        assert outside.requests[-1].headers[header] == expected
    missing = await walk(
        one(node("call", "action.http", url=outside.url + "/a", auth={"type": "bearer", "secret": "NOPE"})),
        http,
    )
    assert "NOPE" in (missing.result.error or "")


async def test_transient_answers_are_retryable_and_4xx_are_not(
    http: httpx.AsyncClient, outside: Outside
) -> None:
    outside.routes["/busy"] = json_reply({}, status=503)
    outside.routes["/limited"] = json_reply({}, status=429)
    outside.routes["/bad"] = json_reply({}, status=422)
    import uuid

    from agentflow.nodes.context import NodeContext
    from agentflow.nodes.errors import StepError
    from agentflow.nodes.http.handler import HttpHandler

    ctx = NodeContext(execution_id=uuid.uuid4(), org_id=uuid.uuid4(), http=http)
    for path, retryable in [("/busy", True), ("/limited", True), ("/bad", False)]:
        with pytest.raises(StepError) as caught:
            await HttpHandler().run(
                None, {"method": "GET", "url": outside.url + path, "timeout_seconds": 5}, ctx
            )  # type: ignore[arg-type]
        assert is_retryable(caught.value) is retryable, path
    assert is_retryable(httpx.ConnectTimeout("slow"))
    assert not is_retryable(ValueError("bug"))


async def test_response_size_is_limited(http: httpx.AsyncClient, outside: Outside) -> None:
    async def huge(request: Request, body: Any) -> Response:
        return Response(b"x" * (6 * 1024 * 1024), media_type="text/plain")

    outside.routes["/huge"] = huge
    run = await walk(one(node("call", "action.http", url=outside.url + "/huge")), http)
    assert run.result.status == "failed"
    assert "larger than" in (run.result.error or "")


async def test_preview_mode_describes_side_effects_without_acting(
    http: httpx.AsyncClient, outside: Outside
) -> None:
    raw = {
        "nodes": [
            node("start", "trigger"),
            node("read", "action.http", url=outside.url + "/read"),
            node("write", "action.http", method="POST", url=outside.url + "/write", json={"x": 1}),
            node("hook", "action.webhook", url=outside.url + "/hook", payload={"y": 2}),
        ],
        "edges": [edge("start", "read"), edge("read", "write"), edge("write", "hook")],
    }
    run = await walk(raw, http, preview=True)
    assert run.result.status == "completed"
    assert [r.path for r in outside.requests] == ["/read"]  # reads happen, writes are previewed
    assert run.result.outputs["write"]["preview"] is True
    assert run.result.outputs["write"]["request"]["json"] == {"x": 1}
    assert run.result.outputs["hook"]["preview"] is True


async def test_a_test_run_merges_a_sample_response_into_the_preview_for_downstream_nodes(
    http: httpx.AsyncClient, outside: Outside
) -> None:
    raw = {
        "nodes": [
            node("start", "trigger"),
            node("create", "action.http", method="POST", url=outside.url + "/tickets", json={"t": 1}),
            node(
                "notify",
                "action.webhook",
                url=outside.url + "/hook",
                payload={"id": "{{create.output.body.id}}"},
            ),
        ],
        "edges": [edge("start", "create"), edge("create", "notify")],
    }
    sample = {"status": 201, "headers": {}, "body": {"id": "T-7"}}
    run = await walk(raw, http, preview=True, test_options={"create": {"mode": "sample", "sample": sample}})
    assert run.result.status == "completed"
    assert outside.requests == []  # the sample stands in for the response: nothing was sent
    created = run.result.outputs["create"]
    assert created["preview"] is True and created["request"]["json"] == {"t": 1}
    assert created["status"] == 201 and created["body"] == {"id": "T-7"}
    assert run.result.outputs["notify"]["preview"] is True
    assert run.result.outputs["notify"]["payload"] == {"id": "T-7"}  # read downstream


async def test_a_test_run_really_sends_only_the_nodes_it_is_told_to(
    http: httpx.AsyncClient, outside: Outside
) -> None:
    raw = {
        "nodes": [
            node("start", "trigger"),
            node("create", "action.http", method="POST", url=outside.url + "/tickets", json={"t": 1}),
            node("other", "action.http", method="POST", url=outside.url + "/other", json={"t": 2}),
        ],
        "edges": [edge("start", "create"), edge("create", "other")],
    }
    run = await walk(raw, http, preview=True, test_options={"create": {"mode": "send", "sample": None}})
    assert run.result.status == "completed"
    assert [r.path for r in outside.requests] == ["/tickets"]
    assert "preview" not in run.result.outputs["create"]
    assert run.result.outputs["other"]["preview"] is True
    # Outside a test run the options change nothing (a published run never previews).
    assert test_nodes.with_sample(
        NodeResult(output={"status": 200}), {"mode": "sample", "sample": {"status": 500}}
    ).output == {"status": 200}


async def test_webhook_is_signed_with_the_named_secret(http: httpx.AsyncClient, outside: Outside) -> None:
    raw = one(
        node(
            "hook",
            "action.webhook",
            url=outside.url + "/hook",
            payload={"a": "{{trigger.output.a}}"},
            signing_secret="HOOK_SECRET",
        )
    )
    run = await walk(raw, http, trigger_input={"a": 1}, env={"HOOK_SECRET": "k3y"})
    assert run.result.outputs["hook"] == {"status": 200}
    request = outside.requests[-1]
    assert request.body == b'{"a":1}'
    expected = "sha256=" + hmac.new(b"k3y", request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-agentflow-signature"] == expected


async def test_trigger_input_is_checked_against_its_schema(http: httpx.AsyncClient) -> None:
    raw = {
        "nodes": [
            node(
                "start",
                "trigger",
                input_schema={
                    "type": "object",
                    "required": ["email"],
                    "properties": {"email": {"type": "string"}},
                },
            )
        ],
        "edges": [],
    }
    assert (await walk(raw, http, trigger_input={"email": "a@b.c"})).result.status == "completed"
    bad = await walk(raw, http, trigger_input={"mail": 1})
    assert bad.result.status == "failed"
    assert "input_schema" in (bad.result.error or "")


async def test_delay_waits_and_reports(http: httpx.AsyncClient) -> None:
    raw = one(node("wait", "logic.delay", seconds="{{trigger.output.s}}"))
    run = await walk(raw, http, trigger_input={"s": 0.05})
    assert run.result.outputs["wait"] == {"waited_seconds": 0.05}
    past = await walk(one(node("wait", "logic.delay", until="2000-01-01T00:00:00+00:00")), http)
    assert past.result.outputs["wait"] == {"waited_seconds": 0.0}
    naive = await walk(one(node("wait", "logic.delay", until="2030-01-01T00:00:00")), http)
    assert "UTC offset" in (naive.result.error or "")


@pytest.mark.parametrize(
    ("left", "op", "right", "expected"),
    [
        ("bug", "eq", "bug", True),
        ("3", "eq", 3, True),
        (3, "ne", 4, True),
        ("10", "gt", 9, True),
        ("b", "lt", "c", True),
        ("hello world", "contains", "world", True),
        (["a", "b"], "contains", "b", True),
        ("a", "in", ["a", "b"], True),
        (None, "exists", None, False),
        ("", "empty", None, True),
        ([], "empty", None, True),
        ("abc-123", "matches", r"\d+$", True),
        ("x", "not_contains", "y", True),
        ("Order #42 shipped", "matches", r"#\d+ ship", True),  # a search anywhere, as re.search
        ("ADA", "matches", r"(?i)^ada$", True),
        # the false side of every operator
        ("bug", "eq", "feature", False),
        ("3", "eq", 4, False),
        (3, "ne", 3, False),
        ("9", "gt", 10, False),
        (10, "gt", 10, False),
        ("c", "lt", "b", False),
        (10, "lt", 9, False),
        ("z", "in", ["a", "b"], False),
        ("ab", "in", "cab", True),
        ("x", "in", "abc", False),
        ("hello world", "contains", "planet", False),
        (["a", "b"], "contains", "c", False),
        ({"a": 1}, "contains", "b", False),
        (42, "contains", "4", False),
        ("x", "not_contains", "x", False),
        ("value", "exists", None, True),
        ("text", "empty", None, False),
        ("abc-123", "matches", r"^\d+$", False),
        ("abc", "matches", r"ABC", False),
    ],
)
def test_condition_operators(left: Any, op: str, right: Any, expected: bool) -> None:
    assert evaluate(left, op, right) is expected


def test_incomparable_values_fail_clearly() -> None:
    from agentflow.nodes.errors import PermanentStepError

    with pytest.raises(PermanentStepError, match="Cannot compare"):
        evaluate({"a": 1}, "gt", 3)


def test_a_catastrophic_pattern_answers_at_once() -> None:
    # `(a+)+$` against a long near-miss backtracks for ages in Python's `re`; RE2 is linear in the text.
    assert evaluate("a" * 5000 + "b", "matches", r"(a+)+$") is False
    assert evaluate("a" * 5000, "matches", r"(a+)+$") is True
    assert evaluate("x" * 100_000 + "!", "matches", r"^(\w+\s?)*$") is False


@pytest.mark.parametrize(
    "pattern", [r"(a)\1", r"(?P<w>a)(?P=w)", r"foo(?=bar)", r"foo(?!bar)", r"(?<=x)y", r"(?<!x)y", r"(?>a+)"]
)
def test_patterns_that_need_backtracking_fail_the_step_clearly(pattern: str) -> None:
    from agentflow.nodes.errors import PermanentStepError

    with pytest.raises(PermanentStepError, match="is not supported: backreferences/lookaround") as caught:
        evaluate("aa", "matches", pattern)
    assert repr(pattern) in caught.value.message
    assert not is_retryable(caught.value)


def test_an_invalid_pattern_fails_the_step_clearly() -> None:
    from agentflow.nodes.errors import PermanentStepError

    with pytest.raises(PermanentStepError, match=r"'\[a-' is not a valid regular expression"):
        evaluate("a", "matches", "[a-")


async def test_an_if_node_with_a_catastrophic_pattern_completes(http: httpx.AsyncClient) -> None:
    check = node(
        "check",
        "logic.if",
        conditions=[{"left": "{{trigger.output.text}}", "op": "matches", "right": "(a+)+$"}],
    )
    run = await walk(one(check), http, trigger_input={"text": "a" * 5000 + "b"})
    assert run.result.status == "completed"
    assert run.result.outputs["check"] == {"result": False}


async def test_a_template_that_loops_forever_fails_its_step(http: httpx.AsyncClient) -> None:
    nested = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    run = await walk(one(node("wait", "logic.delay", seconds=nested)), http)
    assert run.result.status == "failed"
    assert "did too much work" in (run.result.error or "") or "took too long" in (run.result.error or "")


async def test_schema_patterns_run_in_linear_time(http: httpx.AsyncClient) -> None:
    # A webhook's body is checked against the tenant's input_schema in the API: `(a+)+$` must not backtrack.
    schema = {
        "type": "object",
        "properties": {"code": {"type": "string", "pattern": "(a+)+$"}},
        "patternProperties": {"^(x+x+)+y$": {"type": "integer"}},
        "additionalProperties": {"type": "string"},
    }
    raw = {"nodes": [node("start", "trigger", input_schema=schema)], "edges": []}
    near_miss = {"code": "a" * 5000 + "b", "x" * 5000: "not checked as an integer"}
    refused = await walk(raw, http, trigger_input=near_miss)
    assert refused.result.status == "failed"
    assert "does not match '(a+)+$'" in (refused.result.error or "")
    fine = await walk(raw, http, trigger_input={"code": "aaa", "xxxy": 3, "x" * 5000: "text"})
    assert fine.result.status == "completed"
    wrong_type = await walk(raw, http, trigger_input={"code": "aaa", "xxxy": "three"})
    assert "is not of type 'integer'" in (wrong_type.result.error or "")


async def test_a_schema_pattern_that_needs_backtracking_is_named(http: httpx.AsyncClient) -> None:
    schema = {"type": "object", "properties": {"word": {"type": "string", "pattern": r"(\w)\1"}}}
    raw = {"nodes": [node("start", "trigger", input_schema=schema)], "edges": []}
    run = await walk(raw, http, trigger_input={"word": "aa"})
    assert run.result.status == "failed"
    assert "is not supported: backreferences/lookaround" in (run.result.error or "")
