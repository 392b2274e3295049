"""Outgoing HTTP for action nodes: the egress guard's request (agentflow/egress), its failures as step errors,
a response size limit and the body parsed for templates downstream."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from agentflow.egress import EgressRefused
from agentflow.egress import requests as egress
from agentflow.nodes.errors import PermanentStepError, TransientStepError

MAX_RESPONSE_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: Any

    def as_output(self) -> dict[str, Any]:
        return {"status": self.status, "headers": self.headers, "body": self.body}


def _parse_body(content: bytes, content_type: str) -> Any:
    if "json" in content_type:
        try:
            return orjson.loads(content)
        except orjson.JSONDecodeError:
            pass
    return content.decode("utf-8", errors="replace")


async def send(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    params: dict[str, Any] | None = None,
    json: Any = None,
    content: str | bytes | None = None,
    timeout_seconds: float,
    max_bytes: int = MAX_RESPONSE_BYTES,
    credential_headers: Iterable[str] = (),
) -> HttpResponse:
    """Send through the guard (`client` is the run's guarded client); failures become step errors."""
    try:
        response = await egress.send(
            client,
            method,
            url,
            headers=headers,
            params=params,
            json=json,
            content=content,
            timeout=timeout_seconds,
            max_bytes=max_bytes,
            credential_headers=credential_headers,
        )
    except EgressRefused as exc:
        # The code lets the builder show where an operator allows the destination.
        raise PermanentStepError(
            exc.message, code="egress_refused", output={"error": exc.message, "code": "egress_refused"}
        ) from None
    except (egress.ResponseTooLarge, egress.TooManyRedirects) as exc:
        raise PermanentStepError(str(exc)) from None
    except httpx.TimeoutException:
        raise TransientStepError(f"{method} {url} timed out after {timeout_seconds:g}s") from None
    except httpx.TransportError as exc:
        raise TransientStepError(f"{method} {url} failed: {exc}") from None
    return HttpResponse(
        status=response.status,
        headers=response.headers,
        body=_parse_body(response.content, response.headers.get("content-type", "")),
    )


def raise_for_status(method: str, url: str, response: HttpResponse) -> None:
    """429 and 5xx are worth retrying; other 4xx are not. The error output carries the response."""
    if response.status < 400:
        return
    message = f"{method} {url} answered HTTP {response.status}"
    if response.status == 429 or response.status >= 500:
        raise TransientStepError(message, output={"error": message, **response.as_output()})
    raise PermanentStepError(message, output={"error": message, **response.as_output()})
