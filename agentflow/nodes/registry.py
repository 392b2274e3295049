"""Node type → handler. The AI and knowledge nodes plug in with `register`."""

from __future__ import annotations

from agentflow.engine.errors import PermanentStepError
from agentflow.nodes.ai import AIHandler
from agentflow.nodes.approval import ApprovalHandler
from agentflow.nodes.base import NodeHandler
from agentflow.nodes.http import HttpHandler
from agentflow.nodes.logic import DelayHandler, IfHandler, LoopHandler, SwitchHandler
from agentflow.nodes.trigger import TriggerHandler
from agentflow.nodes.webhook import WebhookHandler

_HANDLERS: dict[str, NodeHandler] = {
    "trigger": TriggerHandler(),
    "ai": AIHandler(),
    "action.http": HttpHandler(),
    "action.webhook": WebhookHandler(),
    "logic.if": IfHandler(),
    "logic.switch": SwitchHandler(),
    "logic.loop": LoopHandler(),
    "logic.delay": DelayHandler(),
    "human.approval": ApprovalHandler(),
}


def register(node_type: str, handler: NodeHandler) -> None:
    """Add or replace the handler of a node type (the AI and knowledge nodes register here)."""
    _HANDLERS[node_type] = handler


def handler_for(node_type: str) -> NodeHandler:
    try:
        return _HANDLERS[node_type]
    except KeyError:
        raise PermanentStepError(f"Node type {node_type!r} cannot run here yet") from None
