"""GET /api/v1/health: are the database, Prefect and the secret store (Vault) reachable."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from sqlalchemy import text

router = APIRouter(tags=["health"])

CHECK_TIMEOUT = 2.0


class ComponentHealth(BaseModel):
    status: Literal["ok", "down", "not_configured"]
    detail: str | None = None


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    components: dict[str, ComponentHealth]


async def _database(request: Request) -> ComponentHealth:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT), request.app.state.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return ComponentHealth(status="ok")
    except Exception as exc:  # any failure means "down"; the detail says why
        return ComponentHealth(status="down", detail=f"{type(exc).__name__}: {exc}"[:300])


async def _prefect(request: Request) -> ComponentHealth:
    url = request.app.state.settings.prefect_api_url
    if not url:
        return ComponentHealth(status="not_configured", detail="PREFECT_API_URL is not set")
    try:
        response = await request.app.state.http.get(f"{url.rstrip('/')}/health", timeout=CHECK_TIMEOUT)
        if response.status_code == 200:
            return ComponentHealth(status="ok")
        return ComponentHealth(status="down", detail=f"HTTP {response.status_code}")
    except Exception as exc:
        return ComponentHealth(status="down", detail=f"{type(exc).__name__}: {exc}"[:300])


async def _vault(request: Request) -> ComponentHealth:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            checked = await request.app.state.secret_store.health()
        return ComponentHealth(status=checked.status, detail=checked.detail)
    except Exception as exc:
        return ComponentHealth(status="down", detail=f"{type(exc).__name__}: {exc}"[:300])


@router.get(
    "/health",
    response_model=Health,
    responses={503: {"model": Health, "description": "A component is down"}},
    summary="Health of the API and the services it needs",
)
async def health(request: Request, response: Response) -> Health:
    """`ok` when every component answers; `degraded` (HTTP 503) when one does not."""
    database, prefect, vault = await asyncio.gather(_database(request), _prefect(request), _vault(request))
    components = {"database": database, "prefect": prefect, "vault": vault}
    degraded = any(c.status == "down" for c in components.values())
    if degraded:
        response.status_code = 503
    return Health(status="degraded" if degraded else "ok", components=components)
