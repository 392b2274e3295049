"""The Jinja2 environment templates render in: the immutable sandbox, plus bounds on size, widths and work.

What each bound is lives in `limits`; this module puts the checks where Jinja gives a hook: the code
generator (every `{% for %}` and `~`), `call` (every call, and the str methods that pad or multiply),
`call_binop` (`*`, `**`, `%`, `+`), `wrap_str_format` (`'{:>N}'.format`) and the filters.
"""

from __future__ import annotations

import functools
import itertools
import json
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from jinja2 import StrictUndefined, Undefined, nodes, pass_environment, pass_eval_context
from jinja2.compiler import CodeGenerator, Frame
from jinja2.environment import Environment
from jinja2.exceptions import SecurityError
from jinja2.filters import make_attrgetter, sync_do_join, sync_do_slice, sync_do_sum
from jinja2.nodes import EvalContext
from jinja2.runtime import Context, LoopContext, markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import generate_lorem_ipsum

from agentflow.templating import limits
from agentflow.templating.limits import LimitExceeded, check_printable, check_size, check_width

_LOOP_FILTER = "_af_budget"
_SIZED = (str, bytes, list, tuple)


class _CodeGenerator(CodeGenerator):
    """Counts every loop iteration and bounds every `~` concatenation."""

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        # Before any code is written: the filters a template uses are collected from the tree up front.
        for loop in list(node.find_all(nodes.For)):
            loop.iter = nodes.Filter(loop.iter, _LOOP_FILTER, [], [], None, None, lineno=loop.lineno)
        super().visit_Template(node, frame)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile:
            markup = "context.eval_ctx.volatile"
        else:
            markup = "True" if frame.eval_ctx.autoescape else "False"
        self.write("environment.join_text((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write(f"), {markup})")


def _text_method(owner: str | bytes, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Check the arguments of a str/bytes method that can make its result much longer than its input."""
    if name in ("ljust", "rjust", "center", "zfill") and args:
        check_width(args[0], f"the {name}() width")
    elif name == "expandtabs":
        size = args[0] if args else kwargs.get("tabsize", 8)
        check_width(size, "the expandtabs() tab size")
        if isinstance(size, int):
            tab = "\t" if isinstance(owner, str) else b"\t"
            check_size(len(owner) + owner.count(tab) * size, "expandtabs()")  # type: ignore[arg-type]
    elif name == "replace" and len(args) >= 2:
        count = args[2] if len(args) > 2 else kwargs.get("count", -1)
        check_size(limits.replaced_length(owner, args[0], args[1], count), "replace()")
    elif name == "join" and len(args) == 1:
        return (_checked_items(len(owner), args[0], as_text=False),)
    return args


def _checked_items(separator: int, items: Any, *, as_text: bool) -> list[Any]:
    """The items to join, taken one by one and refused as soon as the joined length would pass the limit."""
    taken: list[Any] = []
    total = 0
    for item in items:
        if as_text:
            check_printable(item, "join")
            total += len(str(item))
        elif isinstance(item, str | bytes):
            total += len(item)
        total += separator if taken else 0
        check_size(total, "join")
        taken.append(item)
    return taken


class _Environment(ImmutableSandboxedEnvironment):
    """The sandbox, plus data-first attribute lookup and guards against memory and CPU bombs."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})
    code_generator_class = _CodeGenerator

    def getattr(self, obj: Any, attribute: str) -> Any:
        # `{{ body.items }}` must mean the key "items" of JSON data, not the dict method.
        if isinstance(obj, Mapping):
            try:
                return obj[attribute]
            except (KeyError, TypeError):
                pass
        return super().getattr(obj, attribute)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > limits.MAX_EXPONENT:
            raise SecurityError(f"exponent {right} is larger than {limits.MAX_EXPONENT}")
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                if isinstance(sequence, _SIZED) and isinstance(times, int) and times > 0:
                    if len(sequence) * times > limits.MAX_SEQUENCE_REPEAT:
                        raise SecurityError(
                            f"repeating a sequence to more than {limits.MAX_SEQUENCE_REPEAT} items"
                        )
                    # `[[0] * 10**6] * 10**6` is a million items that each write out as a million
                    if isinstance(sequence, list | tuple) and limits.logical_size(sequence) * times > (
                        limits.MAX_VALUE_SIZE
                    ):
                        raise LimitExceeded(
                            f"is not allowed: this repetition would write out more than "
                            f"{limits.MAX_VALUE_SIZE:,} characters and items"
                        )
        elif operator == "%" and isinstance(left, str | bytes):
            limits.check_percent_format(left, right)
        elif operator == "+" and isinstance(left, _SIZED) and isinstance(right, _SIZED):
            check_size(len(left) + len(right), "`+`")
        result = super().call_binop(context, operator, left, right)
        if isinstance(result, _SIZED):
            limits.charge(len(result))
        return result

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        limits.step()
        if isinstance(__obj, LoopContext) and args:  # `loop(children)` in a recursive loop: count those too
            args = (limits.count_loop(args[0]), *args[1:])
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str | bytes) and isinstance(__obj, types.BuiltinMethodType):
            args = _text_method(owner, __obj.__name__, args, kwargs)
        elif __obj is generate_lorem_ipsum:
            paragraphs = args[0] if args else kwargs.get("n", 5)
            words = args[3] if len(args) > 3 else kwargs.get("max", 100)
            check_width(paragraphs, "lipsum() paragraphs")
            check_width(words, "lipsum() words")
            if isinstance(paragraphs, int) and isinstance(words, int):
                check_size(paragraphs * words * 12, "lipsum()")  # about 12 characters a word
        result = super().call(__context, __obj, *args, **kwargs)
        if isinstance(result, _SIZED):
            limits.charge(len(result))
        return result

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        template, is_map = value.__self__, value.__name__ == "format_map"

        def bounded(*args: Any, **kwargs: Any) -> str:
            if is_map:
                mapping = args[0] if args and isinstance(args[0], Mapping) else {}
                limits.check_str_format(template, (), mapping)
            else:
                limits.check_str_format(template, args, kwargs)
            result = wrapped(*args, **kwargs)
            limits.charge(len(result))
            return result

        return functools.update_wrapper(bounded, value)

    @staticmethod
    def concat(pieces: Iterable[str]) -> str:  # type: ignore[override]
        """The text of a macro, a `{% set %}` block or a `{% filter %}` body, refused past the value limit."""
        return limits.bounded_text(iter(pieces), limits.MAX_VALUE_SIZE, "characters in one block")

    def join_text(self, parts: tuple[Any, ...], markup: bool) -> str:
        """`a ~ b ~ c`, with no part written out beyond the value limit and the result within it."""
        for part in parts:
            check_printable(part, "`~`")
        result = markup_join(parts) if markup else str_join(parts)
        check_size(len(result), "`~`")
        limits.charge(len(result))
        return result


