"""The one pricing table: USD per 1M input / output tokens per model, and exact cost arithmetic in Decimal.

Costs are computed per call as `(input * in_price + output * out_price) / 1 000 000`, rounded half-even to
1e-8 USD, so a step's cost is a sum of exact per-call figures and an execution's total is the exact sum of its
steps (sum the `Decimal`s, or `Decimal(str(cost_usd))` of the JSON numbers, which round-trip exactly).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

logger = logging.getLogger(__name__)

# The day the figures below were taken from the providers' public price lists (standard tier, text tokens,
# no batch or cache discounts). Re-check them against the price pages when updating; keep one date for all.
PRICES_AS_OF = date(2025, 10, 1)
USD_QUANTUM = Decimal("0.00000001")
_PER = Decimal(1_000_000)


@dataclass(frozen=True, slots=True)
class Price:
    """USD per 1M tokens."""

    input: Decimal
    output: Decimal


def _p(input_per_m: str, output_per_m: str) -> Price:
    return Price(Decimal(input_per_m), Decimal(output_per_m))


PRICES: dict[str, Price] = {
    # OpenAI
    "gpt-5": _p("1.25", "10.00"),
    "gpt-5-mini": _p("0.25", "2.00"),
    "gpt-5-nano": _p("0.05", "0.40"),
    "gpt-4.1": _p("2.00", "8.00"),
    "gpt-4.1-mini": _p("0.40", "1.60"),
    "gpt-4.1-nano": _p("0.10", "0.40"),
    "gpt-4o": _p("2.50", "10.00"),
    "gpt-4o-mini": _p("0.15", "0.60"),
    "o1": _p("15.00", "60.00"),
    "o3": _p("2.00", "8.00"),
    "o3-mini": _p("1.10", "4.40"),
    "o4-mini": _p("1.10", "4.40"),
    "text-embedding-3-small": _p("0.02", "0"),
    "text-embedding-3-large": _p("0.13", "0"),
    # Anthropic
    "claude-opus-4-1": _p("15.00", "75.00"),
    "claude-opus-4": _p("15.00", "75.00"),
    "claude-sonnet-4-5": _p("3.00", "15.00"),
    "claude-sonnet-4": _p("3.00", "15.00"),
    "claude-3-7-sonnet": _p("3.00", "15.00"),
    "claude-haiku-4-5": _p("1.00", "5.00"),
    "claude-3-5-haiku": _p("0.80", "4.00"),
    "claude-3-haiku": _p("0.25", "1.25"),
    # Google (Gemini 2.5 Pro: prompts up to 200k tokens)
    "gemini-2.5-pro": _p("1.25", "10.00"),
    "gemini-2.5-flash": _p("0.30", "2.50"),
    "gemini-2.5-flash-lite": _p("0.10", "0.40"),
    "gemini-2.0-flash": _p("0.10", "0.40"),
    "gemini-2.0-flash-lite": _p("0.075", "0.30"),
    "gemini-embedding-001": _p("0.15", "0"),
}

# A dated or aliased snapshot costs what its base model costs: gpt-4o-2024-08-06, claude-sonnet-4-5-20250929,
# claude-3-5-haiku-latest, gemini-2.0-flash-001, gemini-2.5-flash-preview-05-20, claude-sonnet-4-0.
_SNAPSHOT_SUFFIX = re.compile(
    r"^-(\d{4}-\d{2}-\d{2}|\d{8}|\d{3}|0|latest|preview(-[0-9a-z-]+)?|exp(-[0-9a-z-]+)?)$"
)
_LONGEST_FIRST = sorted(PRICES, key=len, reverse=True)
_warned: set[str] = set()


@dataclass(frozen=True, slots=True)
class Cost:
    """The cost of a call; `known` is False when the model has no price (then `usd` is 0)."""

    usd: Decimal
    known: bool
    priced_as: str | None = None  # the table entry used


def price_key(model: str) -> str | None:
    """The table entry a model name is priced as, or None when the model is not in the table."""
    name = model.strip().lower().removeprefix("models/")
    if name in PRICES:
        return name
    for key in _LONGEST_FIRST:
        if name.startswith(key) and _SNAPSHOT_SUFFIX.match(name[len(key) :]):
            return key
    return None


def usd(price: Price, input_tokens: int, output_tokens: int) -> Decimal:
    """Exact cost of the tokens at this price, rounded half-even to 1e-8 USD."""
    raw = (Decimal(input_tokens) * price.input + Decimal(output_tokens) * price.output) / _PER
    return raw.quantize(USD_QUANTUM, rounding=ROUND_HALF_EVEN)


def cost(model: str, input_tokens: int, output_tokens: int) -> Cost:
    """What the call cost; an unknown model costs 0 and is flagged (`known=False`, logged once per name)."""
    key = price_key(model)
    if key is None:
        if model not in _warned:
            _warned.add(model)
            logger.warning("no price for model %r: its calls are recorded with cost 0", model)
        return Cost(usd=Decimal(0).quantize(USD_QUANTUM), known=False)
    return Cost(usd=usd(PRICES[key], input_tokens, output_tokens), known=True, priced_as=key)


def free() -> Cost:
    """A call that costs nothing by nature (a local model)."""
    return Cost(usd=Decimal(0).quantize(USD_QUANTUM), known=True)
