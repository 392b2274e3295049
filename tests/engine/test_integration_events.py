"""A Slack event delivered to an agent's hook URL really runs the agent, with the event as its input."""

from __future__ import annotations

import json
import time

import pytest
from slack_sdk.signature import SignatureVerifier

from tests.engine.conftest import Tenant, edge, node
from tests.support.outside import Outside

pytestmark = pytest.mark.xdist_group("engine")

SECRET = "e2b7c1f04d6a4f0b9c3d8e5f6a7b8c9d"


async def test_a_slack_mention_runs_the_agent(tenant: Tenant, outside: Outside) -> None:
    stored = await tenant.client.post("/org/secrets", json={"name": "SLACK_SIGNING", "value": SECRET})
    assert stored.status_code == 201, stored.text
    definition = {
        "nodes": [
            node(
                "start",
                "trigger",
                kind="integration",
                integration="slack",
                event="app_mention",
                signing_secret="SLACK_SIGNING",
            ),
            node(
                "reply",
                "action.http",
                method="POST",
                url=outside.url + "/reply",
                json={
                    "channel": "{{start.output.body.event.channel}}",
                    "text": "{{start.output.body.event.text}}",
                },
            ),
        ],
        "edges": [edge("start", "reply")],
    }
    agent = await tenant.agent(definition, name="Slack responder")
    hook = agent["webhook_url"].split("/api/v1", 1)[1]
    body = json.dumps(
        {
            "type": "event_callback",
            "team_id": "T0001",
            "event_id": "Ev0ENGINE1",
            "event": {
                "type": "app_mention",
                "channel": "C0LAN2Q65",
                "text": "<@U0LAN0Z89> summarise the thread",
            },
        }
    ).encode()
    timestamp = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=timestamp, body=body)
    assert signature is not None
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
    }
    accepted = await tenant.client.post(hook, content=body, headers=headers)
    assert accepted.status_code == 202, accepted.text

    execution = await tenant.wait(accepted.json()["execution_id"])
    assert execution["status"] == "completed", execution
    assert execution["triggered_by"] == "webhook"
    [sent] = [r for r in outside.requests if r.path == "/reply"]
    assert json.loads(sent.body) == {"channel": "C0LAN2Q65", "text": "<@U0LAN0Z89> summarise the thread"}
