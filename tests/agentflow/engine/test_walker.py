"""Graph semantics: order, branches, skips, concurrency, loops, error handles, failures."""

from __future__ import annotations

import httpx

from tests.agentflow.engine.conftest import edge, node, walk
from tests.support.outside import Outside, barrier, json_reply


async def test_linear_run_passes_outputs_along(http: httpx.AsyncClient, outside: Outside) -> None:
    outside.routes["/classify"] = json_reply({"label": "bug"})
    raw = {
        "nodes": [
            node("start", "trigger", kind="api"),
            node(
                "call",
                "action.http",
                method="POST",
                url=f"{outside.url}/classify",
                json={"text": "{{trigger.output.text}}"},
            ),
            node(
                "echo",
                "action.http",
                method="GET",
                url=outside.url + "/echo",
                query={"label": "{{call.output.body.label}}"},
            ),
        ],
        "edges": [edge("start", "call"), edge("call", "echo")],
    }
    run = await walk(raw, http, trigger_input={"text": "it crashes"})
    assert run.result.status == "completed", run.result.error
    assert [e for e in run.events if e[0] == "completed"] == [
        ("completed", "start"),
        ("completed", "call"),
        ("completed", "echo"),
    ]
    assert outside.requests[0].body == b'{"text":"it crashes"}'
    assert outside.requests[1].query == {"label": "bug"}
    assert run.result.output == {"echo": run.result.outputs["echo"]}
    assert run.inputs["echo"]["query"] == {"label": "bug"}


async def test_if_takes_one_branch_and_skips_the_other(http: httpx.AsyncClient, outside: Outside) -> None:
    raw = {
        "nodes": [
            node("start", "trigger"),
            node("check", "logic.if", conditions=[{"left": "{{trigger.output.n}}", "op": "gt", "right": 10}]),
            node("big", "action.http", url=outside.url + "/big"),
            node("small", "action.http", url=outside.url + "/small"),
            node("after_small", "action.http", url=outside.url + "/after_small"),
        ],
        "edges": [
            edge("start", "check"),
            edge("check", "big", "true"),
            edge("check", "small", "false"),
            edge("small", "after_small"),
        ],
    }
    run = await walk(raw, http, trigger_input={"n": 42})
    assert run.result.status == "completed"
    assert run.result.outputs["check"] == {"result": True}
    assert run.status("big") == "completed"
    assert run.status("small") == "skipped"
    assert run.status("after_small") == "skipped"  # skipping cascades
    assert [r.path for r in outside.requests] == ["/big"]


async def test_a_join_runs_when_any_taken_branch_arrives(http: httpx.AsyncClient, outside: Outside) -> None:
    raw = {
        "nodes": [
            node("start", "trigger"),
            node(
                "route",
                "logic.switch",
                value="{{trigger.output.kind}}",
                cases=[{"name": "bug", "equals": "bug"}, {"name": "question", "equals": "question"}],
            ),
            node("bug", "action.http", url=outside.url + "/bug"),
            node("question", "action.http", url=outside.url + "/question"),
            node("other", "action.http", url=outside.url + "/other"),
            node("join", "action.http", url=outside.url + "/join"),
        ],
        "edges": [
            edge("start", "route"),
            edge("route", "bug", "bug"),
            edge("route", "question", "question"),
            edge("route", "other", "default"),
            edge("bug", "join"),
            edge("question", "join"),
            edge("other", "join"),
        ],
    }
    run = await walk(raw, http, trigger_input={"kind": "question"})
    assert run.result.outputs["route"] == {"matched": "question"}
    assert [r.path for r in outside.requests] == ["/question", "/join"]
    assert run.status("bug") == "skipped"
    assert run.status("other") == "skipped"
    unmatched = await walk(raw, http, trigger_input={"kind": "praise"})
    assert unmatched.result.outputs["route"] == {"matched": "default"}


