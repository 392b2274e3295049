"""Serves the built web builder (ui/ → api/static) at `/`: files as they are, any other page as index.html."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Match, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).parent / "static"
_IMMUTABLE = "public, max-age=31536000, immutable"  # Vite puts a content hash in every asset name


class SPAStaticFiles(StaticFiles):
    """Static files whose misses on page-like paths (no file extension) answer index.html."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            response = await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != 404 or "." in PurePosixPath(path).name:
                raise  # a missing asset stays a 404; only client-side routes fall back
            path = "index.html"
            response = await super().get_response(path, scope)
        if path.startswith("assets/"):
            response.headers["Cache-Control"] = _IMMUTABLE
        elif path in ("", ".", "index.html") or path.endswith("/index.html"):
            response.headers["Cache-Control"] = "no-cache"
        return response


class _UIMount(Mount):
    """Mounted last at `/`; never matches the API's paths, so API 404s and 405s stay the API's JSON errors."""

    def __init__(self, app: SPAStaticFiles, api_prefix: str) -> None:
        super().__init__("/", app=app, name="ui")
        self.api_prefix = api_prefix.rstrip("/")

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path = scope.get("path", "")
        if scope["type"] != "http" or path == self.api_prefix or path.startswith(f"{self.api_prefix}/"):
            return Match.NONE, {}
        return super().matches(scope)


def mount_ui(app: FastAPI, *, api_prefix: str = "/api", directory: Path = STATIC_DIR) -> bool:
    """Serve the built UI when `npm run build` has produced it; True if mounted."""
    if not (directory / "index.html").is_file():
        return False
    app.router.routes.append(_UIMount(SPAStaticFiles(directory=directory), api_prefix))
    return True
