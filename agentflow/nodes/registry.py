"""Every node type, in palette order. Adding a node type: its folder (model.py, spec.py, handler.py) plus one
line in `SPECS` and its node model in `Node` — the definition, builder palette, checks, variable picker and
engine all read from here (docs/node-types.md)."""

from __future__ import annotations

import functools
import importlib
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from agentflow.nodes.ai.model import AiNode
from agentflow.nodes.ai.spec import SPEC as AI
from agentflow.nodes.approval.model import ApprovalNode
from agentflow.nodes.approval.spec import SPEC as APPROVAL
from agentflow.nodes.base import StrictModel
from agentflow.nodes.errors import PermanentStepError
from agentflow.nodes.http.model import HttpNode
from agentflow.nodes.http.spec import SPEC as HTTP
from agentflow.nodes.integration.model import IntegrationNode
from agentflow.nodes.integration.spec import SPEC as INTEGRATION
from agentflow.nodes.knowledge.model import RetrieveNode
from agentflow.nodes.knowledge.spec import SPEC as KNOWLEDGE
from agentflow.nodes.logic.model import DelayNode, IfNode, LoopNode, SwitchNode
from agentflow.nodes.logic.spec import DELAY_SPEC, IF_SPEC, LOOP_SPEC, SWITCH_SPEC
from agentflow.nodes.spec import NodeSpec
from agentflow.nodes.trigger.model import TriggerNode
from agentflow.nodes.trigger.spec import SPEC as TRIGGER
from agentflow.nodes.webhook.model import WebhookNode
from agentflow.nodes.webhook.spec import SPEC as WEBHOOK

if TYPE_CHECKING:
    from agentflow.nodes.context import NodeHandler

SPECS: tuple[NodeSpec, ...] = (
    TRIGGER,
    AI,
    HTTP,
    WEBHOOK,
    INTEGRATION,
    IF_SPEC,
    SWITCH_SPEC,
    LOOP_SPEC,
    DELAY_SPEC,
    APPROVAL,
    KNOWLEDGE,
)

# The definition's node union, discriminated on `type` (static, so type checkers narrow on isinstance).
Node = Annotated[
    TriggerNode
    | AiNode
    | HttpNode
    | WebhookNode
    | IntegrationNode
    | IfNode
    | SwitchNode
    | LoopNode
    | DelayNode
    | ApprovalNode
    | RetrieveNode,
    Field(discriminator="type"),
]
NodeType = Literal[
    "trigger",
    "ai",
    "action.http",
    "action.webhook",
    "action.integration",
    "logic.if",
    "logic.switch",
    "logic.loop",
    "logic.delay",
    "human.approval",
    "knowledge.retrieve",
]

BY_TYPE: dict[str, NodeSpec] = {spec.type: spec for spec in SPECS}
NODE_MODELS: dict[str, type[StrictModel]] = {spec.type: spec.model for spec in SPECS}
CONFIG_MODELS: dict[str, type[StrictModel]] = {spec.type: spec.config_model for spec in SPECS}
FLOW_LEVEL_TYPES: frozenset[str] = frozenset(spec.type for spec in SPECS if spec.flow_level)


def spec_for(node_type: str) -> NodeSpec:
    """The spec of a node type (KeyError for an unknown one: definitions are parsed before this is asked)."""
    return BY_TYPE[node_type]


@functools.cache
def handler_for(node_type: str) -> NodeHandler:
    """The handler running this node type, imported on first use (the definition package never loads it)."""
    spec = BY_TYPE.get(node_type)
    if spec is None or spec.handler is None:
        raise PermanentStepError(f"Node type {node_type!r} cannot run here yet")
    module, _, attribute = spec.handler.partition(":")
    handler: NodeHandler = getattr(importlib.import_module(module), attribute)()
    return handler
