"""action.http: its rules (URL, body, auth from a named secret) and output shape."""

from __future__ import annotations

from collections.abc import Set

from agentflow.nodes.base import DEFAULT_HANDLE, ERROR_HANDLE
from agentflow.nodes.http.model import HttpAuth, HttpNode
from agentflow.nodes.spec import (
    Finding,
    NodeSpec,
    closed,
    fixed_outputs,
    output,
    secret_findings,
    url_problem,
)


def _auth_findings(auth: HttpAuth, known_env: Set[str] | None) -> list[Finding]:
    if auth.type == "none":
        return []
    if not auth.secret:
        return [
            Finding("missing_secret", "config.auth.secret", f"{auth.type} auth needs the name of a secret")
        ]
    found = secret_findings("config.auth.secret", auth.secret, known_env)
    if auth.type == "basic" and not auth.username:
        found.append(Finding("missing_field", "config.auth.username", "basic auth needs a username"))
    return found


def _check(node: HttpNode, known_env: Set[str] | None) -> list[Finding]:
    config = node.config
    found: list[Finding] = []
    if (problem := url_problem(config.url)) is not None:
        found.append(Finding("invalid_url", "config.url", problem))
    if config.json_body is not None and config.body is not None:
        found.append(Finding("conflicting_fields", "config.body", "give either json or body, not both"))
    if config.method in ("GET", "HEAD") and (config.json_body is not None or config.body is not None):
        found.append(
            Finding(
                "unused_field", "config.json", f"{config.method} requests usually carry no body", "warning"
            )
        )
    return found + _auth_findings(config.auth, known_env)


SPEC = NodeSpec(
    type="action.http",
    model=HttpNode,
    label="HTTP request",
    category="action",
    handles=(DEFAULT_HANDLE, ERROR_HANDLE),
    outputs=fixed_outputs(
        output("output.status", "integer", "HTTP status code."),
        output("output.headers", "object", "Response headers."),
        output("output.body", "any", "Response body: parsed JSON, else text."),
    ),
    closed_outputs=closed("status", "headers", "body"),
    check=_check,
    secret_fields=(("auth", "secret"),),
    handler="agentflow.nodes.http.handler:HttpHandler",
    test_preview="a request that is not a read (anything but GET, HEAD, OPTIONS) is not sent; the output is "
    "`{preview: true, request: {method, url, query, json, body}, status: null}`. With a sample response "
    "(`{status, headers, body}`) it is merged in, so `{{node.output.body…}}` reads the sample.",
)
