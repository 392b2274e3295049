"""The builder in a real browser: drag nodes in, connect them, configure, autosave, undo, publish; 100 nodes.

Runs against a real `agentflow up` (the agents API of issue 4, validation and variables from agentflow.graph).
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS, Console, shot
from tests.e2e.helpers import (
    connect,
    drop_from_palette,
    frame_sampler,
    node,
    sign_up,
    token_for,
    unique_email,
)

pytestmark = [pytest.mark.stack, pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

MOD = "Control"


def saved(page: Page) -> None:
    expect(page.get_by_test_id("save-state")).to_have_attribute("data-state", "saved", timeout=10_000)


def bump_draft_behind_the_ui(stack_url: str, email: str, agent_id: str) -> None:
    """Someone else saves the draft: the UI's revision goes stale and its next save gets a 409."""
    headers = {"Authorization": f"Bearer {token_for(stack_url, email)}"}
    current = httpx.get(f"{stack_url}/api/v1/agents/{agent_id}", headers=headers)
    httpx.put(
        f"{stack_url}/api/v1/agents/{agent_id}",
        json={"description": "edited elsewhere"},
        headers={**headers, "If-Match": current.headers["ETag"]},
    ).raise_for_status()


def test_build_configure_and_publish_an_agent(page: Page, stack_url: str, console: Console) -> None:
    email = unique_email("builder")
    sign_up(page, stack_url, email=email, org="Builders")

    # An org secret: the variable picker offers it as {{env.TRACKER_URL}} and references to it are not broken.
    httpx.post(
        f"{stack_url}/api/v1/org/secrets",
        json={"name": "TRACKER_URL", "value": "https://tracker.example.com", "description": "Tracker"},
        headers={"Authorization": f"Bearer {token_for(stack_url, email)}"},
    ).raise_for_status()

    page.get_by_role("button", name="New agent").first.click()
    page.fill("#agent-name", "Ticket triage")
    page.fill("#agent-description", "Answers tickets, files bugs")
    page.get_by_role("button", name="Create and open builder").click()
    page.wait_for_url(re.compile(r".*/agents/[0-9a-f-]+$"))
    agent_id = page.url.rsplit("/", 1)[-1]
    expect(node(page, "start")).to_be_visible()

    # Drag an AI node and an HTTP node from the palette, then connect trigger → AI → HTTP.
    drop_from_palette(page, "ai", 330, 720)
    expect(node(page, "ai")).to_be_visible()
    drop_from_palette(page, "action.http", 640, 560)
    expect(node(page, "http")).to_be_visible()
    connect(page, "start", "ai")
    connect(page, "ai", "http")
    expect(page.locator(".react-flow__edge")).to_have_count(2)
    page.get_by_role("button", name="Fit view", exact=True).click()
    saved(page)  # variables are computed from the saved draft

    # Configure the AI node: the prompt editor offers upstream variables when `{{` is typed.
    node(page, "ai").click()
    panel = page.get_by_test_id("config-panel")
    expect(panel.get_by_role("heading", name="AI")).to_be_visible()
    page.fill("#node-name", "Draft a reply")
    prompt = page.locator("#cfg-prompt")
    prompt.click()
    prompt.press_sequentially("Reply to: {{")
    page.get_by_role("option", name=re.compile(r"^start\.output")).click()
    expect(prompt).to_have_value("Reply to: {{start.output}}")
    page.select_option("#cfg-operation", "chat")

    # Configure HTTP: a reference to a node that is not upstream is flagged as broken.
    node(page, "http").click()
    page.select_option("#cfg-method", "POST")
    url = page.locator("#cfg-url")
    url.fill("https://tracker.example.com/{{nowhere.output.id}}")
    broken = panel.locator("[data-broken=true]")
    expect(broken).to_contain_text("{{nowhere.output.id}}")
    url.fill("{{env.TRACKER_URL}}/issues?text={{ai.output.text}}")
    expect(broken).to_have_count(0)
    references = panel.locator("[data-broken=false]")
    expect(references).to_contain_text(["{{env.TRACKER_URL}}", "{{ai.output.text}}"])
    shot(page, "builder-configure")

    # Autosave PUTs the draft with If-Match; the draft on the server now has both nodes and edges.
    saved(page)
    stored = httpx.get(
        f"{stack_url}/api/v1/agents/{agent_id}",
        headers={"Authorization": f"Bearer {token_for(stack_url, email)}"},
    ).json()
    definition = stored["draft"]
    assert {n["id"] for n in definition["nodes"]} == {"start", "ai", "http"}
    assert {(e["source"], e["target"]) for e in definition["edges"]} == {("start", "ai"), ("ai", "http")}
    assert (
        next(n for n in definition["nodes"] if n["id"] == "ai")["config"]["prompt"]
        == "Reply to: {{start.output}}"
    )

    # Keyboard: delete the HTTP node, undo brings it back with its edge, redo removes it again, undo again.
    node(page, "http").click()
    page.locator(".react-flow__pane").focus()
    node(page, "http").click()
    page.keyboard.press("Delete")
    expect(node(page, "http")).to_have_count(0)
    expect(page.locator(".react-flow__edge")).to_have_count(1)
    page.keyboard.press(f"{MOD}+z")
    expect(node(page, "http")).to_be_visible()
    expect(page.locator(".react-flow__edge")).to_have_count(2)
    page.keyboard.press(f"{MOD}+Shift+z")
    expect(node(page, "http")).to_have_count(0)
    page.keyboard.press(f"{MOD}+z")
    expect(node(page, "http")).to_be_visible()

    # Copy/paste: a second HTTP node with a fresh id.
    node(page, "http").click()
    page.keyboard.press(f"{MOD}+c")
    page.keyboard.press(f"{MOD}+v")
    expect(node(page, "http_2")).to_be_visible()
    page.keyboard.press(f"{MOD}+z")
    expect(node(page, "http_2")).to_have_count(0)
    saved(page)

    # Publish with a message.
    page.get_by_role("button", name="Publish").click()
    page.fill("#publish-message", "First version: reply and file")
    page.get_by_role("dialog").get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published version 1")).to_be_visible()
    shot(page, "builder-published")

    # An edit conflict: someone else saves; our next autosave gets 409 and says so instead of overwriting.
    console.allow(r"409")
    bump_draft_behind_the_ui(stack_url, email, agent_id)
    node(page, "ai").click()
    page.fill("#node-name", "Draft a careful reply")
    expect(page.get_by_text("Someone else saved this agent")).to_be_visible()
    expect(page.get_by_test_id("save-state")).to_have_attribute("data-state", "conflict")
    shot(page, "builder-conflict")
    page.get_by_role("button", name="Keep mine (overwrite)").click()
    saved(page)
    expect(page.get_by_text("Someone else saved this agent")).to_have_count(0)

    # Versions tab lists v1 with its message.
    page.get_by_role("link", name="Versions").click()
    expect(page.get_by_role("table", name="Versions")).to_contain_text("First version: reply and file")


