"""The pricing arithmetic: exact Decimals, half-even rounding to 1e-8 USD, snapshots, unknown models."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agentflow.providers import pricing


def test_cost_is_exact_per_million_tokens() -> None:
    # gpt-4o-mini: $0.15 in, $0.60 out per 1M → (1234 * 0.15 + 567 * 0.60) / 1e6
    assert pricing.cost("gpt-4o-mini", 1234, 567) == pricing.Cost(Decimal("0.00052530"), True, "gpt-4o-mini")
    assert pricing.cost("claude-sonnet-4-5", 1_000_000, 1_000_000).usd == Decimal("18.00000000")


@pytest.mark.parametrize(
    ("input_tokens", "expected"),
    [
        (1, Decimal("0.00000008")),  # 7.5e-8 rounds half to even: up to 8
        (3, Decimal("0.00000022")),  # 22.5e-8 rounds half to even: down to 22
        (7, Decimal("0.00000052")),  # 52.5e-8 → 52
    ],
)
def test_rounding_is_half_even_to_one_hundred_millionth(input_tokens: int, expected: Decimal) -> None:
    # gemini-2.0-flash-lite costs $0.075 per 1M input tokens: a single token is 7.5e-8 USD.
    assert pricing.cost("gemini-2.0-flash-lite", input_tokens, 0).usd == expected


@pytest.mark.parametrize(
    ("model", "priced_as"),
    [
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("o3-mini", "o3-mini"),
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("claude-3-5-haiku-latest", "claude-3-5-haiku"),
        ("claude-sonnet-4-0", "claude-sonnet-4"),
        ("gemini-2.0-flash-001", "gemini-2.0-flash"),
        ("models/gemini-2.5-flash", "gemini-2.5-flash"),
        ("GPT-4o", "gpt-4o"),
    ],
)
def test_dated_snapshots_and_aliases_cost_what_their_model_costs(model: str, priced_as: str) -> None:
    assert pricing.price_key(model) == priced_as


@pytest.mark.parametrize("model", ["gpt-4o-audio-preview", "llama3.1", "my-finetune", "gpt-4o-mini-tts"])
def test_unknown_models_cost_zero_and_are_flagged(model: str) -> None:
    result = pricing.cost(model, 10_000, 10_000)
    assert result.usd == 0
    assert result.known is False


def test_summing_json_figures_gives_the_exact_total() -> None:
    """Steps store cost_usd as a JSON number; converting back through str loses nothing."""
    costs = [
        pricing.cost(model, tokens, tokens // 3).usd for model in pricing.PRICES for tokens in (1, 17, 98765)
    ]
    exact = sum(costs, Decimal(0))
    from_json = sum((Decimal(str(float(value))) for value in costs), Decimal(0))
    assert from_json == exact


def test_every_price_is_dated_and_non_negative() -> None:
    assert pricing.PRICES_AS_OF.year >= 2025
    assert all(price.input >= 0 and price.output >= 0 for price in pricing.PRICES.values())
