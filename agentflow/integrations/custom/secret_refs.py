"""Header values that name org secrets: `{{env.NAME}}`, alone or inside text (`Bearer {{env.TOKEN}}`).

Only whole references are understood (no filters, no expressions): the value is kept on the connection as
written, the names are what the runner reads from Vault for a call, and the secret is put in only when a
request is sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from agentflow.errors import ValidationFailed
from agentflow.nodes.errors import PermanentStepError
from agentflow.secrets.paths import ENV_NAME

REFERENCE = re.compile(r"\{\{\s*env\.([A-Za-z0-9_]+)\s*\}\}")
CREDENTIAL_PREFIX = "env."  # how the runner hands an org secret to a call: credentials["env.NAME"]


def referenced(value: str, *, where: str) -> set[str]:
    """The secret names `value` references; other `{{ … }}` expressions are refused (they cannot render)."""
    names = {match.group(1) for match in REFERENCE.finditer(value)}
    for name in names:
        if not ENV_NAME.match(name):
            raise ValidationFailed(f"{where}: {{{{env.{name}}}}} is not a secret name (A-Z, 0-9, _)")
    if "{{" in REFERENCE.sub("", value) or "{%" in value:
        raise ValidationFailed(f"{where}: only {{{{env.NAME}}}} references to org secrets can be used here")
    return names


def render(value: str, credentials: Mapping[str, str]) -> str:
    """`value` with each reference replaced by the secret's value (the runner supplied every named one)."""

    def secret(match: re.Match[str]) -> str:
        found = credentials.get(CREDENTIAL_PREFIX + match.group(1))
        if found is None:
            raise PermanentStepError(f"the org secret {match.group(1)} is not set", code="missing_secret")
        return found

    return REFERENCE.sub(secret, value)
