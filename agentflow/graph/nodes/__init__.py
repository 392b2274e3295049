"""One pydantic node model and one config model per node type of the contract."""

from agentflow.graph.nodes.actions import (
    HttpAuth,
    HttpConfig,
    HttpNode,
    IntegrationConfig,
    IntegrationNode,
    WebhookConfig,
    WebhookNode,
)
from agentflow.graph.nodes.ai import AiConfig, AiNode, AiTool
from agentflow.graph.nodes.base import NODE_ID_PATTERN, NodeBase, Position, RetryPolicy, StrictModel
from agentflow.graph.nodes.human import ApprovalConfig, ApprovalNode
from agentflow.graph.nodes.knowledge import RetrieveConfig, RetrieveNode
from agentflow.graph.nodes.logic import (
    Condition,
    DelayConfig,
    DelayNode,
    IfConfig,
    IfNode,
    LoopConfig,
    LoopNode,
    SwitchCase,
    SwitchConfig,
    SwitchNode,
)
from agentflow.graph.nodes.trigger import TriggerConfig, TriggerNode

__all__ = [
    "NODE_ID_PATTERN",
    "AiConfig",
    "AiNode",
    "AiTool",
    "ApprovalConfig",
    "ApprovalNode",
    "Condition",
    "DelayConfig",
    "DelayNode",
    "HttpAuth",
    "HttpConfig",
    "HttpNode",
    "IfConfig",
    "IfNode",
    "IntegrationConfig",
    "IntegrationNode",
    "LoopConfig",
    "LoopNode",
    "NodeBase",
    "Position",
    "RetrieveConfig",
    "RetrieveNode",
    "RetryPolicy",
    "StrictModel",
    "SwitchCase",
    "SwitchConfig",
    "SwitchNode",
    "TriggerConfig",
    "TriggerNode",
    "WebhookConfig",
    "WebhookNode",
]
