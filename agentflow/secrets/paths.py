"""Where a secret lives in Vault: `<prefix>/orgs/<org_id>/<kind>/<name>`, built only from validated parts."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from enum import StrEnum

from agentflow.errors import ValidationFailed

# Org environment secrets are used as `{{env.NAME}}`: upper-case identifiers, like shell variables.
ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,127}$")
# Other kinds (provider keys, integration tokens) are named by the app: no slash, no leading dot.
KEY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
# The prefix is configuration, not input, but it is still checked: path segments of safe characters.
PREFIX = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$")


class SecretKind(StrEnum):
    env = "env"
    provider = "provider"
    integration = "integration"
    # A run's step output that contained a secret value: kept here, not in Postgres, for a resume or retry.
    checkpoint = "checkpoint"
    # An outbound webhook endpoint's signing secret (`whsec_…`), named by the endpoint id.
    webhook = "webhook"


def valid_name(kind: SecretKind, name: str) -> bool:
    """Whether `name` can name a secret of this kind (and so can never step out of its folder)."""
    pattern = ENV_NAME if kind is SecretKind.env else KEY_NAME
    return pattern.fullmatch(name) is not None


def check_prefix(prefix: str) -> str:
    if not PREFIX.fullmatch(prefix):
        raise ValueError(f"Invalid Vault prefix {prefix!r}: use path segments of letters, digits, _ and -")
    return prefix


@dataclass(frozen=True)
class SecretRef:
    """One secret of one org. Construct it with the caller's org id, never with an id taken from input."""

    org_id: uuid.UUID
    kind: SecretKind
    name: str

    def __post_init__(self) -> None:
        if not isinstance(self.org_id, uuid.UUID):
            raise TypeError("org_id must be a UUID")
        if not valid_name(self.kind, self.name):
            raise ValidationFailed(f"Invalid {self.kind} secret name", code="invalid_secret_name")

    def path(self, prefix: str) -> str:
        """The path under the KV mount."""
        return f"{prefix}/orgs/{self.org_id}/{self.kind.value}/{self.name}"
