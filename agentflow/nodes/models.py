"""Every node type's contract models in one import (the agent definition re-exports them)."""

from agentflow.nodes.ai.model import AiConfig, AiNode, AiTool
from agentflow.nodes.approval.model import ApprovalConfig, ApprovalNode
from agentflow.nodes.base import NODE_ID_PATTERN, NodeBase, Position, RetryPolicy, StrictModel
from agentflow.nodes.http.model import HttpAuth, HttpConfig, HttpNode
from agentflow.nodes.integration.model import IntegrationConfig, IntegrationNode
from agentflow.nodes.knowledge.model import RetrieveConfig, RetrieveNode
from agentflow.nodes.logic.model import (
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
from agentflow.nodes.trigger.model import TriggerConfig, TriggerNode
from agentflow.nodes.webhook.model import WebhookConfig, WebhookNode

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
