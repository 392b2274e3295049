"""What one template render may cost: output size, widths and counts, loop iterations and CPU time.

Tenants share one worker process, so a template must not be able to build gigabytes (`'x'.center(10**9)`,
`'%99999999s' % x`) or spin for minutes (nested `{% for %}` over big ranges, exponential macro recursion).
Every render runs under a `Budget` held in a ContextVar: the sandbox counts loop iterations, calls and
filter calls against it and checks the thread's CPU clock every thousand of them.
"""

from __future__ import annotations

import itertools
import re
import string
import time
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any

MAX_RENDERED_CHARS = 1_048_576  # text one template renders to
MAX_VALUE_SIZE = 8 * MAX_RENDERED_CHARS  # a value built inside a template (chars + items); above the 5 MiB
# an HTTP response may have, so a fetched body still passes through `{{step.output.body}}` unchanged
MAX_WORK_CHARS = 32 * MAX_RENDERED_CHARS  # chars and items produced by filters and calls in one render
MAX_WIDTH = 10_000  # a width, indent, tab size or count (`center`, `batch`, `'{:>N}'`, `'%Ns'`, …)
MAX_ITERATIONS = 1_000_000  # loop iterations, calls and filter calls in one render
MAX_CPU_SECONDS = 1.0  # CPU time of one render
MAX_SEQUENCE_REPEAT = 1_000_000  # items of `sequence * n`
MAX_EXPONENT = 1000
MAX_TEMPLATE_TAGS = 1000  # `{{…}}` and `{%…%}` in one template string: parsing and compiling cost per tag
MAX_TEMPLATE_CODE = 50_000  # characters inside the tags of one template string (the lexer's work)
_CHECK_EVERY = 1000  # steps between two looks at the CPU clock (a look costs about a microsecond)


class LimitExceeded(Exception):
    """A template went past one of the bounds; the message completes "template '…' …"."""


class Budget:
    """The work one render has done so far."""

    __slots__ = ("deadline", "next_check", "steps", "work")

    def __init__(self) -> None:
        self.steps = 0
        self.work = 0
        self.next_check = _CHECK_EVERY
        self.deadline = time.thread_time() + MAX_CPU_SECONDS

    def step(self) -> None:
        """One loop iteration, call or filter call."""
        self.steps += 1
        if self.steps >= self.next_check:
            self.checkpoint()

    def checkpoint(self) -> None:
        """Every thousand steps: refuse past the iteration limit or the CPU time."""
        self.next_check += _CHECK_EVERY
        if self.steps > MAX_ITERATIONS:
            raise LimitExceeded(f"did too much work: more than {MAX_ITERATIONS:,} loop iterations and calls")
        self.check_time()

    def check_time(self) -> None:
        """Refuse once the render has used its CPU time."""
        if time.thread_time() > self.deadline:
            raise LimitExceeded(f"took too long: more than {MAX_CPU_SECONDS:g} s of CPU time")

    def charge(self, size: int) -> None:
        """Count characters or items that a filter or call produced."""
        self.work += size
        if self.work > MAX_WORK_CHARS:
            raise LimitExceeded(
                f"did too much work: its filters and calls produced more than {MAX_WORK_CHARS:,} "
                "characters and items"
            )

    def counted(self, iterable: Iterable[Any]) -> Iterator[Any]:
        """The items of a `{% for %}` loop, each one a step (inlined: this runs for every iteration)."""
        for item in iterable:
            self.steps += 1
            if self.steps >= self.next_check:
                self.checkpoint()
            yield item


_BUDGET: ContextVar[Budget | None] = ContextVar("agentflow_template_budget", default=None)


class budgeted:  # a plain class, not @contextmanager: it runs on every render
    """Within it a render has a budget: a new one, or the one of the render under way (nested renders share
    it)."""

    __slots__ = ("_token",)

    def __enter__(self) -> None:
        self._token = _BUDGET.set(Budget()) if _BUDGET.get() is None else None

    def __exit__(self, *exc_info: object) -> None:
        if self._token is not None:
            _BUDGET.reset(self._token)


def step() -> None:
    """One unit of work against the current render's budget (nothing outside a render)."""
    budget = _BUDGET.get()
    if budget is not None:
        budget.step()


def charge(size: int) -> None:
    """Produced characters or items against the current render's budget."""
    budget = _BUDGET.get()
    if budget is not None:
        budget.charge(size)


def spent(result: Any) -> None:
    """A call or filter call that returned `result`: one step, and its length charged when it has one."""
    budget = _BUDGET.get()
    if budget is not None:
        budget.step()
        if isinstance(result, str | bytes | list | tuple):
            budget.charge(len(result))


def count_loop(iterable: Any) -> Any:
    """What `{% for %}` iterates, counted; the `_af_budget` filter the code generator puts on every loop."""
    budget = _BUDGET.get()
    if budget is None:
        return iterable
    return budget.counted(iterable)


def bounded_text(pieces: Iterator[str], limit: int, what: str) -> str:
    """Join generated text, refused as soon as it passes the limit; the CPU time is looked at as it goes.

    Pieces are taken in chunks so that counting runs at C speed: rendering does this for every node.
    """
    taken: list[str] = []
    total = 0
    while chunk := list(itertools.islice(pieces, 256)):
        total += sum(map(len, chunk))
        if total > limit:
            raise LimitExceeded(f"produces more than {limit:,} {what}")
        taken.extend(chunk)
        if len(chunk) == 256 and (budget := _BUDGET.get()) is not None:
            budget.check_time()
    return "".join(taken)


