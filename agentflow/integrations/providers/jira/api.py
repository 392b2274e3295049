"""What every Jira call shares: where requests go (site or OAuth cloud id), ADF text, id patterns."""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field

from agentflow.errors import ValidationFailed
from agentflow.integrations.base import ActionCall
from agentflow.nodes.errors import PermanentStepError

ATLASSIAN_API = "https://api.atlassian.com"
ISSUE_ID = r"^([A-Za-z][A-Za-z0-9_]*-[0-9]+|[0-9]+)$"  # PROJ-123 or the numeric id; never a path
PROJECT_KEY = r"^[A-Za-z][A-Za-z0-9_]{0,49}$"
MAX_TEXT = 32_000  # Jira's own limit for a text field is 32,767 characters
SEARCH_FIELDS = "summary,status,assignee,issuetype,priority,labels,created,updated"
# OAuth connections keep no cloud id (the token response has none), so the site is looked up once per
# connection and access token, then remembered here: a token never changes the site it reaches.
_SITES: OrderedDict[tuple[str, ...], dict[str, Any]] = OrderedDict()
_SITES_KEPT = 1024

IssueId = Annotated[str, Field(pattern=ISSUE_ID, max_length=64, description="Issue key (PROJ-123) or id.")]
Label = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^\S+$")]
MAX_EXTRA_CHARS = 16_000


def _bounded(fields: dict[str, Any]) -> dict[str, Any]:
    if len(json.dumps(fields, default=str)) > MAX_EXTRA_CHARS:
        raise ValueError(f"at most {MAX_EXTRA_CHARS} characters of JSON")
    return fields


# Plain objects (not a recursive JSON type): every model provider's tool-schema dialect accepts them.
ExtraFields = Annotated[
    dict[Annotated[str, Field(max_length=100)], Any],
    AfterValidator(_bounded),
    Field(
        max_length=50,
        description="Other fields by id, in Jira's REST shape, e.g. "
        '{"customfield_10010": 5, "components": [{"name": "API"}]}.',
    ),
]


def adf(text: str) -> dict[str, Any]:
    """Plain text as an ADF document: blank lines separate paragraphs, single newlines are hard breaks."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()):
        content: list[dict[str, Any]] = []
        for index, line in enumerate(block.split("\n")):
            if index:
                content.append({"type": "hardBreak"})
            if line:  # ADF refuses empty text nodes
                content.append({"type": "text", "text": line})
        paragraphs.append({"type": "paragraph", "content": content})
    return {"type": "doc", "version": 1, "content": paragraphs}


def site_origin(url: str) -> str:
    """`https://acme.atlassian.net/jira/your-work` → `https://acme.atlassian.net`; plain http only for
    an instance on this machine (credentials never travel in the clear)."""
    parts = urlsplit(url.strip())
    local = parts.hostname in ("localhost", "127.0.0.1", "::1")
    if parts.scheme not in ("https", "http") or not parts.hostname or (parts.scheme == "http" and not local):
        raise ValidationFailed(
            f"The Jira site URL must look like https://your-site.atlassian.net, not {url!r}"
        )
    return f"{parts.scheme}://{parts.netloc}"


async def accessible_site(call: ActionCall) -> dict[str, Any]:
    """The Jira site an OAuth token reaches (the one named in the config, else the first)."""
    resources = await call.request("GET", f"{call.api_base.rstrip('/')}/oauth/token/accessible-resources")
    wanted = call.connection.config.get("site_url")
    for resource in resources if isinstance(resources, list) else ():
        if not any("jira" in str(scope) for scope in resource.get("scopes") or ()):
            continue  # a Confluence-only site of the same authorisation
        if not wanted or str(resource.get("url", "")).rstrip("/") == str(wanted).rstrip("/"):
            return {"cloud_id": resource["id"], "site_url": resource.get("url")}
    raise PermanentStepError(
        f"Jira: this authorisation reaches no site{f' named {wanted}' if wanted else ''}; reconnect and "
        "grant access to the site"
    )


async def _remembered_site(call: ActionCall) -> dict[str, Any]:
    token = hashlib.sha256(call.credentials["access_token"].encode()).hexdigest()
    key = (call.api_base, call.connection.id, str(call.connection.config.get("site_url") or ""), token)
    if key in _SITES:
        _SITES.move_to_end(key)
        return _SITES[key]
    site = await accessible_site(call)
    _SITES[key] = site
    while len(_SITES) > _SITES_KEPT:
        _SITES.popitem(last=False)
    return site


async def rest_base(call: ActionCall) -> tuple[str, str | None]:
    """(where REST calls go, the site's browse origin) for this connection."""
    config = call.connection.config
    if "access_token" not in call.credentials:
        if not config.get("site_url"):
            raise PermanentStepError("Jira: the connection has no site URL; reconnect it")
        site = str(config["site_url"]).rstrip("/")
        return site, site
    reached = dict(config) if config.get("cloud_id") else await _remembered_site(call)
    return f"{call.api_base.rstrip('/')}/ex/jira/{reached['cloud_id']}", reached.get("site_url")


def browse_url(site: str | None, key: str) -> str | None:
    return f"{site.rstrip('/')}/browse/{key}" if site else None


def name_of(value: Any, key: str = "name") -> str | None:
    return value.get(key) if isinstance(value, Mapping) else None
