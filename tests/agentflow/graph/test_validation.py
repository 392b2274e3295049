"""One test per validation rule: each issue names the node id and the field."""

from __future__ import annotations

from typing import Any

import pytest

from agentflow.graph import DefinitionError, parse_definition, validate_definition


def publish(raw: dict[str, Any], **kwargs: Any) -> Any:
    return validate_definition(raw, for_publish=True, **kwargs)


def test_contract_example_validates_clean(contract_example: dict[str, Any]) -> None:
    report = publish(contract_example, known_env={"TRACKER_URL", "TRACKER_TOKEN"})
    assert report.errors == []
    assert report.warnings == []
    assert report.ok


def test_missing_trigger_is_an_error(build: Any) -> None:
    report = publish(build.chain(build.ai("a")))
    issue = build.only(report, "missing_trigger")
    assert issue.field == "nodes"
    assert "trigger" in issue.message


def test_second_trigger_is_an_error(build: Any) -> None:
    raw = build.chain(build.trigger("start"), build.ai("a"))
    raw["nodes"].append(build.trigger("again"))
    raw["edges"].append(build.edge("again", "a"))
    build.assert_names(build.only(publish(raw), "multiple_triggers"), "again", "type")


def test_duplicate_node_ids_are_an_error(build: Any) -> None:
    raw = build.chain(build.trigger(), build.ai("a"))
    raw["nodes"].append(build.ai("a", prompt="again"))
    build.assert_names(build.only(publish(raw), "duplicate_node_id"), "a", "id")


@pytest.mark.parametrize("bad_id", ["Classify", "1st", "has-dash", "with space", "_x"])
def test_malformed_node_id_is_an_error(build: Any, bad_id: str) -> None:
    raw = build.chain(build.trigger(), build.ai(bad_id))
    issue = build.only(publish(raw), "invalid_node_id")
    build.assert_names(issue, bad_id, "id")


@pytest.mark.parametrize("reserved", ["env", "loop", "trigger", "execution", "range", "none"])
def test_ids_that_shadow_reference_roots_are_refused(build: Any, reserved: str) -> None:
    raw = build.chain(build.trigger(), build.ai(reserved))
    build.assert_names(build.only(publish(raw), "reserved_node_id"), reserved, "id")


def test_edge_to_unknown_node_names_the_edge_and_suggests(build: Any) -> None:
    raw = build.chain(build.trigger(), build.ai("classify"))
    raw["edges"].append(build.edge("classify", "clasify_2"))
    issue = build.only(publish(raw), "unknown_edge_target")
    build.assert_names(issue, "classify", "edges[1].target")
    assert "'clasify_2' is not a node" in issue.message


def test_edge_from_unknown_node(build: Any) -> None:
    raw = build.chain(build.trigger(), build.ai("a"))
    raw["edges"].append(build.edge("ghost", "a"))
    issue = build.only(publish(raw), "unknown_edge_source")
    assert issue.field == "edges[1].source"
    assert "'ghost' is not a node" in issue.message


def test_handle_must_exist_on_the_source_type(build: Any) -> None:
    raw = build.definition(
        [
            build.trigger(),
            build.node("check", "logic.if", conditions=[{"left": 1, "op": "eq", "right": 1}]),
            build.ai("a"),
        ],
        [build.edge("start", "check"), build.edge("check", "a", "maybe")],
    )
    issue = build.only(publish(raw), "invalid_source_handle")
    build.assert_names(issue, "check", "edges[1].source_handle")
    assert "true, false" in issue.message


def test_branching_node_needs_an_explicit_handle(build: Any) -> None:
    raw = build.definition(
        [build.trigger(), build.node("ok", "human.approval", message="Go?"), build.ai("a")],
        [build.edge("start", "ok"), build.edge("ok", "a")],
    )
    issue = build.only(publish(raw), "invalid_source_handle")
    build.assert_names(issue, "ok", "edges[1].source_handle")
    assert "approved, rejected" in issue.message


