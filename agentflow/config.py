"""Settings read from the environment (prefix AGENTFLOW_) and the data dir."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    prefect_api_url: str | None = Field(
        default=None,
        validation_alias="PREFECT_API_URL",
        description="Prefect server API; read from PREFECT_API_URL like Prefect itself does.",
    )

    jwt_secret: SecretStr = Field(
        default=SecretStr("dev-insecure-change-me-please-0123456789abcdef"),
        description="HMAC key for access tokens; `agentflow up` generates one per data dir.",
    )
    access_token_minutes: int = 15
    refresh_token_days: int = 30
    invitation_days: int = 7
    cookie_secure: bool = Field(default=False, description="Send the refresh cookie over HTTPS only.")

    login_max_failures: int = Field(default=5, description="Failed logins per email+IP before a lock-out.")
    login_lockout_seconds: int = 300

    cors_origins: list[str] = Field(default_factory=list)
    max_body_bytes: int = Field(default=1_048_576, description="Requests with a larger body get 413.")
    public_url: str = Field(default="http://127.0.0.1:8000", description="Base URL used in emailed links.")

    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    email_from: str = "AgentFlow <no-reply@agentflow.local>"

    log_json: bool = True
    log_level: str = "INFO"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