def template_code(source: str) -> tuple[int, int]:
    """How many tags (`{{…}}`, `{%…%}`) a template has (counting stops past the limit) and how many
    characters are inside them; text between tags costs the parser nothing. Linear: each `find` starts
    where the last one stopped."""
    tags = code = position = 0
    next_output, next_statement = source.find("{{"), source.find("{%")
    while next_output != -1 or next_statement != -1:
        if next_statement == -1 or (next_output != -1 and next_output < next_statement):
            start, closer = next_output, "}}"
        else:
            start, closer = next_statement, "%}"
        end = source.find(closer, start + 2)
        tags += 1
        if end == -1:
            return tags, code + len(source) - start
        code += end + 2 - start
        position = end + 2
        if tags > MAX_TEMPLATE_TAGS:
            return tags, code  # refused anyway: no need to count further
        # A marker that was not found is not searched for again (that would scan the rest every time).
        if -1 < next_output < position:
            next_output = source.find("{{", position)
        if -1 < next_statement < position:
            next_statement = source.find("{%", position)
    return tags, code


def check_width(value: Any, what: str, limit: int = MAX_WIDTH) -> None:
    """Refuse a width or count above the limit (a non-number is left for the call itself to refuse)."""
    if isinstance(value, int) and value > limit:
        raise LimitExceeded(f"is not allowed: {what} {value:,} is larger than the maximum of {limit:,}")


def check_size(size: int, what: str, limit: int = MAX_VALUE_SIZE) -> None:
    """Refuse a value whose length, computed before it is built, would pass the limit."""
    if size > limit:
        raise LimitExceeded(f"is not allowed: {what} would produce more than {limit:,} characters")


def logical_size(value: Any, limit: int = MAX_VALUE_SIZE) -> int:
    """Characters plus items of a value as written out in full (a list shared a million times counts a
    million times); counting stops soon after the limit. Each distinct object is measured once."""
    return _measured(value, {}, limit)


_SCALAR_TYPES = frozenset({int, float, bool, type(None)})


def _measured(value: Any, seen: dict[int, int], limit: int) -> int:
    if isinstance(value, str | bytes):
        return len(value) + 1
    if isinstance(value, Mapping):
        children: Any = [*value.keys(), *value.values()]
    elif isinstance(value, list | tuple | set | frozenset):
        children = value
    else:
        return 1
    if id(value) in seen:
        return seen[id(value)]
    total = 1 + len(children)
    kinds = set(map(type, children))  # at C speed: most lists hold only numbers, or only strings
    if kinds <= _SCALAR_TYPES:
        pass
    elif kinds <= {str}:
        total += sum(map(len, children))
    else:
        for child in children:
            if type(child) not in _SCALAR_TYPES:
                total += _measured(child, seen, limit) - 1
                if total > limit:
                    break
    seen[id(value)] = total
    return total


def check_printable(value: Any, what: str) -> None:
    """Refuse to turn a container into text when written out in full it would pass the value limit."""
    if isinstance(value, Mapping | list | tuple | set | frozenset) and logical_size(value) > MAX_VALUE_SIZE:
        raise LimitExceeded(f"is not allowed: {what} would write out more than {MAX_VALUE_SIZE:,} characters")


_PERCENT_SPEC = re.compile(
    r"%(?:\([^)]*\))?[-+ #0]*(?P<width>\*|\d+)?(?:\.(?P<precision>\*|\d*))?[hlL]?(?P<kind>[a-zA-Z%])"
)
_FORMAT_SPEC = re.compile(r"(?:.?[<>=^])?[-+ ]?z?#?0?(?P<width>\d*)[,_]?(?:\.(?P<precision>\d+))?")


def check_percent_format(template: str | bytes, args: Any) -> None:
    """`'%10s' % x`: every width and precision literal and small, the padded total within the text limit."""
    text = template.decode("latin-1") if isinstance(template, bytes) else template
    padding = 0
    for spec in _PERCENT_SPEC.finditer(text):
        for part in ("width", "precision"):
            value = spec.group(part)
            if value == "*":
                raise LimitExceeded(f"is not allowed: a %-format {part} must be a number, not `*`")
            if value:
                check_width(int(value), f"the %-format {part}")
                padding += int(value)
    check_size(len(text) + padding, "this %-format")
    for arg in args if isinstance(args, tuple) else (args,):
        check_printable(arg, "this %-format")


def check_str_format(template: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    """`'{:>10}'.format(x)`: every width and precision literal and small, the padded total within limits."""
    padding = 0
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError:
        return  # str.format raises the same error with its own message
    for _literal, _name, spec, _conversion in fields:
        if not spec:
            continue
        if "{" in spec:
            raise LimitExceeded("is not allowed: a format width must be written as a number, not `{…}`")
        found = _FORMAT_SPEC.match(spec)
        for part in ("width", "precision"):
            value = found.group(part) if found else None
            if value:
                check_width(int(value), f"the format {part}")
                padding += int(value)
    check_size(len(template) + padding, "this format")
    for arg in (*args, *kwargs.values()):
        check_printable(arg, "this format")


def replaced_length(text: str | bytes, old: Any, new: Any, count: Any) -> int:
    """The length `text.replace(old, new, count)` would have, computed without building it."""
    if type(old) is not type(text) or type(new) is not type(text):
        return len(text)  # replace raises TypeError itself
    occurrences = text.count(old)  # type: ignore[arg-type]
    if isinstance(count, int) and 0 <= count < occurrences:
        occurrences = count
    return len(text) + occurrences * (len(new) - len(old))
