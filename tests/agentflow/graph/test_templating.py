"""Template rendering in the sandbox, type preservation, errors naming references, reference listing."""

from __future__ import annotations

from typing import Any

import pytest

from agentflow.graph import (
    LoopFrame,
    Reference,
    TemplateError,
    build_context,
    list_references,
    parse_definition,
    render,
    render_node_config,
    render_string,
)


@pytest.fixture
def context() -> dict[str, Any]:
    outputs = {
        "start": {"body": {"title": "Login fails", "tags": ["auth", "p1"], "items": [{"n": 1}], "count": 3}},
        "classify": {"label": "bug", "confidence": 0.92, "done": True, "note": None},
    }
    return build_context(
        outputs,
        trigger_id="start",
        env={"TRACKER_URL": "https://tracker.test", "TOKEN": "s3cret"},
        loop=LoopFrame(item={"text": "first"}, index=0),
        execution_id="exec-1",
    )


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{start.output.body.tags}}", ["auth", "p1"]),
        (
            "{{ start.output.body }}",
            {"title": "Login fails", "tags": ["auth", "p1"], "items": [{"n": 1}], "count": 3},
        ),
        ("{{start.output.body.count}}", 3),
        ("{{classify.output.confidence}}", 0.92),
        ("{{classify.output.done}}", True),
        ("{{classify.output.note}}", None),
        ("{{loop.index}}", 0),
        ("{{ start.output.body.tags | length }}", 2),
    ],
)
def test_lone_reference_keeps_its_json_type(context: dict[str, Any], template: str, expected: Any) -> None:
    result = render_string(template, context)
    assert result == expected
    assert type(result) is type(expected)


def test_text_interpolation_stringifies_as_json(context: dict[str, Any]) -> None:
    text = (
        "{{start.output.body.title}} has tags {{start.output.body.tags}},"
        " confident {{classify.output.confidence}},"
        " done={{classify.output.done}}, note=[{{classify.output.note}}], item {{loop.item}}"
    )
    assert render_string(text, context) == (
        'Login fails has tags ["auth", "p1"], confident 0.92, done=true, note=[], item {"text": "first"}'
    )


def test_aliases_env_and_execution(context: dict[str, Any]) -> None:
    assert render_string("{{trigger.output.body.title}}", context) == "Login fails"
    assert render_string("{{env.TRACKER_URL}}/issues?run={{execution.id}}", context) == (
        "https://tracker.test/issues?run=exec-1"
    )


def test_json_keys_named_like_dict_methods_are_data(context: dict[str, Any]) -> None:
    assert render_string("{{start.output.body.items}}", context) == [{"n": 1}]


def test_render_walks_nested_config_and_keeps_non_strings(context: dict[str, Any]) -> None:
    config = {
        "url": "{{env.TRACKER_URL}}/issues",
        "headers": {"Authorization": "Bearer {{env.TOKEN}}"},
        "json": {"title": "{{start.output.body.title}}", "labels": "{{start.output.body.tags}}", "n": 5},
        "steps": ["{{loop.index}}", "plain", None],
    }
    assert render(config, context) == {
        "url": "https://tracker.test/issues",
        "headers": {"Authorization": "Bearer s3cret"},
        "json": {"title": "Login fails", "labels": ["auth", "p1"], "n": 5},
        "steps": [0, "plain", None],
    }


def test_render_node_config_leaves_schemas_alone(context: dict[str, Any]) -> None:
    raw = {
        "nodes": [
            {"id": "start", "type": "trigger", "config": {}},
            {
                "id": "pull",
                "type": "ai",
                "config": {
                    "operation": "extract",
                    "prompt": "From {{start.output.body.title}}",
                    "output_schema": {"type": "object", "description": "{{not a template}}"},
                },
            },
        ]
    }
    rendered = render_node_config(parse_definition(raw).node("pull"), context)
    assert rendered["prompt"] == "From Login fails"
    assert rendered["output_schema"]["description"] == "{{not a template}}"


