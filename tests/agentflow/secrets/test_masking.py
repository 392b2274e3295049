"""Masking: secret values become *** in nested data, log records, tracebacks; empty values never do."""

from __future__ import annotations

import io
import json
import logging
import uuid

import pytest

from agentflow.logs import JSONFormatter
from agentflow.secrets.masking import MASK, Masker


def test_nested_structures_are_masked_without_touching_the_original() -> None:
    masker = Masker(["hunter2", "sk-live-42"])
    record = {
        "input": {"prompt": "use sk-live-42 please", "headers": [("Authorization", "Bearer hunter2")]},
        "hunter2": "the key itself is a secret",
        "tags": {"hunter2", "ok"},
        "count": 3,
        "ratio": 0.5,
        "nothing": None,
        "raw": b"token=hunter2",
        "steps": [{"output": ["a", "sk-live-42", {"deep": ("hunter2",)}]}],
    }
    original = json.loads(json.dumps(record, default=repr))
    masked = masker.mask(record)
    assert masked == {
        "input": {"prompt": f"use {MASK} please", "headers": [("Authorization", f"Bearer {MASK}")]},
        MASK: "the key itself is a secret",
        "tags": {MASK, "ok"},
        "count": 3,
        "ratio": 0.5,
        "nothing": None,
        "raw": f"token={MASK}".encode(),
        "steps": [{"output": ["a", MASK, {"deep": (MASK,)}]}],
    }
    assert json.loads(json.dumps(record, default=repr)) == original


def test_a_secret_containing_another_is_masked_whole() -> None:
    masker = Masker(["abc", "abcdef", "def"])
    assert masker.mask("abcdef abc def abcabc") == "*** *** *** ******"
    assert MASK.join(["x", "y"]) == masker.mask("xabcdefy")


def test_empty_values_are_never_masked() -> None:
    masker = Masker(["", ""])
    assert not masker
    assert masker.mask({"a": "", "b": "text"}) == {"a": "", "b": "text"}
    both = Masker(["", "s3cret"])
    assert both.mask("empty '' and s3cret") == f"empty '' and {MASK}"


def test_values_are_masked_as_they_appear_inside_json() -> None:
    secret = 'pa"ss\\word\nwith ünïcode'
    masker = Masker([secret])
    assert secret not in masker.mask(json.dumps({"password": secret}))
    assert 'pa\\"ss' not in masker.mask(json.dumps({"password": secret}))
    assert masker.mask(json.dumps({"password": secret}, ensure_ascii=False)) == json.dumps({"password": MASK})
    assert masker.mask(json.dumps({"password": secret})) == json.dumps({"password": MASK})


def test_regex_characters_in_secrets_are_literal() -> None:
    masker = Masker(["a.c", "(x|y)*"])
    assert masker.mask("abc a.c (x|y)* xy") == f"abc {MASK} {MASK} xy"


def test_exceptions_become_masked_text() -> None:
    masker = Masker(["s3cret"])
    assert masker.mask(ValueError("bad key s3cret")) == f"ValueError: bad key {MASK}"


def test_with_values_adds_secrets_resolved_later() -> None:
    masker = Masker(["one"]).with_values(["two"])
    assert masker.mask("one two three") == f"{MASK} {MASK} three"


@pytest.fixture
def captured() -> tuple[logging.Logger, io.StringIO, io.StringIO]:
    """A logger with two handlers (plain text and JSON lines), both behind the same masking filter."""
    masker = Masker(["s3cret-token", "hunter2"])
    logger = logging.getLogger(f"test.masking.{uuid.uuid4().hex}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    plain, as_json = io.StringIO(), io.StringIO()
    for stream, formatter in ((plain, logging.Formatter("%(message)s")), (as_json, JSONFormatter())):
        handler = logging.StreamHandler(stream)
        handler.setFormatter(formatter)
        handler.addFilter(masker.logging_filter())
        logger.addHandler(handler)
    return logger, plain, as_json


def test_log_records_are_masked(captured: tuple[logging.Logger, io.StringIO, io.StringIO]) -> None:
    logger, plain, as_json = captured
    logger.info("calling with %s and %r", "s3cret-token", {"password": "hunter2"})
    logger.warning("step failed", extra={"step_input": {"key": "s3cret-token"}, "attempt": 2})
    try:
        raise RuntimeError("provider rejected key s3cret-token")
    except RuntimeError:
        logger.exception("node errored for %s", "hunter2")
    logger.info("no secret here: %d items", 3)
    for output in (plain.getvalue(), as_json.getvalue()):
        assert "s3cret-token" not in output and "hunter2" not in output
        assert MASK in output
        assert "no secret here: 3 items" in output
        assert "RuntimeError: provider rejected key ***" in output
    lines = [json.loads(line) for line in as_json.getvalue().splitlines()]
    assert lines[0]["message"] == f"calling with {MASK} and {{'password': '{MASK}'}}"
    assert lines[1]["step_input"] == {"key": MASK} and lines[1]["attempt"] == 2
    assert "Traceback" in lines[2]["exc_info"]


def test_a_filter_with_no_secrets_changes_nothing() -> None:
    record = logging.makeLogRecord({"msg": "value %s", "args": ("x",)})
    assert Masker().logging_filter().filter(record)
    assert record.msg == "value %s" and record.args == ("x",)
