"""The definition models: discriminated nodes, handles, palette, JSON Schema."""

from __future__ import annotations

from typing import Any

import pytest

from agentflow.graph import (
    CONFIG_MODELS,
    AgentDefinition,
    AiNode,
    ApprovalNode,
    HttpNode,
    LoopNode,
    RetryPolicy,
    SwitchNode,
    TriggerNode,
    json_schema,
    node_types,
    output_handles,
    parse_definition,
)

ALL_TYPES = [
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


def test_contract_example_parses_into_typed_nodes(contract_example: dict[str, Any]) -> None:
    defn = parse_definition(contract_example)
    assert isinstance(defn.node("start"), TriggerNode)
    classify = defn.node("classify")
    assert isinstance(classify, AiNode)
    assert classify.config.labels == ["bug", "question", "billing"]
    assert classify.retry == RetryPolicy(max_retries=3, backoff_seconds=2)
    file_bug = defn.node("file_bug")
    assert isinstance(file_bug, HttpNode)
    assert file_bug.config.json_body == {"title": "{{start.output.body.title}}"}
    assert defn.trigger is not None
    assert defn.trigger.id == "start"
    assert defn.settings.max_concurrency == 5


def test_definition_dumps_back_to_what_was_written(contract_example: dict[str, Any]) -> None:
    assert parse_definition(contract_example).to_data() == contract_example


def test_retry_backoff_is_exponential() -> None:
    assert RetryPolicy(max_retries=4, backoff_seconds=2).delays() == [2, 4, 8, 16]
    assert RetryPolicy(max_retries=0).delays() == []


@pytest.mark.parametrize(
    ("node", "handles"),
    [
        ({"type": "trigger", "config": {}}, ["default"]),
        ({"type": "ai", "config": {"prompt": "x"}}, ["default"]),
        ({"type": "action.http", "config": {"url": "https://a.test"}}, ["default", "error"]),
        ({"type": "action.webhook", "config": {"url": "https://a.test"}}, ["default"]),
        (
            {"type": "action.integration", "config": {"integration": "slack", "action": "post"}},
            ["default", "error"],
        ),
        ({"type": "logic.if", "config": {"conditions": []}}, ["true", "false"]),
        (
            {"type": "logic.switch", "config": {"value": 1, "cases": [{"name": "a", "equals": 1}]}},
            ["a", "default"],
        ),
        ({"type": "logic.loop", "config": {"items": []}}, ["body", "done"]),
        ({"type": "logic.delay", "config": {"seconds": 1}}, ["default"]),
        ({"type": "human.approval", "config": {"message": "ok?"}}, ["approved", "rejected"]),
        ({"type": "knowledge.retrieve", "config": {"knowledge_base_id": "kb", "query": "q"}}, ["default"]),
    ],
)
def test_output_handles_per_type(node: dict[str, Any], handles: list[str]) -> None:
    defn = AgentDefinition.model_validate({"nodes": [{"id": "n", **node}]})
    assert output_handles(defn.nodes[0]) == handles


def test_every_contract_type_has_a_config_model_and_palette_entry() -> None:
    assert list(CONFIG_MODELS) == ALL_TYPES
    palette = {info.type: info for info in node_types()}
    assert list(palette) == ALL_TYPES
    assert palette["logic.if"].category == "logic"
    assert palette["human.approval"].handles == ["approved", "rejected"]
    assert palette["logic.switch"].dynamic_handles
    assert "prompt" in palette["ai"].config_schema["properties"]
    assert {info.category for info in palette.values()} == {
        "trigger",
        "ai",
        "action",
        "logic",
        "human",
        "knowledge",
    }


def test_json_schema_covers_every_node_type_and_documents_fields() -> None:
    schema = json_schema()
    mapping = schema["properties"]["nodes"]["items"]["discriminator"]["mapping"]
    assert sorted(mapping) == sorted(ALL_TYPES)
    ai_config = schema["$defs"]["AiConfig"]
    assert ai_config["additionalProperties"] is False
    assert ai_config["properties"]["temperature"]["anyOf"][0]["maximum"] == 2
    http_config = schema["$defs"]["HttpConfig"]["properties"]
    assert "json" in http_config
    assert "json_body" not in http_config
    node_id = schema["$defs"]["AiNode"]["properties"]["id"]
    assert node_id["pattern"] == "^[a-z][a-z0-9_]*$"


def test_every_field_of_every_model_has_a_description() -> None:
    schema = json_schema()
    missing = [
        f"{name}.{field}"
        for name, model in schema["$defs"].items()
        for field, spec in model.get("properties", {}).items()
        if not spec.get("description")
    ]
    assert missing == []


def test_models_are_usable_from_python() -> None:
    loop = LoopNode(id="each", type="logic.loop", config={"items": "{{a.output.rows}}"})  # type: ignore[arg-type]
    switch = SwitchNode.model_validate(
        {"id": "s", "type": "logic.switch", "config": {"value": 1, "cases": []}}
    )
    approval = ApprovalNode.model_validate(
        {"id": "ok", "type": "human.approval", "config": {"message": "Go?"}}
    )
    assert loop.config.max_iterations == 100
    assert switch.config.cases == []
    assert approval.config.on_timeout == "reject"
