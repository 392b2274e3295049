"""Small steps the e2e tests share: sign up through the UI, pick the agents backend, drag on the canvas."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD


def unique_email(prefix: str) -> str:
    return f"{prefix}-{time.time_ns()}@example.com"


def api_has(stack_url: str, path: str) -> bool:
    """Whether the running API serves `path` (`/api/v1/agents/{}/test`: any parameter name matches `{}`)."""
    spec = httpx.get(f"{stack_url}/api/v1/openapi.json", timeout=10).json()
    return path in {re.sub(r"\{[^}]*\}", "{}", served) for served in spec["paths"]}


def sign_up(page: Page, stack_url: str, *, email: str, org: str, name: str = "Ada Lovelace") -> None:
    page.goto(f"{stack_url}/signup")
    page.fill("#full_name", name)
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.fill("#org_name", org)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/agents")


def token_for(stack_url: str, email: str) -> str:
    response = httpx.post(f"{stack_url}/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    response.raise_for_status()
    return str(response.json()["access_token"])


def node(page: Page, node_id: str) -> Any:
    return page.locator(f".react-flow__node[data-id='{node_id}']")


def select_node(page: Page, node_id: str) -> None:
    """Click a node and wait until the canvas shows it selected. On a loaded machine a click can land while
    React Flow re-renders the node (a stream event updates its run state) and select nothing; a person clicks
    again."""
    target = node(page, node_id)
    selected = re.compile(r"\bselected\b")
    for _ in range(2):
        target.click()
        try:
            expect(target).to_have_class(selected, timeout=5_000)
            return
        except AssertionError:
            continue
    target.click()
    expect(target).to_have_class(selected)


def connect(page: Page, source: str, target: str, handle: str | None = None) -> None:
    """Drag from a node's output handle to another node's input handle, as a user does."""
    selector = (
        f".react-flow__handle.source[data-handleid='{handle}']" if handle else ".react-flow__handle.source"
    )
    start = node(page, source).locator(selector).bounding_box()
    end = node(page, target).locator(".react-flow__handle.target").bounding_box()
    assert start and end
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=12)
    page.mouse.up()


def drop_from_palette(page: Page, node_type: str, x: float, y: float) -> None:
    """HTML5 drag from the palette onto the canvas at (x, y) relative to the canvas, with real mouse moves."""
    drop_onto_canvas(page, f"[data-testid='palette-{node_type}']", x, y)


def drop_onto_canvas(page: Page, selector: str, x: float, y: float) -> None:
    """Drag the palette entry `selector` (a node type, an integration action) onto the canvas at (x, y)."""
    canvas = page.get_by_test_id("canvas").bounding_box()
    assert canvas
    page.hover(selector)
    page.mouse.down()
    page.mouse.move(canvas["x"] + x, canvas["y"] + y, steps=10)
    page.mouse.up()


@contextmanager
def frame_sampler(page: Page) -> Iterator[dict[str, Any]]:
    """Record requestAnimationFrame intervals in the page while the block runs."""
    page.evaluate(
        """() => {
            window.__frames = []; window.__sampling = true; let last = performance.now();
            const tick = (now) => {
                window.__frames.push(now - last);
                last = now;
                if (window.__sampling) requestAnimationFrame(tick);
            };
            requestAnimationFrame(tick);
        }"""
    )
    result: dict[str, Any] = {}
    yield result
    frames: list[float] = page.evaluate(
        "() => { window.__sampling = false; return window.__frames.slice(1); }"
    )
    frames.sort()
    result["frames"] = len(frames)
    result["p50_ms"] = round(frames[len(frames) // 2], 1) if frames else None
    result["p95_ms"] = round(frames[int(len(frames) * 0.95)], 1) if frames else None
    result["max_ms"] = round(frames[-1], 1) if frames else None
