"""A test run's per-node choices (`executions.test_options`): a side-effecting node previews by default
(nothing sent); `sample` keeps the preview and merges the user's sample response into its output, so nodes
downstream that read the response can be tested; `send` really sends, as a published run would."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from agentflow.nodes.context import NodeContext, NodeResult


def node_context(base: NodeContext, option: Mapping[str, Any] | None) -> NodeContext:
    """The context the node runs with: `send` lifts the preview for this node only."""
    if base.preview and option is not None and option.get("mode") == "send":
        return dataclasses.replace(base, preview=False)
    return base


def with_sample(result: NodeResult, option: Mapping[str, Any] | None) -> NodeResult:
    """A previewed output with the sample response merged in (`preview: true` and the described `request`
    stay, so the record still says nothing was sent). A node that did run (a read) keeps its real output."""
    if option is None or option.get("mode") != "sample" or not isinstance(option.get("sample"), dict):
        return result
    output = result.output
    if not isinstance(output, dict) or output.get("preview") is not True:
        return result
    merged = {**output, **option["sample"], "preview": True, "request": output.get("request")}
    if "request" not in output:
        merged.pop("request")
    return dataclasses.replace(result, output=merged)
