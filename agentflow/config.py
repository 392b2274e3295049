"""Settings read from the environment (prefix AGENTFLOW_) and the data dir."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Published in this file, so anyone can sign access tokens with it: refused unless the API is loopback-only.
DEV_JWT_SECRET = "dev-insecure-change-me-please-0123456789abcdef"  # noqa: S105

# Revoking access reaches the streams already open within this bound (a promise in docs/api.md).
STREAM_RECHECK_MAX_SECONDS = 60.0


class InsecureSettings(RuntimeError):
    """A setting that would let anyone in if the API served it beyond this machine."""


def url_origin(url: str) -> str:
    """`scheme://host[:port]` of a URL, lowercased, without the scheme's default port (`""` if none)."""
    parts = urlsplit(url.strip())
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if not scheme or not host:
        return ""
    try:
        port = parts.port
    except ValueError:
        return ""
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443, "ws": 80, "wss": 443}.get(scheme)
    return f"{scheme}://{host}" if port in (None, default) else f"{scheme}://{host}:{port}"


class IntegrationApp(BaseModel):
    """The operator's settings for one integration provider (docs/integrations.md): the OAuth app's client
    id and secret, and URL overrides for self-hosted instances (GitHub Enterprise, Jira Data Center)."""

    model_config = ConfigDict(extra="forbid")

    client_id: str | None = Field(default=None, max_length=500)
    client_secret: SecretStr | None = Field(default=None, max_length=2000)
    api_base: str | None = Field(default=None, max_length=2000, description="The provider's API base URL.")
    authorize_url: str | None = Field(default=None, max_length=2000)
    token_url: str | None = Field(default=None, max_length=2000)
    revoke_url: str | None = Field(default=None, max_length=2000)
    scopes: list[str] | None = Field(
        default=None, max_length=100, description="Scopes asked instead of the default ones."
    )


