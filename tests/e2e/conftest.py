"""End-to-end fixtures: one real `agentflow up` stack for the suite, Debian's Chromium driven by Playwright,
console errors collected and failing the test, screenshots saved under test-artifacts/e2e/."""

from __future__ import annotations

import os
import re
import signal
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import playwright.sync_api as playwright_api
import pytest

from agentflow.embedded.ports import free_port
from tests.embedded.test_up import start, stop, wait_healthy
from tests.fakes.custom_api import PetStore
from tests.fakes.loopback import FakeAPI, LoopbackServer
from tests.fakes.openai_wire import openai_api

REPO = Path(__file__).resolve().parents[2]
# The bearer token the e2e pet store requires (tests/e2e/test_integrations.py connects with it).
PETS_TOKEN = "pets-e2e-7d1c"
ARTIFACTS = REPO / "test-artifacts" / "e2e"
CHROMIUM = os.environ.get("AGENTFLOW_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [pytest.mark.stack, pytest.mark.e2e]

# Two shared cores, a cold Chromium and a stack under load: assertions wait as long as actions do.
playwright_api.expect.set_options(timeout=15_000)


# Package scope, not session: Playwright's sync API holds an event loop open while the browser lives, which
# would break every later test on this xdist worker that calls asyncio.run(); both end with the e2e package.
@pytest.fixture(scope="package")
def petstore() -> Iterator[tuple[PetStore, str]]:
    """A loopback pet store API the integrations journey connects to (the stack's egress allows its address
    only: every other private destination stays refused)."""
    store = PetStore(require=("bearer", PETS_TOKEN))
    server = LoopbackServer(store.app()).start()
    yield store, server.url
    server.stop()


@pytest.fixture(scope="package")
def openai_fake() -> Iterator[tuple[FakeAPI, str]]:
    """A loopback server in OpenAI's wire format (answers "ok" unless a test queues a reply) that AI
    journeys set up as the organization's provider; `(api, base_url)` with base_url ending in /v1."""
    api = openai_api("/v1")
    server = LoopbackServer(api.app).start()
    yield api, server.url + "/v1"
    server.stop()


@pytest.fixture(scope="package")
def stack_url(petstore: tuple[PetStore, str], openai_fake: tuple[FakeAPI, str]) -> Iterator[str]:
    """A real stack on free ports serving the built UI (ui/ → api/static).

    AGENTFLOW_E2E_URL points the suite at a stack that is already running instead (for UI development).
    """
    if url := os.environ.get("AGENTFLOW_E2E_URL"):
        yield url.rstrip("/")
        return
    if not (REPO / "api" / "static" / "index.html").is_file():
        pytest.fail("api/static/index.html is missing: build the UI first (cd ui && npm ci && npm run build)")
    ports = {"api": free_port(), "prefect": free_port(), "db": free_port(), "vault": free_port()}
    with tempfile.TemporaryDirectory(prefix="agentflow-e2e-") as data_dir:
        allowed = ",".join(
            f"{address.hostname}:{address.port}"
            for address in (urlsplit(petstore[1]), urlsplit(openai_fake[1]))
        )
        proc = start(Path(data_dir), ports, env={"AGENTFLOW_EGRESS_ALLOWLIST": allowed})
        base = f"http://127.0.0.1:{ports['api']}"
        try:
            # A busy shared machine may need longer than the default to start every service.
            wait_healthy(proc, base, timeout=float(os.environ.get("AGENTFLOW_E2E_START_TIMEOUT", "180")))
            yield base
        finally:
            stop(proc, signal.SIGINT)


@pytest.fixture(scope="package")
def browser() -> Iterator[playwright_api.Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (never a downloaded browser)")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Console:
    """Every console error and uncaught exception of a page; a test fails if any is left at its end."""

    errors: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def allow(self, pattern: str) -> None:
        """Expected noise, e.g. the 409 a conflict test provokes on purpose."""
        self.allowed.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self.allowed)]


@pytest.fixture
def console() -> Console:
    return Console()


@pytest.fixture
def page(
    browser: playwright_api.Browser, console: Console, request: pytest.FixtureRequest
) -> Iterator[playwright_api.Page]:
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on(
        "console", lambda msg: msg.type == "error" and console.errors.append(f"{msg.text} @ {msg.location}")
    )
    page.on("pageerror", lambda exc: console.errors.append(f"uncaught: {exc}"))
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-final.png"))
    context.close()
    assert console.unexpected() == [], "console errors during the test"


def shot(page: playwright_api.Page, name: str) -> Path:
    """Save a named screenshot as a test artifact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