async def test_independent_branches_run_concurrently(http: httpx.AsyncClient, outside: Outside) -> None:
    outside.routes["/together"] = barrier(3)
    raw = {
        "nodes": [node("start", "trigger")]
        + [node(f"b{i}", "action.http", url=outside.url + "/together") for i in range(3)],
        "edges": [edge("start", f"b{i}") for i in range(3)],
        "settings": {"max_parallel_nodes": 3},
    }
    # The barrier answers only when all three requests are in flight at once; run in sequence it times out.
    run = await walk(raw, http)
    assert run.result.status == "completed", run.result.error
    assert all(run.result.outputs[f"b{i}"]["body"] == {"together": 3} for i in range(3))


async def test_loop_runs_its_body_per_item_then_done(http: httpx.AsyncClient, outside: Outside) -> None:
    raw = {
        "nodes": [
            node("start", "trigger"),
            node("each", "logic.loop", items="{{trigger.output.users}}"),
            node(
                "greet",
                "action.http",
                url=outside.url + "/greet",
                query={"who": "{{loop.item}}", "i": "{{loop.index}}"},
            ),
            node(
                "after",
                "action.http",
                url=outside.url + "/after",
                query={"n": "{{each.output.results | length}}"},
            ),
        ],
        "edges": [
            edge("start", "each"),
            edge("each", "greet", "body"),
            edge("greet", "each"),
            edge("each", "after", "done"),
        ],
    }
    run = await walk(raw, http, trigger_input={"users": ["ada", "grace", "linus"]})
    assert run.result.status == "completed", run.result.error
    assert [r.query for r in outside.requests[:3]] == [
        {"who": "ada", "i": "0"},
        {"who": "grace", "i": "1"},
        {"who": "linus", "i": "2"},
    ]
    assert outside.requests[3].query == {"n": "3"}
    assert len(run.result.outputs["each"]["results"]) == 3
    assert [k for kind, k in run.events if kind == "completed" and k.startswith("greet")] == [
        "greet[0]",
        "greet[1]",
        "greet[2]",
    ]


async def test_error_handle_catches_a_failed_request(http: httpx.AsyncClient, outside: Outside) -> None:
    outside.routes["/broken"] = json_reply({"detail": "no such project"}, status=404)
    raw = {
        "nodes": [
            node("start", "trigger"),
            node("call", "action.http", url=outside.url + "/broken"),
            node("ok", "action.http", url=outside.url + "/ok"),
            node(
                "recover",
                "action.http",
                url=outside.url + "/recover",
                query={"status": "{{call.output.status}}"},
            ),
        ],
        "edges": [edge("start", "call"), edge("call", "ok"), edge("call", "recover", "error")],
    }
    run = await walk(raw, http)
    assert run.result.status == "completed"
    assert run.status("ok") == "skipped"
    assert outside.requests[-1].query == {"status": "404"}
    assert run.result.outputs["call"]["body"] == {"detail": "no such project"}


async def test_a_failure_without_error_handle_fails_the_run_naming_the_node(
    http: httpx.AsyncClient, outside: Outside
) -> None:
    outside.routes["/broken"] = json_reply({"detail": "bad"}, status=400)
    raw = {
        "nodes": [
            node("start", "trigger"),
            node("call", "action.http", url=outside.url + "/broken"),
            node("next", "action.http", url=outside.url + "/next"),
        ],
        "edges": [edge("start", "call"), edge("call", "next")],
    }
    run = await walk(raw, http)
    assert run.result.status == "failed"
    assert run.result.failed_node == "call"
    assert "HTTP 400" in (run.result.error or "")
    assert [r.path for r in outside.requests] == ["/broken"]


async def test_unresolvable_reference_fails_the_step_clearly(
    http: httpx.AsyncClient, outside: Outside
) -> None:
    raw = {
        "nodes": [
            node("start", "trigger"),
            node(
                "call",
                "action.http",
                url=outside.url + "/x",
                query={"v": "{{trigger.output.missing.deeper}}"},
            ),
        ],
        "edges": [edge("start", "call")],
    }
    run = await walk(raw, http, trigger_input={})
    assert run.result.status == "failed"
    assert "call" in (run.result.error or "")
    assert "missing" in (run.result.error or "")
    assert outside.requests == []
