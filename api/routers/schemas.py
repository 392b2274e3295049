"""/api/v1/schemas: the agent definition's JSON Schema and the node palette (public: builders, SDKs)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from agentflow.graph import NodeTypeInfo, json_schema, node_types

router = APIRouter(prefix="/schemas", tags=["schemas"])

# The schemas change only with a release; let browsers and proxies keep them for a while.
_CACHE = "public, max-age=3600"


@router.get("/agent-definition", response_model=dict[str, Any])
async def agent_definition_schema(response: Response) -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of an agent definition, generated from the models that validate it."""
    response.headers["Cache-Control"] = _CACHE
    return json_schema()


@router.get("/node-types", response_model=list[NodeTypeInfo])
async def list_node_types(response: Response) -> list[NodeTypeInfo]:
    """The builder's palette: each node type's label, category, description, handles and config schema."""
    response.headers["Cache-Control"] = _CACHE
    return node_types()
