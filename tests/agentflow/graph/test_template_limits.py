"""Templates written to stall or exhaust the shared worker are refused quickly with a clear TemplateError."""

from __future__ import annotations

import pytest

from agentflow.graph import parse_definition, render_node_config
from agentflow.graph.errors import TemplateError
from agentflow.templating import limits, references_in, render, render_string, unsafe_constructs

BIG = "x" * 1000


@pytest.mark.parametrize(
    ("attack", "message"),
    [
        # CPU: 10^10 loop iterations, exponential macro recursion, recursive loops that widen
        (
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
            "did too much work|took too long",
        ),
        (
            "{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(60) }}",
            "did too much work|took too long",
        ),
        (
            "{% for x in range(100000) recursive %}{% if loop.depth < 3 %}{{ loop(range(100000)) }}"
            "{% endif %}{% endfor %}",
            "did too much work|took too long",
        ),
        # output: a megabyte of text per render at most, never built first and measured after
        ("{% for i in range(100000) %}{{ big }}{% endfor %}", "more than 1,048,576 characters of text"),
        ("{% set a %}{% for i in range(100000) %}{{ big }}{% endfor %}{% endset %}{{ a|length }}", "block"),
        # widths
        ("{{ 'x'|center(1000000000) }}", "center width 1,000,000,000 is larger than the maximum of 10,000"),
        ("{{ 'x'|wordwrap(1000000000) }}", "wordwrap width"),
        ("{{ ('a\n' * 100000)|indent(10000) }}", "indent would produce more than"),
        ("{{ 'a long text'|truncate(1000000000) }}", "truncate length"),
        ("{{ '%1000000000s'|format('x') }}", "%-format width"),
        ("{{ '%1000000000s' % 'x' }}", "%-format width"),
        ("{{ '%*s' % (1000000000, 'x') }}", "must be a number, not `\\*`"),
        ("{{ '{:>1000000000}'.format(1) }}", "format width"),
        ("{{ '{:{w}}'.format(1, w=1000000000) }}", "must be written as a number"),
        ("{{ [1]|tojson(indent=1000000000) }}", "tojson\\(\\) indent"),
        ("{{ [1]|batch(1000000000, 0)|list }}", "batch size"),
        ("{{ [1]|slice(1000000000)|list }}", "slice count"),
        ("{{ 'x'.ljust(1000000000) }}", "ljust\\(\\) width"),
        ("{{ 'x'.rjust(1000000000) }}", "rjust\\(\\) width"),
        ("{{ 'x'.center(1000000000) }}", "center\\(\\) width"),
        ("{{ 'x'.zfill(1000000000) }}", "zfill\\(\\) width"),
        ("{{ 'x'.encode().center(1000000000) }}", "center\\(\\) width"),
        ("{{ ('\t' * 100000).expandtabs(10000) }}", "expandtabs\\(\\) would produce"),
        ("{{ lipsum(100000) }}", "lipsum\\(\\) paragraphs"),
        # results that multiply their input
        ("{{ ('x' * 1000000)|replace('x', 'yyyyyyyyyy') }}", "replace would produce more than"),
        ("{{ ('x' * 1000000).replace('x', 'yyyyyyyyyy') }}", "replace\\(\\) would produce"),
        ("{{ ('x' * 1000000).replace('', 'yyyyyyyyyy') }}", "replace\\(\\) would produce"),
        ("{{ ([big] * 5000)|join(big) }}", "join would produce"),
        ("{{ big.join([big] * 5000) }}", "join would produce"),
        (
            "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
            "`~`",
        ),
        (
            "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
            "`\\+`",
        ),
        ("{{ [[0] * 1000000] * 1000000 }}", "repetition would write out more than"),
        ("{% set a = [0] * 1000000 %}{{ [a, a, a, a, a, a, a, a, a, a] }}", "value larger than 8,388,608"),
        (
            "{% set a = [0] * 1000000 %}{{ [a, a, a, a, a, a, a, a, a, a]|string|length }}",
            "string would write",
        ),
        (
            "{% set a = [0] * 1000000 %}{{ [a, a, a, a, a, a, a, a, a, a]|sum(start=[]) }}",
            "sum\\(\\) adds numbers",
        ),
        ("{{ range(100000)|map('center', 10000)|list|length }}", "did too much work"),
    ],
)
def test_resource_attacks_fail_with_a_clear_template_error(attack: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message) as caught:
        render_string(attack, {"big": BIG})
    assert caught.value.message.startswith("template ")
    assert caught.value.template == attack


@pytest.fixture
def iterations_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests of the iteration limit, with the CPU-time limit out of its way: a million steps take about half
    of its second on an idle machine, and more on a loaded one or under coverage's tracer, where the CPU
    limit would answer first and the test would check the machine's speed instead of the count."""
    monkeypatch.setattr(limits, "MAX_CPU_SECONDS", 600.0)


@pytest.mark.usefixtures("iterations_only")
def test_a_node_config_shares_one_budget_across_its_strings() -> None:
    loop = "{% for i in range(100000) %}{% endfor %}"  # 100k iterations each: fine alone, not twenty times
    assert render_string(loop, {}) == ""
    with pytest.raises(TemplateError, match="did too much work"):
        render({"fields": [loop] * 20}, {})


