"""Bad input gets a clear 4xx in one error shape; request ids; CORS; health."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from agentflow.config import Settings
from api.app import create_app
from tests.factories import Member


async def test_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/auth/signup", content=b'{"email": "a@b.co", ', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({"password": "long enough pw", "org_name": "x"}, "email", "Email is required"),
        (
            {"email": "not-an-email", "password": "long enough pw", "org_name": "x"},
            "email",
            "Email is not a valid email address",
        ),
        (
            {"email": "a@example.com", "password": 12345678, "org_name": "x"},
            "password",
            "Password must be text",
        ),
        (
            {"email": "a@example.com", "password": "short", "org_name": "x"},
            "password",
            "Password must be at least 8 characters long",
        ),
        (
            {"email": "a@example.com", "password": "long enough pw", "org_name": ""},
            "org_name",
            "Organization name can't be empty",
        ),
        (
            {"email": "a@example.com", "password": "long enough pw", "org_name": "x", "admin": True},
            "admin",
            "admin is not a field this accepts",
        ),
    ],
)
async def test_invalid_fields_are_422_with_a_sentence_and_the_field_path(
    client: httpx.AsyncClient, body: dict[str, object], field: str, says: str
) -> None:
    response = await client.post("/auth/signup", json=body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"] == says  # a sentence for people, no pydantic wording
    # Programs keep the field path and pydantic's type, beside the same sentence.
    detail = next(d for d in error["details"] if field in d["loc"])
    assert detail["loc"] == ["body", field] and detail["type"] and detail["message"] == says


async def test_several_problems_are_counted_in_the_message(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/signup", json={"password": "short"})
    error = response.json()["error"]
    assert error["message"] == "Email is required (and 2 more problems)"
    assert [d["loc"] for d in error["details"]] == [
        ["body", "email"],
        ["body", "password"],
        ["body", "org_name"],
    ]


async def test_body_must_be_an_object(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/login", json=["a", "b"])
    assert response.status_code == 422


async def test_oversized_body_is_413(client: httpx.AsyncClient, settings: Settings) -> None:
    big = b'{"email": "' + b"a" * (settings.max_body_bytes + 10) + b'"}'
    declared = await client.post("/auth/login", content=big, headers={"Content-Type": "application/json"})
    assert declared.status_code == 413
    assert declared.json()["error"]["code"] == "payload_too_large"

    async def chunks():  # no Content-Length: counted while streaming
        for _ in range(100):
            yield b"x" * 1024

    streamed = await client.post(
        "/auth/login", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413


async def test_unknown_route_and_method(client: httpx.AsyncClient, owner: Member) -> None:
    missing = await client.get("/no-such-thing", headers=owner.headers)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    wrong_method = await client.patch("/org", headers=owner.headers)
    assert wrong_method.status_code == 405 and wrong_method.json()["error"]["code"] == "method_not_allowed"


async def test_malformed_and_unknown_ids(client: httpx.AsyncClient, owner: Member) -> None:
    malformed = await client.get("/teams/not-a-uuid", headers=owner.headers)
    assert malformed.status_code == 422
    unknown = await client.get("/teams/00000000-0000-0000-0000-000000000000", headers=owner.headers)
    assert unknown.status_code == 404


async def test_limit_bounds(client: httpx.AsyncClient, owner: Member) -> None:
    assert (await client.get("/teams", params={"limit": 0}, headers=owner.headers)).status_code == 422
    assert (await client.get("/teams", params={"limit": 10_000}, headers=owner.headers)).status_code == 422


async def test_request_id_is_echoed_or_generated(client: httpx.AsyncClient) -> None:
    echoed = await client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    generated = await client.get("/health")
    assert len(generated.headers["x-request-id"]) == 32
    hostile = await client.get("/health", headers={"X-Request-ID": "x" * 500})
    assert hostile.headers["x-request-id"] != "x" * 500


async def test_access_log_is_json_with_request_id(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    import json

    from agentflow.logs import JSONFormatter

    with caplog.at_level("INFO", logger="agentflow.access"):
        await client.get("/health", headers={"X-Request-ID": "log-me"})
    record = next(r for r in caplog.records if r.name == "agentflow.access")
    line = json.loads(JSONFormatter().format(record))
    assert line["path"] == "/api/v1/health" and line["status"] in (200, 503)
    assert line["method"] == "GET" and "duration_ms" in line


async def test_cors_from_settings(settings: Settings) -> None:
    app = create_app(
        settings.model_copy(update={"cors_origins": ["http://ui.example"]}), configure_logs=False
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        allowed = await client.options(
            "/api/v1/auth/login",
            headers={"Origin": "http://ui.example", "Access-Control-Request-Method": "POST"},
        )
        assert allowed.headers["access-control-allow-origin"] == "http://ui.example"
        assert allowed.headers["access-control-allow-credentials"] == "true"
        denied = await client.options(
            "/api/v1/auth/login",
            headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in denied.headers


async def test_health_without_prefect_configured(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "status": "ok",
        "components": {
            "database": {"status": "ok", "detail": None},
            "prefect": {"status": "not_configured", "detail": "PREFECT_API_URL is not set"},
            "vault": {"status": "ok", "detail": None},
        },
    }


async def test_health_without_vault_configured(app: FastAPI, client: httpx.AsyncClient) -> None:
    from agentflow.secrets.store import SecretStore

    app.state.secret_store = SecretStore.from_settings(
        app.state.settings.model_copy(update={"vault_addr": None})
    )
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json()["components"]["vault"] == {
        "status": "not_configured",
        "detail": "VAULT_ADDR is not set",
    }


async def test_health_degraded_when_prefect_is_down(app: FastAPI, client: httpx.AsyncClient) -> None:
    from agentflow.embedded.ports import free_port

    app.state.settings = app.state.settings.model_copy(
        update={"prefect_api_url": f"http://127.0.0.1:{free_port()}/api"}
    )
    response = await client.get("/health")
    assert response.status_code == 503
    assert response.json()["status"] == "degraded"
    assert response.json()["components"]["prefect"]["status"] == "down"
    assert response.json()["components"]["database"]["status"] == "ok"


async def test_unhandled_errors_are_500_in_the_error_shape(app: FastAPI, client: httpx.AsyncClient) -> None:
    @app.get("/api/v1/boom")
    async def boom() -> None:
        raise RuntimeError("kaboom")

    response = await client.get("/boom", headers={"X-Request-ID": "trace-me"})
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert response.json()["error"]["details"] == {"request_id": "trace-me"}
    assert response.headers["x-request-id"] == "trace-me"
    assert "kaboom" not in response.text
