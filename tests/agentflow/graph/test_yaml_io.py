"""YAML and JSON reading and writing: exact round trips and located errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agentflow.graph import (
    DefinitionError,
    dump_json,
    dump_yaml,
    load_json,
    load_yaml,
    loads_definition,
    parse_definition,
    validate_definition,
)

DATA = Path(__file__).parent / "data"


@pytest.fixture
def triage_text() -> str:
    return (DATA / "support_triage.yaml").read_text(encoding="utf-8")


def test_realistic_yaml_file_round_trips_exactly(triage_text: str) -> None:
    assert dump_yaml(load_yaml(triage_text)) == triage_text


def test_realistic_file_is_a_valid_definition(triage_text: str) -> None:
    report = validate_definition(
        load_yaml(triage_text), for_publish=True, known_env={"TRACKER_URL", "TRACKER_TOKEN"}
    )
    assert report.errors == []
    assert report.warnings == []


def test_loaded_yaml_keeps_key_order_and_unicode(triage_text: str) -> None:
    data = load_yaml(triage_text)
    assert list(data) == ["nodes", "edges", "settings"]
    assert list(data["nodes"][0]) == ["id", "type", "name", "config", "position"]
    assert data["nodes"][0]["name"] == "Nouveau ticket — support"
    assert data["nodes"][2]["config"]["prompt"].startswith("Classify this ticket.\nTitle: ")


@pytest.mark.parametrize(
    "data",
    [
        {"nodes": [], "edges": [], "settings": {"timeout_seconds": 60}},
        {"z": 1, "a": [1, 2.5, -3, 1e20, True, False, None], "m": {"k": "v", "é": "ü — 日本"}},
        {"tricky": ["yes", "no", "on", "off", "012", "0x1f", "1:30", "1e3", "2025-01-31", "null", "~", ""]},
        {"text": ["multi\nline\n", "trailing space \nline", "tab\there", "# not a comment", "- not a list"]},
        {"templates": ["{{a.output.b}}", "{% if x %}y{% endif %}", "a: b", "@at", "`tick`", "'quote'"]},
    ],
)
def test_dump_then_load_gives_the_same_data(data: dict[str, Any]) -> None:
    assert load_yaml(dump_yaml(data)) == data
    assert load_json(dump_json(data)) == data


def test_yaml_reads_scalars_like_json_would(triage_text: str) -> None:
    data = load_yaml("a: no\nb: on\nc: 012\nd: 1:30\ne: 2025-01-31\nf: true\ng: ~\n")
    assert data == {"a": "no", "b": "on", "c": 12, "d": "1:30", "e": "2025-01-31", "f": True, "g": None}
    labels = load_yaml(triage_text)["nodes"][2]["config"]["labels"]
    assert labels[-1] == "no"


def test_json_round_trips_exactly(contract_example: dict[str, Any]) -> None:
    text = (DATA / "contract_example.json").read_text(encoding="utf-8")
    assert dump_json(load_json(text)) == text
    assert load_json(dump_json(contract_example)) == contract_example


def test_dumping_a_model_writes_what_was_given(contract_example: dict[str, Any]) -> None:
    defn = parse_definition(contract_example)
    assert load_yaml(dump_yaml(defn)) == json.loads(json.dumps(contract_example))
    assert load_json(dump_json(defn))["nodes"][4]["config"]["json"] == {
        "title": "{{start.output.body.title}}"
    }


def test_loads_definition_reads_yaml_and_json(triage_text: str, contract_example: dict[str, Any]) -> None:
    assert loads_definition(triage_text).node("route").type == "logic.switch"
    assert loads_definition(json.dumps(contract_example), format="json").trigger is not None


@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [
        ("nodes:\n  - id: a\n   type: ai\n", 3, 4, "expected <block end>"),
        ("nodes: [1, 2\n", 2, 1, "expected ','"),
        ("nodes: []\nedges: []\nnodes: []\n", 3, 1, "duplicate key 'nodes'"),
        ("nodes:\n\t- id: a\n", 2, 1, "cannot start any token"),
    ],
)
def test_yaml_errors_carry_line_and_column(text: str, line: int, column: int, fragment: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        load_yaml(text)
    assert (caught.value.line, caught.value.column) == (line, column)
    assert f"line {line}, column {column}" in str(caught.value)
    assert fragment in str(caught.value)


def test_json_errors_carry_line_and_column() -> None:
    with pytest.raises(DefinitionError) as caught:
        load_json('{\n  "nodes": [\n    {"id": "a",}\n  ]\n}')
    assert (caught.value.line, caught.value.column) == (3, 16)
    with pytest.raises(DefinitionError, match="duplicate key 'nodes'"):
        load_json('{"nodes": [], "nodes": []}')


@pytest.mark.parametrize("text", ["- just\n- a list\n", "42\n", ""])
def test_a_document_that_is_not_a_mapping_is_refused(text: str) -> None:
    with pytest.raises(DefinitionError, match="must be a mapping"):
        load_yaml(text)


BILLION_LAUGHS = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
nodes: *i
"""


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        (BILLION_LAUGHS, 1, 4),
        ("base: &cfg {kind: manual}\nnodes: []\n", 1, 7),
        ("nodes: []\nedges: *missing\n", 2, 8),
        ("nodes:\n  - &start {id: start, type: trigger}\n", 2, 5),
    ],
)
def test_yaml_anchors_and_aliases_are_refused(text: str, line: int, column: int) -> None:
    with pytest.raises(DefinitionError, match="YAML anchors and aliases are not allowed") as caught:
        load_yaml(text)
    assert (caught.value.line, caught.value.column) == (line, column)


def test_yaml_nesting_is_limited() -> None:
    with pytest.raises(DefinitionError, match="nesting deeper than 64 levels is not allowed") as caught:
        load_yaml("nodes: " + "[" * 100_000 + "]" * 100_000)
    assert caught.value.line == 1
    with pytest.raises(DefinitionError, match="nesting deeper than 64 levels"):
        load_yaml("nodes:\n" + "".join("  " * depth + "- k:\n" for depth in range(1, 80)))
    assert load_yaml("nodes: " + "[" * 63 + "]" * 63)["nodes"] != []  # 64 levels with the top mapping


def test_json_nesting_is_limited() -> None:
    for text in ("[" * 100_000 + "]" * 100_000, "[" * 100_000, '{"nodes": ' + "[" * 64 + "]" * 64 + "}"):
        with pytest.raises(DefinitionError, match="nesting deeper than 64 levels is not allowed"):
            load_json(text)
    assert load_json('{"nodes": ' + "[" * 63 + "]" * 63 + "}")["nodes"] != []
    # brackets inside strings are text, not nesting
    assert load_json(json.dumps({"nodes": [], "note": "[" * 1000 + '\\"{{{{'}))["note"].startswith("[[[")
