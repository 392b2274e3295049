"""action.webhook: its rules (URL, signing secret) and output shape."""

from __future__ import annotations

from collections.abc import Set

from agentflow.nodes.spec import (
    Finding,
    NodeSpec,
    closed,
    fixed_outputs,
    output,
    secret_findings,
    url_problem,
)
from agentflow.nodes.webhook.model import WebhookNode


def _check(node: WebhookNode, known_env: Set[str] | None) -> list[Finding]:
    found: list[Finding] = []
    if (problem := url_problem(node.config.url)) is not None:
        found.append(Finding("invalid_url", "config.url", problem))
    return found + secret_findings("config.signing_secret", node.config.signing_secret, known_env)


SPEC = NodeSpec(
    type="action.webhook",
    model=WebhookNode,
    label="Outgoing webhook",
    category="action",
    outputs=fixed_outputs(output("output.status", "integer", "HTTP status code of the receiver.")),
    closed_outputs=closed("status"),
    check=_check,
    secret_fields=(("signing_secret",),),
    handler="agentflow.nodes.webhook.handler:WebhookHandler",
    test_preview="nothing is sent; the output is `{preview: true, url, payload, status: null}`. With a "
    "sample response (`{status}`) it is merged in.",
)