def test_switch_handles_are_its_case_names_and_default(build: Any) -> None:
    switch = build.node(
        "route",
        "logic.switch",
        value="{{start.output.kind}}",
        cases=[{"name": "bug", "equals": "bug"}, {"name": "sales", "equals": "sales"}],
    )
    raw = build.definition(
        [build.trigger(), switch, build.ai("a"), build.ai("b"), build.ai("c")],
        [
            build.edge("start", "route"),
            build.edge("route", "a", "bug"),
            build.edge("route", "b", "default"),
            build.edge("route", "c", "support"),
        ],
    )
    issue = build.only(publish(raw), "invalid_source_handle")
    build.assert_names(issue, "route", "edges[3].source_handle")
    assert "bug, sales, default" in issue.message


def test_self_loop_is_an_error(build: Any) -> None:
    raw = build.chain(build.trigger(), build.ai("a"))
    raw["edges"].append(build.edge("a", "a"))
    build.assert_names(build.only(publish(raw), "self_loop"), "a", "edges[1].target")


def test_cycle_outside_a_loop_body_is_an_error(build: Any) -> None:
    raw = build.chain(build.trigger(), build.ai("a"), build.ai("b"), build.ai("c"))
    raw["edges"].append(build.edge("c", "a"))
    issue = build.only(publish(raw), "cycle")
    build.assert_names(issue, "a", "edges")
    assert "a → b → c" in issue.message


def loop_definition(build: Any, *, back_edge: bool = True) -> dict[str, Any]:
    """start → each (loop over start.output.items) —body→ summarize → each; each —done→ report."""
    raw = build.definition(
        [
            build.trigger(),
            build.node("each", "logic.loop", items="{{start.output.items}}"),
            build.ai("summarize", prompt="Summarize item {{loop.index}}: {{loop.item.text}}"),
            build.ai("report", prompt="Results: {{each.output.results}}"),
        ],
        [
            build.edge("start", "each"),
            build.edge("each", "summarize", "body"),
            build.edge("each", "report", "done"),
        ],
    )
    if back_edge:
        raw["edges"].append(build.edge("summarize", "each"))
    return raw


def test_back_edge_from_a_loop_body_into_its_loop_is_allowed(build: Any) -> None:
    report = publish(loop_definition(build))
    assert report.errors == []
    assert report.warnings == []


def test_entering_a_loop_body_from_outside_is_an_error(build: Any) -> None:
    raw = loop_definition(build)
    raw["edges"].append(build.edge("start", "summarize"))
    build.assert_names(build.only(publish(raw), "loop_body_entry"), "summarize", "edges")


def test_unreachable_node_is_a_warning_on_draft_and_an_error_on_publish(build: Any) -> None:
    raw = build.chain(build.trigger(), build.ai("a"))
    raw["nodes"].append(build.ai("orphan"))
    draft = validate_definition(raw, for_publish=False)
    assert draft.errors == []
    build.assert_names(build.only(draft, "unreachable_node", severity="warning"), "orphan", None)
    build.assert_names(build.only(publish(raw), "unreachable_node"), "orphan", None)


def test_unknown_reference_names_node_field_and_suggests(build: Any) -> None:
    raw = build.chain(
        build.trigger(), build.ai("classify"), build.ai("reply", prompt="{{clasify.output.text}}")
    )
    issue = build.only(publish(raw), "unknown_reference")
    build.assert_names(issue, "reply", "config.prompt")
    assert "{{clasify.output.text}}" in issue.message
    assert "did you mean 'classify'" in issue.message


def test_reference_to_a_node_that_does_not_run_before_is_an_error(build: Any) -> None:
    condition = [{"left": "{{start.output.ok}}", "op": "eq", "right": True}]
    raw = build.definition(
        [
            build.trigger(),
            build.node("check", "logic.if", conditions=condition),
            build.ai("yes"),
            build.ai("no", prompt="Other branch said {{yes.output.text}}"),
        ],
        [
            build.edge("start", "check"),
            build.edge("check", "yes", "true"),
            build.edge("check", "no", "false"),
        ],
    )
    issue = build.only(publish(raw), "reference_not_upstream")
    build.assert_names(issue, "no", "config.prompt")
    assert "'yes' does not run before 'no'" in issue.message


