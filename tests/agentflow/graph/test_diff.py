"""Differences between two definition versions."""

from __future__ import annotations

import copy
from typing import Any

from agentflow.graph import Edge, diff_definitions


def test_identical_definitions_have_no_diff(contract_example: dict[str, Any]) -> None:
    diff = diff_definitions(contract_example, copy.deepcopy(contract_example))
    assert diff.model_dump() == diff_definitions({}, {}).model_dump()
    assert not diff.changes_behaviour


def test_added_removed_changed_moved_and_edges(contract_example: dict[str, Any], build: Any) -> None:
    after = copy.deepcopy(contract_example)
    nodes = {node["id"]: node for node in after["nodes"]}
    nodes["classify"]["config"]["prompt"] = "Classify: {{start.output.body.text}}"
    nodes["classify"]["retry"]["max_retries"] = 5
    nodes["is_bug"]["position"] = {"x": 10, "y": 20}
    nodes["approve"]["position"] = {"x": 0, "y": 0}
    nodes["approve"]["config"]["approvers"] = ["role:admin"]
    after["nodes"] = [node for node in after["nodes"] if node["id"] != "file_bug"]
    after["nodes"].append(build.node("notify", "action.webhook", url="https://hooks.test/a"))
    after["edges"] = [*after["edges"][:3], build.edge("approve", "notify", "approved")]
    after["settings"]["max_concurrency"] = 2

    diff = diff_definitions(contract_example, after)

    assert diff.nodes_added == ["notify"]
    assert diff.nodes_removed == ["file_bug"]
    assert {change.node_id: change.fields for change in diff.nodes_changed} == {
        "classify": ["config.prompt", "retry.max_retries"],
        "approve": ["config.approvers"],
    }
    assert diff.nodes_moved == ["is_bug", "approve"]
    assert diff.edges_added == [Edge(source="approve", target="notify", source_handle="approved")]
    assert diff.edges_removed == [Edge(source="approve", target="file_bug", source_handle="approved")]
    assert diff.settings_changed == ["max_concurrency"]
    assert diff.changes_behaviour


def test_a_move_alone_does_not_change_behaviour(contract_example: dict[str, Any]) -> None:
    after = copy.deepcopy(contract_example)
    after["nodes"][0]["position"] = {"x": 5, "y": 5}
    diff = diff_definitions(contract_example, after)
    assert diff.nodes_moved == ["start"]
    assert diff.nodes_changed == []
    assert not diff.changes_behaviour


def test_writing_a_default_explicitly_is_not_a_change(contract_example: dict[str, Any]) -> None:
    after = copy.deepcopy(contract_example)
    after["edges"][0]["source_handle"] = "default"
    after["nodes"][3]["config"]["approvers"] = []
    diff = diff_definitions(contract_example, after)
    assert not diff.changes_behaviour


def test_changed_list_items_are_located(contract_example: dict[str, Any]) -> None:
    after = copy.deepcopy(contract_example)
    after["nodes"][2]["config"]["conditions"][0]["right"] = "question"
    diff = diff_definitions(contract_example, after)
    assert diff.nodes_changed[0].fields == ["config.conditions[0].right"]


def test_type_change_reports_type_and_config(contract_example: dict[str, Any], build: Any) -> None:
    after = copy.deepcopy(contract_example)
    after["nodes"][4] = build.node("file_bug", "action.webhook", url="https://hooks.test/a")
    diff = diff_definitions(contract_example, after)
    assert [(c.node_id, c.fields) for c in diff.nodes_changed] == [("file_bug", ["type", "config"])]