def _too_large() -> LimitExceeded:
    return LimitExceeded(f"produces a value larger than {limits.MAX_VALUE_SIZE:,} characters and items")


def to_json_value(value: Any) -> Any:
    """Turn an expression result into plain JSON data; Undefined raises, non-data is refused, and data that
    would be larger than the value limit written out (a list shared a million times) is refused."""
    if isinstance(value, Mapping | list | tuple | set | frozenset):
        if limits.logical_size(value) > limits.MAX_VALUE_SIZE:
            raise _too_large()
    elif isinstance(value, range | Iterator):
        # A range or generator is produced on demand: take no more items than the limit allows.
        value = list(itertools.islice(value, limits.MAX_VALUE_SIZE + 1))
        if len(value) > limits.MAX_VALUE_SIZE:
            raise _too_large()
        return to_json_value(value)
    return _converted(value)


_PLAIN_TYPES = frozenset({str, int, float, bool, type(None)})


def _converted(value: Any) -> Any:
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, Mapping):
        return {str(key): _converted(item) for key, item in value.items()}
    if isinstance(value, list | tuple | range | set | frozenset | Iterator):
        items = list(value)
        if set(map(type, items)) <= _PLAIN_TYPES:  # plain numbers and strings: copied at C speed
            return items
        return [_converted(item) for item in items]
    raise TypeError(f"the expression evaluates to a {type(value).__name__}, which is not JSON data")


def to_text(value: Any) -> Any:
    """How a value is written inside text: strings as is, null as empty, the rest as JSON."""
    if isinstance(value, Undefined | str):
        return value  # Jinja stringifies; StrictUndefined raises there
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(to_json_value(value), ensure_ascii=False)


def _tojson(value: Any, indent: int | str | None = None) -> str:
    data = to_json_value(value)
    if indent is None:
        return json.dumps(data, ensure_ascii=False)
    check_width(len(indent) if isinstance(indent, str) else indent, "the tojson() indent")
    # With an indent the output can be far longer than the data: build it piece by piece, within the limit.
    pieces: list[str] = []
    total = 0
    for piece in json.JSONEncoder(ensure_ascii=False, indent=indent).iterencode(data):
        total += len(piece)
        check_size(total, "tojson()")
        pieces.append(piece)
    return "".join(pieces)