@pytest.mark.parametrize(
    ("template", "reference"),
    [
        ("{{ start.output.body.titel }}", "start.output.body.titel"),
        ("Label: {{clasify.output.label}}", "clasify.output.label"),
        ("Bearer {{env.MISSING}}", "env.MISSING"),
        ("{{start.output.body.tags[5]}}", "start.output.body.tags[5]"),
    ],
)
def test_undefined_reference_error_names_the_reference(
    context: dict[str, Any], template: str, reference: str
) -> None:
    with pytest.raises(TemplateError) as caught:
        render_string(template, context)
    assert caught.value.reference == reference
    assert f"{{{{{reference}}}}}" in str(caught.value)


def test_undefined_error_explains_what_is_there(context: dict[str, Any]) -> None:
    with pytest.raises(TemplateError, match=r"has no key 'titel' \(it has: title, tags, items, count\)"):
        render_string("{{ start.output.body.titel }}", context)


def test_errors_never_show_secret_values(context: dict[str, Any]) -> None:
    with pytest.raises(TemplateError) as caught:
        render_string("{{ env.TOKEN.nope }}", context)
    assert "s3cret" not in str(caught.value)


@pytest.mark.parametrize(
    "payload",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ x.__globals__ }}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        "{{ lipsum.__globals__['os'].system('id') }}",
        "{{ joiner.__init__.__globals__ }}",
        "{{ '{0.__class__.__base__}'.format('') }}",
        "{{ start.output.body.tags.append('x') }}",
        "{{ start.output.body.update({'title': 'x'}) }}",
        "{% for c in ''.__class__.__mro__ %}{{ c }}{% endfor %}",
        "{{ 'a' * 100000000 }}",
        "{{ 2 ** 100000 }}",
        "{{ range(10000000) | list }}",
    ],
)
def test_sandbox_refuses_template_attacks(context: dict[str, Any], payload: str) -> None:
    context = {**context, "x": render_string}  # a function in scope must still not leak its globals
    with pytest.raises(TemplateError, match=r"is not allowed|Range too big"):
        render_string(payload, context)


def test_sandbox_does_not_mutate_context(context: dict[str, Any]) -> None:
    with pytest.raises(TemplateError):
        render_string("{{ start.output.body.tags.append('x') }}", context)
    assert context["start"]["output"]["body"]["tags"] == ["auth", "p1"]


def test_syntax_error_is_a_template_error(context: dict[str, Any]) -> None:
    with pytest.raises(TemplateError, match="syntax error"):
        render_string("{{ start.output.body.title ", context)


def test_filters_and_statements_work(context: dict[str, Any]) -> None:
    template = "{% for tag in start.output.body.tags %}#{{ tag | upper }} {% endfor %}"
    assert render_string(template, context) == "#AUTH #P1 "


def test_strings_without_markup_are_returned_untouched(context: dict[str, Any]) -> None:
    assert render_string("no braces { here }", context) == "no braces { here }"


def test_list_references_on_nested_config() -> None:
    config = {
        "url": "{{env.API}}/items/{{start.output.body.id}}",
        "json": {"rows": [{"text": "{{ loop.item.text | trim }}"}], "n": 3},
        "message": "{% for c in search.output.chunks %}{{ c.content }}{% endfor %}",
        "pick": "{{ table.output.rows[loop.index].name }}",
        "literal": "plain",
    }
    references = list_references(config)
    assert [(r.field, r.kind, r.text) for r in references] == [
        ("url", "env", "env.API"),
        ("url", "node", "start.output.body.id"),
        ("json.rows[0].text", "loop", "loop.item.text"),
        ("message", "node", "search.output.chunks"),
        ("pick", "node", "table.output.rows"),
        ("pick", "loop", "loop.index"),
    ]
    assert references[4].dynamic is True


def test_list_references_on_a_single_template() -> None:
    assert list_references("Hi {{ trigger.output.name }} {{ execution.id }}") == [
        Reference(root="trigger", path=("output", "name")),
        Reference(root="execution", path=("id",)),
    ]


def test_list_references_reports_syntax_errors() -> None:
    with pytest.raises(TemplateError, match="syntax error"):
        list_references({"prompt": "{{ a.output. }}"})