def test_references_in_nested_config_fields_are_located(build: Any) -> None:
    raw = build.chain(
        build.trigger(), build.http("call", headers={"X-Id": "{{later.output.text}}"}), build.ai("later")
    )
    issue = build.only(publish(raw), "reference_not_upstream")
    build.assert_names(issue, "call", "config.headers.X-Id")


def test_loop_variables_outside_a_loop_body_are_an_error(build: Any) -> None:
    raw = build.chain(build.trigger(), build.ai("a", prompt="Item {{loop.item}}"))
    issue = build.only(publish(raw), "loop_outside_body")
    build.assert_names(issue, "a", "config.prompt")


def test_loop_output_is_not_available_inside_its_own_body(build: Any) -> None:
    raw = loop_definition(build)
    raw["nodes"][2]["config"]["prompt"] = "{{each.output.results}}"
    build.assert_names(build.only(publish(raw), "reference_not_upstream"), "summarize", "config.prompt")


def test_unknown_secrets_are_errors_only_when_known_env_is_given(build: Any) -> None:
    raw = build.chain(build.trigger(), build.http("call", url="{{env.API_URL}}/x"))
    assert publish(raw).errors == []
    assert publish(raw, known_env={"API_URL"}).errors == []
    issue = build.only(publish(raw, known_env={"OTHER"}), "unknown_secret")
    build.assert_names(issue, "call", "config.url")
    assert "'API_URL'" in issue.message


@pytest.mark.parametrize(
    ("template", "hint"),
    [("{{env}}", "{{env.NAME}}"), ("{{start.body}}", ".output"), ("{{execution.user}}", "{{execution.id}}")],
)
def test_malformed_references_are_errors(build: Any, template: str, hint: str) -> None:
    raw = build.chain(build.trigger(), build.ai("a", prompt=template))
    issue = build.only(publish(raw), "invalid_reference")
    build.assert_names(issue, "a", "config.prompt")
    assert hint in issue.message


def test_reference_to_a_field_a_node_type_never_outputs(build: Any) -> None:
    raw = build.chain(
        build.trigger(),
        build.ai("classify", operation="classify", labels=["a", "b"]),
        build.ai("reply", prompt="{{classify.output.lable}}"),
    )
    issue = build.only(publish(raw), "unknown_output_field")
    build.assert_names(issue, "reply", "config.prompt")
    assert "confidence, label, usage" in issue.message


def test_tool_calls_are_an_output_of_a_chat_node_with_tools_only(build: Any) -> None:
    tool = {"name": "lookup", "parameters": {"type": "object", "properties": {}}}
    with_tools = build.chain(
        build.trigger(),
        build.ai("agent", tools=[tool]),
        build.ai("reply", prompt="{{agent.output.tool_calls}} cost {{agent.output.usage.cost_known}}"),
    )
    assert publish(with_tools).errors == []

    without = build.chain(
        build.trigger(), build.ai("agent"), build.ai("reply", prompt="{{agent.output.tool_calls}}")
    )
    issue = build.only(publish(without), "unknown_output_field")
    build.assert_names(issue, "reply", "config.prompt")


def test_trigger_alias_and_execution_id_are_valid_references(build: Any) -> None:
    raw = build.chain(
        build.trigger(kind="webhook"),
        build.ai("a", prompt="{{trigger.output.body.text}} in run {{execution.id}}"),
    )
    assert publish(raw).errors == []


def test_template_syntax_error_names_node_and_field(build: Any) -> None:
    raw = build.chain(build.trigger(), build.ai("a", system="Hello {{ start.output.name "))
    issue = build.only(publish(raw), "template_syntax")
    build.assert_names(issue, "a", "config.system")