def _bounded_filters(original: Mapping[str, Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
    """Jinja's filters that pad, repeat or multiply, with their widths and result sizes checked first.

    `join`, `slice` and `sum` call Jinja's sync functions: the registered ones are async-aware wrappers.
    """
    original = dict(original)  # the unbounded ones, before these replace them

    def center(value: Any, width: int = 80) -> str:
        check_width(width, "the center width")
        return original["center"](value, width)  # type: ignore[no-any-return]

    def indent(s: Any, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
        check_width(width, "the indent width")
        text = str(s)
        pad = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
        check_size(len(text) + (len(text.splitlines()) + 1) * pad, "indent")
        return original["indent"](text, width, first, blank)  # type: ignore[no-any-return]

    @pass_environment
    def wordwrap(environment: Environment, s: Any, width: int = 79, break_long_words: bool = True,
                 wrapstring: str | None = None, break_on_hyphens: bool = True) -> str:  # fmt: skip
        check_width(width, "the wordwrap width")
        text, joint = str(s), environment.newline_sequence if wrapstring is None else str(wrapstring)
        if len(joint) > 1:  # every line (at least one character each) gets the joint
            check_size(len(text) * (1 + len(joint)), "wordwrap")
        return original["wordwrap"](  # type: ignore[no-any-return]
            environment, text, width, break_long_words, wrapstring, break_on_hyphens
        )

    @pass_environment
    def truncate(env: Environment, s: Any, length: int = 255, killwords: bool = False, end: str = "...",
                 leeway: int | None = None) -> str:  # fmt: skip
        check_width(length, "the truncate length", limits.MAX_VALUE_SIZE)
        check_width(len(str(end)), "the truncate end", limits.MAX_WIDTH)
        return original["truncate"](env, s, length, killwords, end, leeway)  # type: ignore[no-any-return]

    def format(value: Any, *args: Any, **kwargs: Any) -> str:
        limits.check_percent_format(str(value), kwargs or args)
        return original["format"](value, *args, **kwargs)  # type: ignore[no-any-return]

    def batch(value: Any, linecount: int, fill_with: Any = None) -> Any:
        check_width(linecount, "the batch size")
        return original["batch"](value, linecount, fill_with)

    def slice(value: Any, slices: int, fill_with: Any = None) -> Any:
        check_width(slices, "the slice count")
        return sync_do_slice(value, slices, fill_with)

    @pass_eval_context
    def replace(eval_ctx: EvalContext, s: Any, old: Any, new: Any, count: int | None = None) -> str:
        check_printable(s, "replace")
        size = limits.replaced_length(str(s), str(old), str(new), -1 if count is None else count)
        check_size(size, "replace")
        return original["replace"](eval_ctx, s, old, new, count)  # type: ignore[no-any-return]

    @pass_eval_context
    def join(eval_ctx: EvalContext, value: Any, d: str = "", attribute: str | int | None = None) -> str:
        if attribute is not None:
            value = map(make_attrgetter(eval_ctx.environment, attribute), value)
        items = _checked_items(len(str(d)), value, as_text=True)
        return sync_do_join(eval_ctx, items, d)

    @pass_environment
    def sum(environment: Environment, iterable: Any, attribute: Any = None, start: Any = 0) -> Any:
        if not isinstance(start, int | float):  # adding lists copies them over and over (quadratic)
            raise LimitExceeded("is not allowed: sum() adds numbers (its start must be a number)")
        return sync_do_sum(environment, iterable, attribute, start)

    def string(value: Any) -> str:
        check_printable(value, "string")
        return original["string"](value)  # type: ignore[no-any-return]

    def pprint(value: Any) -> str:
        check_printable(value, "pprint")
        return original["pprint"](value)  # type: ignore[no-any-return]

    bounded: list[Callable[..., Any]] = [
        center, indent, wordwrap, truncate, format, batch, slice, replace, join, sum, string, pprint
    ]  # fmt: skip
    return {function.__name__: function for function in bounded}


def _counted(function: Callable[..., Any]) -> Callable[..., Any]:
    """A filter whose every call is a step and whose result's length is charged to the render."""

    @functools.wraps(function)  # keeps `jinja_pass_arg`, so Jinja still passes the context it asks for
    def counted(*args: Any, **kwargs: Any) -> Any:
        result = function(*args, **kwargs)
        limits.spent(result)
        return result

    return counted


def build_environment() -> _Environment:
    """The one environment every template renders in."""
    env = _Environment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True, finalize=to_text
    )
    env.filters["tojson"] = _tojson
    env.filters.update(_bounded_filters(env.filters))
    env.filters = {name: _counted(function) for name, function in env.filters.items()}
    env.filters[_LOOP_FILTER] = limits.count_loop
    return env