def test_ordinary_templates_render_as_before() -> None:
    data = {"rows": [{"name": "a", "n": 1}, {"name": "b", "n": 2}], "text": "hello world", "tab": "a\tb"}
    cases = {
        "{{ text|center(15) }}|": "  hello world  |",
        "{{ text|wordwrap(5) }}": "hello\nworld",
        "{{ 'a\nb'|indent(2, true) }}": "  a\n  b",
        "{{ text|truncate(8, leeway=0) }}": "hello...",
        "{{ '%05.1f|%-3s|' % (2.25, 'x') }}": "002.2|x  |",
        "{{ '%s-%s'|format(1, 2) }}": "1-2",
        "{{ '{:>6}|{:.2f}'.format('ab', 3.14159) }}": "    ab|3.14",
        "{{ rows|map(attribute='name')|join(', ') }}": "a, b",
        "{{ rows|join(',', attribute='n') }}": "1,2",
        "{{ ', '.join(['x', 'y']) }}|{{ text.replace('o', '0') }}|{{ tab.expandtabs(4) }}": (
            "x, y|hell0 w0rld|a   b"
        ),
        "{{ 'ab'.ljust(4, '.') }}{{ '7'.zfill(3) }}": "ab..007",
        "{{ rows|sum(attribute='n') }} {{ range(5)|batch(2)|list }} {{ range(5)|slice(2)|list }}": (
            "3 [[0, 1], [2, 3], [4]] [[0, 1, 2], [3, 4]]"
        ),
        "{{ {'a': [1]}|tojson(2) }}": '{\n  "a": [\n    1\n  ]\n}',
        "{{ text ~ '!' }} {{ text|replace('world', 'there') }}": "hello world! hello there",
        "{% for r in rows %}{{ loop.index }}{{ r.name }}{% if not loop.last %},{% endif %}{% endfor %}": (
            "1a,2b"
        ),
        "{% for x in [[1, [2]], [3]] recursive %}{% if x is iterable %}{{ loop(x) }}{% else %}{{ x }}"
        "{% endif %}{% endfor %}": "123",
        "{% autoescape true %}{{ '<b>' ~ text }}{% endautoescape %}": "&lt;b&gt;hello world",
    }
    for template, expected in cases.items():
        assert render_string(template, data) == expected, template


def test_large_data_still_passes_through_unchanged() -> None:
    # An HTTP response may be up to 5 MiB: a lone reference hands it on, only text output is capped at 1 MiB.
    body = {"rows": [{"id": i, "text": "y" * 40} for i in range(50_000)], "blob": "z" * 3_000_000}
    passed = render_string("{{ fetch.output.body }}", {"fetch": {"output": {"body": body}}})
    assert passed == body
    with pytest.raises(TemplateError, match="more than 1,048,576 characters of text"):
        render_string("Body: {{ fetch.output.body.blob }}", {"fetch": {"output": {"body": body}}})
    assert len(render_string("{{ 'x' * 1000000 }}", {})) == 1_000_000


def test_a_loop_of_many_iterations_within_the_budget_renders() -> None:
    items = list(range(50_000))
    assert len(render_string("{% for i in items %}{{ i % 10 }}{% endfor %}", {"items": items})) == 50_000


@pytest.mark.usefixtures("iterations_only")
def test_budget_is_released_after_each_render() -> None:
    loop = "{% for i in range(100000) %}{% for j in range(9) %}{% endfor %}{% endfor %}"  # ~1M steps
    with pytest.raises(TemplateError, match="did too much work"):
        render_string(loop, {})
    # A new render starts with a fresh budget (nothing carried over from the refused one).
    assert render_string("{% for i in range(10) %}{{ i }}{% endfor %}", {}) == "0123456789"


@pytest.mark.usefixtures("iterations_only")
def test_a_node_config_renders_within_one_budget() -> None:
    loop = "{% for i in range(100000) %}{% endfor %}"  # fine once; twelve of them in one config are not
    config = {"url": "https://example.com/" + loop, "headers": {f"h{i}": loop for i in range(12)}}
    node = parse_definition(
        {
            "nodes": [
                {"id": "start", "type": "trigger", "name": "Start", "config": {"kind": "manual"}},
                {"id": "call", "type": "action.http", "name": "Call", "config": config},
            ],
            "edges": [{"source": "start", "target": "call"}],
        }
    ).nodes[1]
    with pytest.raises(TemplateError, match="did too much work"):
        render_node_config(node, {})


@pytest.mark.parametrize(
    ("attack", "message"),
    [
        ("{{ a }}" * 140_000, "has more than 1,000 tags"),
        ("{% if a %}{{ b }}{% endif %}" * 500, "has more than 1,000 tags"),
        (
            "{{ a" + "|upper" * 100_000 + " }}",
            "has 600,007 characters inside its tags; a template has at most 50,000",
        ),
        ("{% if a %}" * 300 + "x" + "{% endif %}" * 300, "nests too deeply|maximum recursion depth"),
        ("{{ " + "(" * 5000 + "a" + ")" * 5000 + " }}", "nests too deeply|maximum recursion depth"),
        ("{{ " + "[" * 500 + "]" * 500 + " }}", "nests too deeply|maximum recursion depth"),
    ],
)
def test_templates_too_big_to_parse_cheaply_are_refused_before_parsing(attack: str, message: str) -> None:
    # Saving a draft parses every template (references, unsafe constructs) in the API: bounded as well.
    with pytest.raises(TemplateError, match=message):
        render_string(attack, {"a": "x"})
    with pytest.raises(TemplateError, match=message):
        references_in(attack)
    with pytest.raises(TemplateError, match=message):
        unsafe_constructs(attack)
    long_text = "x" * 1_000_000 + "{{ a }}"  # text between tags costs nothing: a long prompt is fine
    assert render_string(long_text, {"a": "!"}).endswith("x!")
