"""Request bodies that arrive as files: JSON, YAML, or a multipart upload, validated into one model."""

from __future__ import annotations

from email.message import Message
from typing import Any, Generic, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile

from agentflow.agents.documents import JSON_MEDIA_TYPES, YAML_MEDIA_TYPES, DocumentFormat, parse_text
from agentflow.errors import BadRequest, UnsupportedMediaType, ValidationFailed
from agentflow.graph import DefinitionError

M = TypeVar("M", bound=BaseModel)

UPLOAD_FIELD = "file"


class DocumentBody(Generic[M]):
    """`Depends(DocumentBody(Model))`: the body as JSON, YAML (`application/yaml`, `text/yaml`) or a
    `multipart/form-data` upload in the field `file` (YAML unless its name ends in `.json`).

    The model is kept on the instance, so the route-table tests can send its example like any body.
    """

    def __init__(self, model: type[M]) -> None:
        self.model = model

    async def __call__(self, request: Request) -> M:
        text, format = await _read(request)
        try:
            data = parse_text(text, format)
        except DefinitionError as exc:
            raise BadRequest(
                exc.message,
                code="malformed_document",
                details={"format": format, "line": exc.line, "column": exc.column},
            ) from exc
        try:
            return self.model.model_validate(data)
        except ValidationError as exc:
            errors = [{**error, "loc": ("body", *error["loc"])} for error in exc.errors(include_url=False)]
            raise RequestValidationError(errors, body=data) from exc

    def openapi(self) -> dict[str, Any]:
        """The `requestBody` of the route: the model's schema as JSON or YAML, or a file upload."""
        schema = self.model.model_json_schema()
        upload = {
            "type": "object",
            "properties": {UPLOAD_FIELD: {"type": "string", "format": "binary"}},
            "required": [UPLOAD_FIELD],
        }
        return {
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": schema},
                    "application/yaml": {"schema": schema},
                    "multipart/form-data": {"schema": upload},
                },
            }
        }


def _media_type(request: Request) -> str:
    header = request.headers.get("content-type")
    if not header:
        return "application/json"
    message = Message()
    message["content-type"] = header
    return message.get_content_type()


async def _read(request: Request) -> tuple[str, DocumentFormat]:
    media = _media_type(request)
    if media == "multipart/form-data":
        return await _uploaded(request)
    if media in YAML_MEDIA_TYPES:
        return _decode(await request.body()), "yaml"
    if media in JSON_MEDIA_TYPES or media.endswith("+json"):
        return _decode(await request.body()), "json"
    raise UnsupportedMediaType(
        f"Cannot read a {media} body: send application/json, application/yaml or a multipart file upload"
    )


async def _uploaded(request: Request) -> tuple[str, DocumentFormat]:
    async with request.form() as form:
        upload = form.get(UPLOAD_FIELD)
        if not isinstance(upload, UploadFile):
            raise ValidationFailed(
                f"A multipart upload needs the document in a file field named {UPLOAD_FIELD!r}",
                code="missing_file",
            )
        content = await upload.read()
        name = (upload.filename or "").lower()
        is_json = name.endswith(".json") or (upload.content_type or "") in JSON_MEDIA_TYPES
    return _decode(content), "json" if is_json else "yaml"


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadRequest("The document is not UTF-8 text", code="malformed_document") from exc
