"""What a `fast` agent may not contain: anything that needs its execution to be a flow run of its own.

The fast lane runs executions as task runs inside a worker's long-lived flow run (docs/performance.md), so
nothing in it can suspend that flow run (an approval, a tool approval), hold a lane slot for long (a long
delay), start a subflow (an agent tool), or be limited per agent by Prefect's deployment concurrency.
"""

from __future__ import annotations

from agentflow.graph.definition import AgentDefinition
from agentflow.graph.report import Issue
from agentflow.nodes.ai.model import AiNode
from agentflow.nodes.logic.model import DelayNode

# A delay holds one of the worker's fast-lane slots while it waits; longer waits belong to the standard mode.
MAX_FAST_DELAY_SECONDS = 30.0
_STANDARD = "set settings.execution_mode to standard"


def fast_mode_issues(defn: AgentDefinition) -> list[Issue]:
    """Every node (or setting) a fast agent cannot have; empty for a standard agent."""
    if defn.settings.execution_mode != "fast":
        return []
    issues: list[Issue] = []

    def add(code: str, node_id: str | None, field: str, text: str) -> None:
        where = f"node '{node_id}' {field}" if node_id else field
        issues.append(Issue(code=code, message=f"{where}: {text}", node_id=node_id, field=field))

    if defn.settings.max_concurrency is not None:
        add(
            "fast_mode_unsupported",
            None,
            "settings.max_concurrency",
            f"a per-agent concurrency limit needs the standard execution mode; remove it or {_STANDARD}",
        )
    for node in defn.nodes:
        if node.type == "human.approval":
            add(
                "fast_mode_unsupported",
                node.id,
                "type",
                f"an approval pauses its execution, which the fast execution mode cannot; {_STANDARD}",
            )
        elif isinstance(node, DelayNode):
            seconds = node.config.seconds
            if node.config.until is not None or isinstance(seconds, str):
                add(
                    "fast_mode_unsupported",
                    node.id,
                    "config",
                    f"the fast execution mode needs a fixed delay of at most {MAX_FAST_DELAY_SECONDS:.0f} "
                    f"seconds (not a time or a reference); {_STANDARD}",
                )
            elif seconds is not None and seconds > MAX_FAST_DELAY_SECONDS:
                add(
                    "fast_mode_unsupported",
                    node.id,
                    "config.seconds",
                    f"the fast execution mode allows delays of at most {MAX_FAST_DELAY_SECONDS:.0f} seconds; "
                    f"shorten it or {_STANDARD}",
                )
        elif isinstance(node, AiNode):
            if node.config.require_approval_for:
                add(
                    "fast_mode_unsupported",
                    node.id,
                    "config.require_approval_for",
                    "tool approvals pause their execution, which the fast execution mode cannot; "
                    + _STANDARD,
                )
            for index, tool in enumerate(node.config.tools):
                if getattr(tool, "type", None) == "agent":
                    add(
                        "fast_mode_unsupported",
                        node.id,
                        f"config.tools[{index}]",
                        f"an agent tool runs another agent as a sub-execution, which needs the standard "
                        f"execution mode; {_STANDARD}",
                    )
    return issues
