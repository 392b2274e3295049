"""Export bodies: the request (kind, format, date range), the record, a download link."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from pydantic import Field, computed_field, field_validator, model_validator

from agentflow.kit.schemas import InputSchema, Schema, examples
from agentflow.models import ExportFormat, ExportKind, ExportStatus

MAX_RANGE = timedelta(days=366)


class ExportCreate(InputSchema):
    model_config = examples(
        {"kind": "executions", "format": "csv", "from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z"}
    )

    kind: ExportKind = Field(
        description="`executions`, or `audit_logs` (which also needs the `audit:read` permission)."
    )
    format: ExportFormat = Field(description="`csv` (a header row, then one row each) or `json` (an array).")
    start: datetime = Field(alias="from", description="Rows created at or after this time (ISO 8601).")
    end: datetime = Field(alias="to", description="Rows created before this time; at most a year later.")

    @field_validator("start", "end")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        # A time without a zone is read as UTC, the zone every stored time is in.
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value

    @model_validator(mode="after")
    def _range(self) -> ExportCreate:
        if self.end <= self.start:
            raise ValueError("`to` must be after `from`")
        if self.end - self.start > MAX_RANGE:
            raise ValueError("an export covers at most one year (366 days): split it into several")
        return self


class ExportPublic(Schema):
    id: uuid.UUID
    kind: ExportKind
    format: ExportFormat
    start: datetime = Field(validation_alias="range_start", serialization_alias="from")
    end: datetime = Field(validation_alias="range_end", serialization_alias="to")
    status: ExportStatus = Field(description="`pending`, `running`, `succeeded` or `failed`.")
    row_count: int | None = Field(description="Rows in the file, once succeeded.")
    size_bytes: int | None = Field(description="The file's size, once succeeded.")
    error: str | None = Field(description="Why it failed.")
    requested_by: uuid.UUID | None
    created_at: datetime
    finished_at: datetime | None
    expires_at: datetime | None = Field(description="The file and its download links stop working then.")

    @computed_field(description="Succeeded, and not expired yet: `POST /exports/{id}/link` gives a link.")
    def downloadable(self) -> bool:
        return (
            self.status == ExportStatus.succeeded
            and self.expires_at is not None
            and self.expires_at > datetime.now(UTC)
        )


class ExportLink(Schema):
    download_url: str = Field(
        description="Downloads the file without signing in (the token is the credential); a new link "
        "replaces the previous one."
    )
    expires_at: datetime