class Settings(BaseSettings):
    """Every knob AgentFlow reads; `agentflow up` fills the ones that point at embedded services."""

    model_config = SettingsConfigDict(env_prefix="AGENTFLOW_", env_file=None, extra="ignore")

    data_dir: Path = Field(
        default=Path.home() / ".agentflow", description="Where embedded services keep data."
    )
    database_url: str = Field(
        default="postgresql+asyncpg://postgres@127.0.0.1:5433/agentflow",
        description="SQLAlchemy URL of AgentFlow's Postgres (asyncpg driver).",
    )
    database_pool_size: int = Field(
        default=20, description="Connections per API process; requests beyond it wait for a free one."
    )
    auth_cache_ttl_seconds: float = Field(
        default=30.0,
        ge=0,
        description="How long an API process may reuse a resolved API key or membership; changes "
        "invalidate it at once through Postgres NOTIFY, this is only the backstop. 0 turns the cache off.",
    )
    stream_recheck_seconds: float = Field(
        default=STREAM_RECHECK_MAX_SECONDS,
        gt=0,
        le=STREAM_RECHECK_MAX_SECONDS,
        description="How often an open execution stream checks its caller's access again: a revoked key, "
        "a removed member or a deleted org stops receiving events within this time (at most a minute).",
    )
    prefect_api_url: str | None = Field(
        default=None,
        validation_alias="PREFECT_API_URL",
        description="Prefect server API; read from PREFECT_API_URL like Prefect itself does.",
    )

    prefect_api_auth_string: SecretStr | None = Field(
        default=None,
        validation_alias="PREFECT_API_AUTH_STRING",
        description="`user:password` for a Prefect server started with PREFECT_SERVER_API_AUTH_STRING; "
        "`agentflow up` generates one per data dir.",
    )
    egress_allowlist: str = Field(
        default="",
        max_length=10_000,
        description="Private destinations agents may call, comma-separated: CIDRs (`10.0.0.0/8`) and "
        "`host:port` entries (`127.0.0.1:11434`). Empty: only public addresses. The stack's own services "
        "(Prefect, Vault, Postgres, this API) are refused whatever it says.",
    )

    work_pool: str = Field(
        default="agentflow",
        description="Prefect work pool agents are deployed to (the in-process worker serves it by default).",
    )
    outage_retry_seconds: float = Field(
        default=60.0,
        ge=0,
        description="How long a worker keeps retrying a write to Postgres, or a step's checkpoint to Vault, "
        "while the service is unreachable (a restart, a failover, a sealed Vault) before the step fails; "
        "a step whose handler already ran is never run again because its end could not be written.",
    )
    fast_lane_capacity: int = Field(
        default=200,
        ge=0,
        le=10_000,
        description="Fast-mode executions one worker runs at once in its fast lane (0: this worker runs "
        "none; others of the pool do). An execution waiting on a model or an HTTP call holds a slot.",
    )
    checkpoint_retention_days: float = Field(
        default=7.0,
        ge=0,
        description="Vault checkpoints of executions that failed, timed out or were cancelled are deleted "
        "this long after the execution ended (a retry after that is refused); completed executions delete "
        "theirs at once.",
    )

    jwt_secret: SecretStr = Field(
        default=SecretStr(DEV_JWT_SECRET),
        description="HMAC key for access tokens; `agentflow up` generates one per data dir. The built-in "
        "development key is refused when the public URL is not loopback.",
    )
    access_token_minutes: int = 15
    refresh_token_days: int = 30
    invitation_days: int = 7
    cookie_secure: bool = Field(
        default=False,
        description="Send the refresh cookie over HTTPS only; always on when the public URL is https.",
    )

    login_max_failures: int = Field(default=5, description="Failed logins per email+IP before a lock-out.")
    login_lockout_seconds: int = 300
    login_backoff_after: int = Field(
        default=10,
        ge=1,
        description="Failed sign-ins for one email, from any IP, within login_backoff_window_seconds before "
        "each further attempt for it must wait: a back-off (the account's owner waits at most "
        "login_backoff_max_seconds), not a lock-out.",
    )
    login_backoff_window_seconds: int = Field(
        default=3600, ge=1, description="How long failed sign-ins count toward the per-email back-off."
    )
    login_backoff_base_seconds: float = Field(
        default=1.0,
        gt=0,
        description="The first back-off delay; each further failure doubles it, up to the maximum.",
    )
    login_backoff_max_seconds: float = Field(
        default=60.0, gt=0, le=60, description="The longest wait the per-email back-off imposes."
    )

    trusted_proxies: str = Field(
        default="",
        max_length=10_000,
        description="Proxies whose X-Forwarded-For is believed, comma-separated CIDRs. Empty: the client is "
        "the socket's peer, whatever a request claims.",
    )
    redis_url: str | None = Field(
        default=None,
        max_length=2000,
        description="Redis for the rate-limit counters (`redis://host:6379/0`). Unset: kept in Postgres.",
    )
    rate_limit_per_minute: int = Field(
        default=6000,
        ge=0,
        le=10_000_000,
        description="Requests per minute per organization whose plan sets no figure (billing off). 0: none.",
    )
    cors_origins: list[str] = Field(default_factory=list)
    webhook_retry_schedule: str = Field(
        default="5,300,1800,7200,18000,36000,36000",
        max_length=500,
        description="Seconds between attempts of an outbound webhook delivery after the first (which is "
        "immediate), comma-separated: Standard Webhooks' schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, "
        "10 h), eight attempts over about 28 hours. The delivery fails for good after the last.",
    )
    webhook_timeout_seconds: float = Field(
        default=10.0, gt=0, le=60, description="How long an outbound webhook endpoint has to answer."
    )
    webhook_disable_after_days: float = Field(
        default=5.0,
        gt=0,
        description="An outbound webhook endpoint whose every attempt has failed for this long is disabled "
        "(owners and admins are notified).",
    )
    webhook_max_endpoints: int = Field(
        default=20, ge=1, le=1000, description="Outbound webhook endpoints an organization may have."
    )
    webhook_delivery_run_seconds: float = Field(
        default=55.0,
        gt=0,
        le=3600,
        description="How long one run of the `webhook-delivery` flow (started every minute) keeps listening "
        "for new deliveries before it ends and the next run takes over.",
    )
    max_body_bytes: int = Field(default=1_048_576, description="Requests with a larger body get 413.")
    mcp_wait_seconds: float = Field(
        default=30.0,
        gt=0,
        le=300,
        description="How long an MCP tool call waits for the agent's run to finish before answering with "
        "its execution id and status instead of its output.",
    )
    mcp_max_input_bytes: int = Field(
        default=262_144, gt=0, description="The largest tool-call input (as JSON) the MCP server accepts."
    )
    knowledge_max_file_bytes: int = Field(
        default=25 * 1024 * 1024, gt=0, description="The largest document one upload may carry (413 above)."
    )
    knowledge_max_org_bytes: int = Field(
        default=1024 * 1024 * 1024,
        gt=0,
        description="Knowledge storage per organization: an upload that would pass it gets 413.",
    )
    knowledge_max_files_per_upload: int = Field(
        default=20, ge=1, le=200, description="How many files one upload request may carry."
    )
    knowledge_s3_block: str | None = Field(
        default=None,
        description="Name of a prefect-aws `S3Bucket` block: documents are stored there instead of the "
        "data dir.",
    )
    knowledge_embed_batch: int = Field(
        default=32, ge=1, le=2048, description="Chunks embedded per call during ingestion."
    )
    integration_apps: dict[str, IntegrationApp] = Field(
        default_factory=dict,
        description="Per integration provider (`github`, `slack`, …): the OAuth app's `client_id` and "
        "`client_secret`, and `api_base` / `authorize_url` / `token_url` / `revoke_url` overrides; JSON in "
        'AGENTFLOW_INTEGRATION_APPS, e.g. `{"github": {"client_id": "…", "client_secret": "…"}}`.',
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="The URL browsers reach the API at: emailed links, the token issuer, the origin "
        "allowed to refresh a session, HSTS when https.",
    )

    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    email_from: str = "AgentFlow <no-reply@agentflow.local>"

    # Billing is on only when a Stripe key is set; without one every org is on the unlimited self_hosted plan.
    stripe_api_key: SecretStr | None = Field(
        default=None, description="Stripe secret key; setting it turns billing and plan limits on."
    )
    stripe_webhook_secret: SecretStr | None = Field(
        default=None, description="The signing secret of the Stripe webhook endpoint (whsec_...)."
    )
    stripe_api_base: str | None = Field(
        default=None, description="Another Stripe API base URL (a test server); default Stripe's own."
    )
    # The Stripe prices of the self-serve plans (price_...): Checkout sells them, webhooks map them back.
    stripe_price_starter: str | None = Field(
        default=None, description="The Stripe price of the Starter plan."
    )
    stripe_price_pro: str | None = Field(default=None, description="The Stripe price of the Pro plan.")
    stripe_price_enterprise: str | None = Field(
        default=None,
        description="The Stripe price of Enterprise subscriptions (sold by contract; maps them to the plan).",
    )
    stripe_price_executions: str | None = Field(
        default=None,
        description="A metered Stripe price on the executions meter, added to every Checkout subscription.",
    )
    stripe_meter_event_name: str = Field(
        default="agentflow_executions",
        max_length=100,
        description="The event name of the Stripe Billing Meter that counts executions.",
    )
    stripe_meter_report_seconds: float = Field(
        default=60.0, gt=0, description="How often each worker reports finished executions as meter events."
    )

    export_max_bytes: int = Field(
        default=50 * 1024 * 1024,
        gt=0,
        description="The largest data export file; an export that would pass it fails and asks for a "
        "shorter date range.",
    )
    export_max_concurrent: int = Field(
        default=3, ge=1, le=100, description="Exports one organization may have pending or running at once."
    )
    export_link_hours: float = Field(
        default=72.0,
        gt=0,
        le=24 * 30,
        description="How long an export's file and its download links last; the file is deleted after.",
    )
    export_s3_block: str | None = Field(
        default=None,
        description="Name of a prefect-aws `S3Bucket` block: export files are stored there instead of the "
        "data dir.",
    )
    # SSO and directory sync through WorkOS: on only when both the API key and the client id are set. Read
    # from WorkOS's own variable names (like the SDK does); AGENTFLOW_-prefixed names work too.
    workos_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("WORKOS_API_KEY", "AGENTFLOW_WORKOS_API_KEY", "workos_api_key"),
        description="WorkOS secret API key (sk_...); with the client id it turns SSO on.",
    )
    workos_client_id: str | None = Field(
        default=None,
        max_length=200,
        validation_alias=AliasChoices("WORKOS_CLIENT_ID", "AGENTFLOW_WORKOS_CLIENT_ID", "workos_client_id"),
        description="WorkOS client id (client_...) of the environment the organizations live in.",
    )
    workos_base_url: str | None = Field(
        default=None,
        max_length=2000,
        validation_alias=AliasChoices("WORKOS_BASE_URL", "AGENTFLOW_WORKOS_BASE_URL", "workos_base_url"),
        description="Another WorkOS API base URL (a test server); default WorkOS's own.",
    )
    workos_webhook_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "WORKOS_WEBHOOK_SECRET", "AGENTFLOW_WORKOS_WEBHOOK_SECRET", "workos_webhook_secret"
        ),
        description="The signing secret of the WorkOS webhook endpoint that sends directory-sync events; "
        "unset: directory sync is off (its endpoint answers 503).",
    )
    sso_state_minutes: int = Field(
        default=10, ge=1, le=60, description="How long an SSO sign-in may take between redirect and return."
    )

    log_json: bool = True
    log_level: str = "INFO"

    # Vault / OpenBao: the connection is read from Vault's own variables, the layout from AGENTFLOW_VAULT_*.
    vault_addr: str | None = Field(
        default=None,
        validation_alias=AliasChoices("VAULT_ADDR", "vault_addr"),
        description="Vault or OpenBao address; `agentflow up` sets it to the embedded OpenBao.",
    )
    vault_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("VAULT_TOKEN", "vault_token"),
        description="Token auth (a scoped token, never the root token).",
    )
    vault_role_id: str | None = Field(
        default=None,
        validation_alias=AliasChoices("VAULT_ROLE_ID", "vault_role_id"),
        description="AppRole auth: the role id (used instead of VAULT_TOKEN when set).",
    )
    vault_secret_id: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("VAULT_SECRET_ID", "vault_secret_id"),
        description="AppRole auth: the secret id.",
    )
    vault_namespace: str | None = Field(
        default=None,
        validation_alias=AliasChoices("VAULT_NAMESPACE", "vault_namespace"),
        description="Vault Enterprise / OpenBao namespace.",
    )
    vault_mount: str = Field(default="secret", description="Mount point of the KV v2 engine.")
    vault_prefix: str = Field(default="agentflow", description="Every AgentFlow path lives under it.")
    vault_approle_mount: str = Field(default="approle", description="Mount point of the AppRole auth method.")
    vault_timeout_seconds: float = Field(default=5.0, description="Per-request timeout talking to Vault.")
    vault_cache_seconds: float = Field(
        default=5.0, description="How long a read secret stays cached in this process (0 disables)."
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_proxies(cls, value: str) -> str:
        from agentflow.gate.network import parse_networks

        parse_networks([part for part in value.split(",") if part.strip()])
        return value

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _valid_retry_schedule(cls, value: str) -> str:
        from agentflow.webhooks_out.events import parse_schedule

        parse_schedule(value)
        return value

    @field_validator("egress_allowlist")
    @classmethod
    def _valid_allowlist(cls, value: str) -> str:
        from agentflow.egress.policy import parse_allowlist

        parse_allowlist(value)  # a typo must stop the process, not silently allow nothing (or everything)
        return value

    @property
    def billing_enabled(self) -> bool:
        return self.stripe_api_key is not None and bool(self.stripe_api_key.get_secret_value())

    @property
    def sso_enabled(self) -> bool:
        return bool(self.workos_api_key and self.workos_api_key.get_secret_value() and self.workos_client_id)

    @property
    def public_origin(self) -> str:
        """The public URL's origin (`https://agentflow.example.com`)."""
        return url_origin(self.public_url)

    @property
    def public_url_is_https(self) -> bool:
        return self.public_origin.startswith("https://")

    @property
    def public_url_is_loopback(self) -> bool:
        """True when the public URL names this machine only (127.0.0.0/8, ::1, localhost)."""
        host = (urlsplit(self.public_url.strip()).hostname or "").lower()
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False

    @property
    def jwt_issuer(self) -> str:
        """`iss` of access tokens: the public origin, so a token from another deployment is refused."""
        return self.public_origin or "agentflow"

    def refuse_insecure(self) -> None:
        """Raise InsecureSettings for a configuration that must not serve beyond loopback."""
        if self.jwt_secret.get_secret_value() == DEV_JWT_SECRET and not self.public_url_is_loopback:
            raise InsecureSettings(
                f"AGENTFLOW_JWT_SECRET is the built-in development key, which is public, but "
                f"AGENTFLOW_PUBLIC_URL ({self.public_url}) is not a loopback address: anyone could sign "
                "access tokens. Set AGENTFLOW_JWT_SECRET to a long random value (for example "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`)."
            )

    @field_validator(
        "vault_addr",
        "vault_token",
        "vault_role_id",
        "vault_secret_id",
        "vault_namespace",
        "prefect_api_auth_string",
        "workos_api_key",
        "workos_client_id",
        "workos_base_url",
        "workos_webhook_secret",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """Compose passes `${VAR:-}` as an empty string: treat it as not set."""
        return None if value == "" else value


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
