"""The built web builder is served at `/` with an index.html fallback, without touching the API's errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from api.errors import install_error_handlers
from api.spa import mount_ui


@pytest.fixture
def built(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><div id=root></div>")
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log('ui')")
    (tmp_path / "favicon.svg").write_text("<svg/>")
    return tmp_path


def api_app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    router = APIRouter()

    @router.get("/ping")
    async def ping() -> dict[str, str]:
        return {"pong": "yes"}

    app.include_router(router, prefix="/api/v1")
    return app


@pytest.fixture
async def client(built: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = api_app()
    assert mount_ui(app, api_prefix="/api", directory=built)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ui") as client:
        yield client


async def test_pages_fall_back_to_index_html(client: httpx.AsyncClient) -> None:
    for path in ("/", "/agents", "/agents/5d1f/versions", "/settings/api-keys"):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html")
        assert "id=root" in response.text
        assert response.headers["cache-control"] == "no-cache"


async def test_files_are_served_and_assets_cached_forever(client: httpx.AsyncClient) -> None:
    asset = await client.get("/assets/index-abc123.js")
    assert asset.status_code == 200 and "ui" in asset.text
    assert "immutable" in asset.headers["cache-control"]
    assert (await client.get("/favicon.svg")).status_code == 200
    assert (await client.get("/assets/missing.js")).status_code == 404


async def test_api_errors_stay_json(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/ping")).json() == {"pong": "yes"}
    missing = await client.get("/api/v1/nope")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    wrong_method = await client.post("/api/v1/ping")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"
    assert (await client.get("/api")).json()["error"]["code"] == "not_found"


async def test_nothing_is_mounted_without_a_build(tmp_path: Path) -> None:
    app = api_app()
    assert not mount_ui(app, directory=tmp_path / "absent")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ui") as client:
        response = await client.get("/agents")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
