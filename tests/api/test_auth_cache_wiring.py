"""The running app (its real lifespan, committed data) caches credentials and still refuses a revoked key
on the very next request."""

from __future__ import annotations

import uuid

import httpx

from agentflow.config import Settings
from agentflow.kit.crypto import digest
from api.app import create_app
from tests.factories import PASSWORD


async def test_a_revoked_key_is_refused_on_the_next_request(settings: Settings) -> None:
    app = create_app(settings, configure_logs=False)
    async with app.router.lifespan_context(app):
        cache = app.state.auth_cache
        assert cache.enabled
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver/api/v1") as client:
            owner = await client.post(
                "/auth/signup",
                json={
                    "email": f"o-{uuid.uuid4().hex[:8]}@example.com",
                    "password": PASSWORD,
                    "org_name": "C",
                },
            )
            assert owner.status_code == 201, owner.text
            owner_headers = {"Authorization": f"Bearer {owner.json()['access_token']}"}
            created = await client.post("/org/api-keys", json={"name": "k"}, headers=owner_headers)
            key_headers = {"X-API-Key": created.json()["key"]}

            for _ in range(2):  # the second answer comes from the cache
                assert (await client.get("/auth/me", headers=key_headers)).status_code == 200
            assert cache.get("api_key", digest(created.json()["key"])) is not None

            revoked = await client.delete(f"/org/api-keys/{created.json()['id']}", headers=owner_headers)
            assert revoked.status_code == 204
            refused = await client.get("/auth/me", headers=key_headers)
            assert refused.status_code == 401
            assert refused.json()["error"]["code"] == "invalid_api_key"
