"""Fixed log-scale duration buckets: p95 and the duration histogram come from counts, not from rows.

A bucket holds the runs with `previous bound < duration_ms <= bound` (the last one, `None`, everything
slower). The bounds follow a 1-2-5 series, so an estimated percentile is off by at most the width of its
bucket; within it we interpolate linearly, which is close for the smooth distributions runs have.
"""

from __future__ import annotations

from collections.abc import Sequence

BOUNDS_MS: tuple[int, ...] = (
    10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000,
    100_000, 200_000, 500_000, 1_000_000, 2_000_000, 3_600_000,
)  # fmt: skip
SIZE = len(BOUNDS_MS) + 1  # + the overflow bucket


def empty() -> list[int]:
    return [0] * SIZE


def add(into: list[int], other: Sequence[int]) -> None:
    """Add `other`'s counts into `into` (a row written with fewer buckets adds what it has)."""
    for index, count in enumerate(other[:SIZE]):
        into[index] += count


def percentile(counts: Sequence[int], fraction: float) -> float | None:
    """The duration below which `fraction` of the runs fall; None without runs."""
    total = sum(counts)
    if total == 0:
        return None
    rank = fraction * total
    seen = 0
    for index, count in enumerate(counts):
        if count and seen + count >= rank:
            low = 0 if index == 0 else BOUNDS_MS[index - 1]
            if index >= len(BOUNDS_MS):  # slower than the last bound: all we know is "at least"
                return float(low)
            high = BOUNDS_MS[index]
            return low + (high - low) * (rank - seen) / count
        seen += count
    return float(BOUNDS_MS[-1])


def histogram(counts: Sequence[int]) -> list[tuple[int | None, int]]:
    """(upper bound, count) ascending, the overflow bucket last with bound None."""
    bounds: list[int | None] = [*BOUNDS_MS, None]
    return list(zip(bounds, counts, strict=True))
