"""Shared steps of the SSO tests: connect an org to a WorkOS organization, and walk a browser's sign-in."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.factories import Member
from tests.fakes.workos_api import FakeWorkOS

REFRESH = "agentflow_refresh"


def new_domain() -> str:
    return f"corp-{uuid.uuid4().hex[:8]}.example.com"


async def connect(
    client: httpx.AsyncClient,
    fake: FakeWorkOS,
    owner: Member,
    *,
    enforce: bool = False,
    domain: str | None = None,
) -> tuple[str, str]:
    """The owner's org connected to a new WorkOS organization with one verified domain: (its id, domain)."""
    domain = domain or new_domain()
    workos_org = fake.add_organization(verified=[domain])
    response = await client.put(
        "/org/sso", json={"workos_organization_id": workos_org, "enforce": enforce}, headers=owner.headers
    )
    assert response.status_code == 200, response.text
    return workos_org, domain


async def start(client: httpx.AsyncClient, **query: str) -> httpx.Response:
    return await client.get("/auth/sso/authorize", params=query)


async def through_idp(location: str) -> str:
    """The browser at WorkOS's authorize URL: where the IdP sends it back (the callback URL)."""
    async with httpx.AsyncClient() as browser:
        answer = await browser.get(location, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


async def sign_in(
    client: httpx.AsyncClient, fake: FakeWorkOS, slug: str, *, email: str, organization_id: str | None
) -> httpx.Response:
    """The whole trip: authorize → WorkOS (the IdP signs `email` in) → our callback; the callback's answer."""
    started = await start(client, org=slug)
    assert started.status_code == 302, started.text
    fake.next_profile(email=email, organization_id=organization_id)
    return await client.get(await through_idp(started.headers["location"]))


def error_of(response: httpx.Response) -> str | None:
    """The `?error=` a refused sign-in sends the browser back with (None for a success)."""
    assert response.status_code == 303, response.text
    location = urlsplit(response.headers["location"])
    return parse_qs(location.query).get("error", [None])[0]
