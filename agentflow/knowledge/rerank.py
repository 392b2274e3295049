"""Optional re-ranking of retrieved chunks by the organization's default AI model (through the router, so
the same keys, routing, egress guard and pricing apply as for AI nodes)."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import replace

from agentflow.knowledge.search import Hit
from agentflow.providers.base import Message
from agentflow.providers.router import Router

MAX_PASSAGE_CHARS = 1500
_NUMBERS = re.compile(r"\[[\d,\s]*\]")

PROMPT = (
    "Rank the passages by how well they answer the question. Answer with a JSON array of passage "
    "numbers, most relevant first, for example [3, 1, 2]. Leave out passages that do not help."
)


def _order(answer: str, count: int) -> list[int]:
    """Passage indexes (0-based) in the order the model gave; passages it left out follow in their order."""
    match = _NUMBERS.search(answer)
    order: list[int] = []
    if match:
        try:
            for number in json.loads(match.group(0)):
                if isinstance(number, int) and 1 <= number <= count and number - 1 not in order:
                    order.append(number - 1)
        except ValueError:
            order = []
    return order + [i for i in range(count) if i not in order]


async def rerank(router: Router, org_id: uuid.UUID, query: str, hits: list[Hit]) -> list[Hit]:
    """`hits` re-ordered by the model; scores become 1.0 for first place down to 1/n for the last."""
    if len(hits) < 2:
        return hits
    passages = "\n\n".join(f"[{i}] {hit.content[:MAX_PASSAGE_CHARS]}" for i, hit in enumerate(hits, start=1))
    routed = await router.chat(
        org_id,
        [
            Message(role="system", content=PROMPT),
            Message(role="user", content=f"Question: {query}\n\nPassages:\n{passages}"),
        ],
        model=None,
        temperature=0,
        max_tokens=200,
    )
    order = _order(routed.result.content, len(hits))
    count = len(order)
    return [replace(hits[index], score=round((count - rank) / count, 6)) for rank, index in enumerate(order)]