def chain_definition(count: int) -> dict[str, Any]:
    """A trigger and `count - 1` AI/HTTP nodes in a chain, laid out ten to a row."""
    nodes: list[dict[str, Any]] = [
        {
            "id": "start",
            "type": "trigger",
            "name": "Start",
            "config": {"kind": "manual"},
            "position": {"x": 0, "y": 0},
        }
    ]
    edges: list[dict[str, Any]] = []
    for i in range(1, count):
        node_id = f"step_{i}"
        nodes.append(
            {
                "id": node_id,
                "type": "ai" if i % 3 else "action.http",
                "name": f"Step {i}",
                "config": {"prompt": f"Step {i}: {{{{start.output}}}}"}
                if i % 3
                else {"url": "https://example.com"},
                "position": {"x": (i % 10) * 300, "y": (i // 10) * 160},
            }
        )
        edges.append({"source": nodes[i - 1]["id"], "target": node_id})
    return {"nodes": nodes, "edges": edges, "settings": {}}


def measure_builder(page: Page, url: str, count: int) -> dict[str, Any]:
    """Open an agent of `count` nodes; time the load, a 60-step node drag, a pan and select → form."""
    started = time.perf_counter()
    page.goto(url)
    expect(page.locator(".react-flow__node").first).to_be_visible()
    load_ms = (time.perf_counter() - started) * 1000
    page.get_by_role("button", name="Fit view", exact=True).click()
    page.wait_for_timeout(300)
    expect(page.locator(".react-flow__node")).to_have_count(count)
    page.evaluate(
        """() => {
            window.__busy = 0;
            new PerformanceObserver((list) => {
                for (const entry of list.getEntries()) window.__busy += entry.duration;
            }).observe({ type: "longtask" });
        }"""
    )
    target = f"step_{count // 2 + 5}" if count > 10 else "step_1"
    box = node(page, target).bounding_box()
    assert box
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    with frame_sampler(page) as drag:
        page.mouse.move(x, y)
        page.mouse.down()
        move_started = time.perf_counter()
        page.mouse.move(x + 200, y + 80, steps=60)
        drag["per_mousemove_ms"] = round((time.perf_counter() - move_started) * 1000 / 60, 1)
        page.mouse.up()
    pane = page.locator(".react-flow__pane").bounding_box()
    assert pane
    with frame_sampler(page) as pan:
        page.mouse.move(pane["x"] + 40, pane["y"] + pane["height"] - 40)
        page.mouse.down()
        page.mouse.move(pane["x"] + 400, pane["y"] + pane["height"] - 200, steps=60)
        page.mouse.up()
    page.keyboard.press("Escape")
    clicked = time.perf_counter()
    node(page, "step_1").click()
    expect(page.locator("#node-name")).to_have_value("Step 1")
    return {
        "nodes": count,
        "load_ms": round(load_ms),
        "drag": drag,
        "pan": pan,
        "long_tasks_ms": round(page.evaluate("() => window.__busy")),
        "select_to_form_ms": round((time.perf_counter() - clicked) * 1000),
    }


def test_builder_stays_smooth_with_100_nodes(page: Page, stack_url: str) -> None:
    """The same interactions on 3 nodes (baseline, same run) and on 100; figures in builder-perf.json."""
    email = unique_email("perf")
    sign_up(page, stack_url, email=email, org="Perf")
    ids = {}
    for count in (3, 100):
        created = httpx.post(
            f"{stack_url}/api/v1/agents",
            json={"name": f"{count} nodes", "definition": chain_definition(count)},
            headers={"Authorization": f"Bearer {token_for(stack_url, email)}"},
        )
        created.raise_for_status()
        ids[count] = created.json()["id"]

    baseline = measure_builder(page, f"{stack_url}/agents/{ids[3]}", 3)
    big = measure_builder(page, f"{stack_url}/agents/{ids[100]}", 100)
    shot(page, "builder-100-nodes")
    figures = {
        "baseline": baseline,
        "hundred": big,
        "ratio_drag_per_mousemove": round(
            big["drag"]["per_mousemove_ms"] / baseline["drag"]["per_mousemove_ms"], 2
        ),
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "builder-perf.json").write_text(json.dumps(figures, indent=2))
    print("builder perf:", json.dumps(figures))

    # Smooth on two shared cores without a GPU: frames at display rate, input handled within a frame or two.
    # Each bound also scales with the 3-node baseline of this same run, so a machine that is slow for every
    # graph (a loaded CI box) does not fail the check, while 100 nodes costing several times 3 nodes does.
    def bound(floor: float, factor: float, base: float) -> float:
        return max(floor, factor * base)

    for gesture in ("drag", "pan"):
        assert big[gesture]["p50_ms"] < bound(34, 2, baseline[gesture]["p50_ms"]), figures
        assert big[gesture]["p95_ms"] < bound(100, 3, baseline[gesture]["p95_ms"]), figures
    assert big["drag"]["per_mousemove_ms"] < bound(50, 3, baseline["drag"]["per_mousemove_ms"]), figures
    assert big["select_to_form_ms"] < bound(1000, 5, baseline["select_to_form_ms"]), figures