@pytest.mark.parametrize(
    ("template", "named"),
    [
        ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "`.__class__`"),
        ("{{ cycler.__init__.__globals__.os.popen('id').read() }}", "`.__init__`"),
        ("{{ start.output['__globals__'] }}", "`['__globals__']`"),
        ("{{ '{0.__class__.__base__}'.format('') }}", "format string"),
        ("{% for c in start.output.__class__.__mro__ %}{{ c }}{% endfor %}", "`.__class__`"),
        ("{{ start.output.body.tags.append('x') }}", "`.append(…)`"),
    ],
)
def test_template_reaching_internals_is_an_error(build: Any, template: str, named: str) -> None:
    raw = build.chain(build.trigger(), build.ai("a", prompt=template))
    issue = build.only(publish(raw), "unsafe_template")
    build.assert_names(issue, "a", "config.prompt")
    assert named in issue.message and "sandbox" in issue.message


def test_data_keys_with_one_leading_underscore_are_not_internals(build: Any) -> None:
    raw = build.chain(build.trigger(), build.ai("a", prompt="{{ start.output.body._id }}"))
    assert publish(raw).errors == []


def test_trigger_cannot_have_incoming_edges(build: Any) -> None:
    raw = build.chain(build.trigger(), build.ai("a"))
    raw["edges"].append(build.edge("a", "start"))
    build.assert_names(build.only(publish(raw), "trigger_has_incoming"), "a", "edges[1].target")


def test_unknown_field_is_refused_with_a_suggestion(build: Any) -> None:
    raw = build.chain(build.trigger(), build.ai("classify", promt="typo"))
    report = publish(raw)
    issue = build.only(report, "unknown_field")
    build.assert_names(issue, "classify", "config.promt")
    assert "did you mean 'prompt'" in issue.message


def test_unknown_node_type_lists_the_known_ones(build: Any) -> None:
    raw = build.chain(build.trigger(), build.node("x", "action.email", to="a@b"))
    issue = build.only(publish(raw), "unknown_node_type")
    build.assert_names(issue, "x", "type")
    assert "action.http" in issue.message


def test_parse_definition_raises_with_located_issues(build: Any) -> None:
    raw = build.chain(build.trigger(), build.ai("a", temperature=7))
    with pytest.raises(DefinitionError) as caught:
        parse_definition(raw)
    [issue] = caught.value.issues
    assert (issue.node_id, issue.field) == ("a", "config.temperature")
    assert "node 'a' config.temperature" in str(caught.value)


def test_edge_and_settings_errors_are_located(build: Any) -> None:
    raw = build.chain(build.trigger(), build.ai("a"))
    raw["edges"][0]["handle"] = "x"
    raw["settings"] = {"timeout_seconds": 0}
    report = publish(raw)
    edge_issue = build.only(report, "unknown_field")
    assert edge_issue.field == "edges[0].handle"
    assert "did you mean 'source_handle'" in edge_issue.message
    settings_issue = build.only(report, "invalid_value")
    assert settings_issue.field == "settings.timeout_seconds"


def test_duplicate_edge_is_a_warning(build: Any) -> None:
    raw = build.chain(build.trigger(), build.ai("a"))
    raw["edges"].append(build.edge("start", "a", "default"))
    report = publish(raw)
    assert report.errors == []
    build.assert_names(build.only(report, "duplicate_edge", severity="warning"), "start", "edges[1].target")


def test_loop_with_nothing_in_its_body_is_a_warning(build: Any) -> None:
    raw = build.definition(
        [build.trigger(), build.node("each", "logic.loop", items=[1, 2]), build.ai("after")],
        [build.edge("start", "each"), build.edge("each", "after", "done")],
    )
    report = publish(raw)
    assert report.errors == []
    build.assert_names(build.only(report, "empty_loop_body", severity="warning"), "each", "edges")


def test_documents_that_are_not_definitions_are_reported(build: Any) -> None:
    report = publish([1, 2])  # type: ignore[arg-type]
    assert report.codes() == ["invalid_definition"]
    report = publish({"nodes": [build.trigger(), "not a node"]})
    issue = build.only(report, "invalid_node")
    assert "nodes[1]: expected an object" in issue.message
