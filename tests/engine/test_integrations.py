"""action.integration end to end: a GitHub connection made over the API (token in Vault), an agent whose
nodes list pull requests and open an issue on the loopback GitHub API, run by the real worker; test runs
preview the side effect while the read really runs; the token appears in no step, log or execution."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.engine.conftest import Tenant, edge, node
from tests.fakes.github_api import GitHubFake, github_api
from tests.fakes.loopback import Reply

pytestmark = pytest.mark.xdist_group("engine")

TOKEN = "ghp_engine_" + "Q7" * 15


@pytest.fixture
def gh() -> Iterator[GitHubFake]:
    with github_api(tokens={TOKEN}) as fake:
        yield fake


async def _connect(tenant: Tenant, gh: GitHubFake) -> dict[str, Any]:
    response = await tenant.client.post(
        "/integrations/github/connect",
        json={"name": "Octo", "credentials": {"token": TOKEN}, "config": {"api_base": gh.url}},
    )
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "active", response.json()
    return dict(response.json())


def _triage(connection_id: str) -> dict[str, Any]:
    return {
        "nodes": [
            node("start", "trigger", kind="api"),
            node(
                "pulls",
                "action.integration",
                integration="github",
                connection_id=connection_id,
                action="list_pull_requests",
                params={"owner": "octo", "repo": "{{trigger.output.repo}}"},
            ),
            node(
                "issue",
                "action.integration",
                integration="github",
                action="create_issue",  # the org's only GitHub connection
                params={
                    "owner": "octo",
                    "repo": "{{trigger.output.repo}}",
                    "title": "Review {{pulls.output.pull_requests[0].title}}",
                    "labels": ["review"],
                },
            ),
        ],
        "edges": [edge("start", "pulls"), edge("pulls", "issue")],
    }


async def test_an_agent_acts_on_github_and_the_token_stays_in_vault(tenant: Tenant, gh: GitHubFake) -> None:
    connection = await _connect(tenant, gh)
    agent = await tenant.agent(_triage(connection["id"]))
    execution = await tenant.wait(await tenant.run(agent["id"], {"repo": "app"}))
    assert execution["status"] == "completed", execution
    (created,) = gh.for_path("/repos/octo/app/issues")
    assert created.method == "POST" and created.header("authorization") == f"Bearer {TOKEN}"
    assert created.body == {"title": "Review Fix the flaky test", "labels": ["review"]}
    steps = await tenant.steps(execution["id"])
    assert steps["pulls"]["output"]["pull_requests"][0]["number"] == 7
    assert steps["issue"]["output"] == {
        "number": 1,
        "url": "https://github.com/octo/app/issues/1",
        "id": steps["issue"]["output"]["id"],
        "state": "open",
    }
    for path in (f"/executions/{execution['id']}", f"/executions/{execution['id']}/steps"):
        response = await tenant.client.get(path)
        assert response.status_code == 200 and TOKEN not in response.text
    logs = await tenant.client.get(f"/executions/{execution['id']}/logs")
    assert TOKEN not in logs.text


async def test_a_test_run_previews_the_issue_and_really_lists(tenant: Tenant, gh: GitHubFake) -> None:
    connection = await _connect(tenant, gh)
    agent = await tenant.agent(_triage(connection["id"]), publish=False)
    started = await tenant.client.post(f"/agents/{agent['id']}/test", json={"input": {"repo": "app"}})
    assert started.status_code == 202, started.text
    execution = await tenant.wait(started.json()["id"])
    assert execution["status"] == "completed", execution
    steps = await tenant.steps(execution["id"])
    assert steps["pulls"]["output"]["pull_requests"][0]["title"] == "Fix the flaky test"
    preview = steps["issue"]["output"]
    assert preview["preview"] is True
    assert preview["request"]["method"] == "POST"
    assert preview["request"]["url"] == f"{gh.url}/repos/octo/app/issues"
    assert preview["request"]["json"]["title"] == "Review Fix the flaky test"
    assert gh.issues == [] and not gh.for_path("/repos/octo/app/issues")


async def test_provider_failures_take_the_error_handle(tenant: Tenant, gh: GitHubFake) -> None:
    connection = await _connect(tenant, gh)
    definition = {
        "nodes": [
            node("start", "trigger", kind="api"),
            node(
                "issue",
                "action.integration",
                integration="github",
                connection_id=connection["id"],
                action="create_issue",
                params={"owner": "octo", "repo": "app", "title": "x"},
            ),
            node(
                "fallback",
                "action.integration",
                integration="github",
                connection_id=connection["id"],
                action="list_pull_requests",
                params={"owner": "octo", "repo": "app"},
            ),
        ],
        "edges": [edge("start", "issue"), edge("issue", "fallback", "error")],
    }
    agent = await tenant.agent(definition)
    gh.enqueue(
        Reply(422, {"message": "Validation Failed", "errors": [{"field": "title", "code": "invalid"}]})
    )
    execution = await tenant.wait(await tenant.run(agent["id"], {}))
    assert execution["status"] == "completed", execution
    steps = await tenant.steps(execution["id"])
    assert "Validation Failed: title invalid" in steps["issue"]["output"]["error"]
    assert steps["fallback"]["status"] == "completed"


async def test_publishing_checks_integration_nodes(tenant: Tenant, gh: GitHubFake) -> None:
    definition = _triage("00000000-0000-4000-8000-000000000000")
    agent = await tenant.agent(definition, publish=False)
    refused = await tenant.client.post(f"/agents/{agent['id']}/publish", json={"message": "v1"})
    assert refused.status_code == 422, refused.text
    issues = {(i["node_id"], i["code"]) for i in refused.json()["error"]["details"]["errors"]}
    assert ("pulls", "unknown_connection") in issues and ("issue", "missing_connection") in issues
