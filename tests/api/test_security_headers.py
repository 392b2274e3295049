"""Every response the API serves carries the browser-hardening headers: JSON, errors of every layer, the web
app's pages and files, the API docs (with the looser policy their CDN scripts need); HSTS only on https."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from agentflow.config import Settings
from api.app import create_app
from api.middleware.security_headers import APP_POLICY, DOCS_POLICY
from api.spa import mount_ui
from tests.factories import Member


@pytest.fixture
def built(tmp_path: Path) -> Path:
    """A tiny web build: an index.html and one hashed asset."""
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(
        '<!doctype html><script type="module" src="/assets/index-abc123.js"></script><div id=root></div>'
    )
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log('ui')")
    return tmp_path


@pytest.fixture
async def ui_client(app: FastAPI, built: Path) -> AsyncIterator[httpx.AsyncClient]:
    # A checkout with a real build (api/static) already has the UI mounted: serve the tiny one instead.
    app.router.routes[:] = [route for route in app.router.routes if getattr(route, "name", None) != "ui"]
    assert mount_ui(app, api_prefix="/api", directory=built)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def assert_hardened(response: httpx.Response, *, policy: str = APP_POLICY, hsts: bool = False) -> None:
    headers = response.headers
    assert headers["content-security-policy"] == policy, response.request.url
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert headers["x-frame-options"] == "DENY"
    assert ("strict-transport-security" in headers) is hsts


async def test_json_routes_and_errors_of_every_layer_carry_the_headers(
    app: FastAPI, ui_client: httpx.AsyncClient, owner: Member, settings: Settings
) -> None:
    @app.get("/api/v1/boom")
    async def boom() -> None:
        raise RuntimeError("kaboom")

    responses = {
        "json": await ui_client.get("/api/v1/auth/me", headers=owner.headers),
        "401": await ui_client.get("/api/v1/auth/me"),
        "404": await ui_client.get("/api/v1/no-such-route"),
        "405": await ui_client.patch("/api/v1/auth/me", headers=owner.headers),
        "413": await ui_client.post(
            "/api/v1/auth/login",
            content=b"x" * (settings.max_body_bytes + 1),
            headers={"Content-Type": "application/json"},
        ),
        "422": await ui_client.post("/api/v1/auth/login", json={}),
        "500": await ui_client.get("/api/v1/boom"),
    }
    statuses = {kind: response.status_code for kind, response in responses.items()}
    assert statuses == {"json": 200, **{k: int(k) for k in responses if k != "json"}}
    for response in responses.values():
        assert_hardened(response)


async def test_the_web_app_pages_and_files_carry_the_headers(ui_client: httpx.AsyncClient) -> None:
    for path in ("/", "/agents", "/invitations/some-token", "/assets/index-abc123.js", "/assets/gone.js"):
        response = await ui_client.get(path)
        assert response.status_code == (404 if "gone" in path else 200), path
        assert_hardened(response)
    index = await ui_client.get("/")
    assert "id=root" in index.text and "script-src 'self';" in index.headers["content-security-policy"]


async def test_the_web_build_has_no_inline_script() -> None:
    """The app policy forbids inline scripts: the page Vite builds from must not have one."""
    index = (Path(__file__).parents[2] / "ui" / "index.html").read_text()
    scripts = [tag for tag in index.split("<script")[1:]]
    assert scripts and all(" src=" in tag.split(">", 1)[0] for tag in scripts)


async def test_the_api_docs_get_the_policy_their_cdn_scripts_need(ui_client: httpx.AsyncClient) -> None:
    for path in ("/api/v1/docs", "/api/v1/redoc"):
        response = await ui_client.get(path)
        assert response.status_code == 200
        assert_hardened(response, policy=DOCS_POLICY)
        assert "https://cdn.jsdelivr.net" in response.text  # what the docs policy allows, and no more
    assert_hardened(await ui_client.get("/api/v1/openapi.json"))  # the document itself: the strict policy


@pytest.mark.parametrize(
    ("public_url", "hsts"), [("https://agentflow.example.com", True), ("http://x", False)]
)
async def test_hsts_only_when_the_public_url_is_https(
    settings: Settings, public_url: str, hsts: bool
) -> None:
    app = create_app(settings.model_copy(update={"public_url": public_url}), configure_logs=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        missing = await client.get("/api/v1/no-such-route")
        docs = await client.get("/api/v1/docs")
    assert_hardened(missing, hsts=hsts)
    assert_hardened(docs, policy=DOCS_POLICY, hsts=hsts)
    if hsts:
        assert missing.headers["strict-transport-security"] == "max-age=31536000"
