"""The int8 ONNX text encoder stays within cosine 0.99 of the published fp32 MiniLM (issue 17's tolerance)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from interest_units import embeddings
from interest_units.onnx_encoder import OnnxTextEncoder, cache_path

TEXTS = [
    embeddings.text_compose(title="Nike Air Max 90 size 10", brand="Nike", categories=["Men", "Shoes", "Athletic"],
                            condition=3, size="10", color="Black"),
    embeddings.text_compose(title="LuLaRoe Amelia dress floral", brand="LuLaRoe",
                            categories=["Women", "Dresses", "Knee-Length"], condition=1),
    embeddings.text_compose(title="iPhone 7 plus 128GB rose gold unlocked", brand="Apple",
                            categories=["Electronics", "Cell Phones & Accessories", "Cell Phones & Smartphones"],
                            condition=2),
    embeddings.text_compose(title="Handmade ceramic coffee mug", brand="",
                            categories=["Home", "Kitchen & Dining", "Coffee & Tea Accessories"], condition=1,
                            color="Blue"),
    embeddings.text_compose(title="Funko Pop Harry Potter #01 in box", brand="Funko",
                            categories=["Kids", "Toys", "Action Figures & Statues"], condition=4),
]


def test_int8_encoder_is_within_tolerance_of_the_reference():
    # given the encoder texts_embed uses on a CPU (built from the packaged weights, cached), and the fp32 model
    assert embeddings.encoder_precision() == "int8"
    current, reference = embeddings.text_encoder(), embeddings.reference_encoder()
    assert isinstance(current, OnnxTextEncoder)
    assert cache_path().exists()
    # when both encode the same texts
    new = embeddings.encode(current, TEXTS, batch_size=4, threads=1)
    old = embeddings.encode(reference, TEXTS, batch_size=4, threads=1)
    # then every vector is unit length and within cosine 0.99 of its reference, and not identical to it
    assert np.allclose(np.linalg.norm(new, axis=1), 1.0, atol=1e-4)
    cosine = (new * old).sum(axis=1)
    assert cosine.min() >= 0.99, cosine
    assert not np.array_equal(new, old)


def test_a_listing_alone_and_in_a_batch_get_close_vectors():
    # a new listing is embedded alone, a backfill embeds batches: both must land in the same units
    encoder = embeddings.text_encoder()
    alone = embeddings.encode(encoder, TEXTS[:1], batch_size=32, threads=1)[0]
    batched = embeddings.encode(encoder, TEXTS, batch_size=32, threads=1)[0]
    assert float(alone @ batched) > 0.99


def test_length_sorted_batches_keep_the_input_order():
    # the ONNX encoder sorts texts by token count to pad little: rows must still come back in input order
    encoder = embeddings.text_encoder()
    forward = embeddings.encode(encoder, TEXTS, batch_size=2, threads=1)
    backward = embeddings.encode(encoder, TEXTS[::-1], batch_size=2, threads=1)
    assert np.allclose(forward, backward[::-1], atol=1e-3)
    assert embeddings.encode(encoder, [], batch_size=2, threads=1).shape == (0, embeddings.EMBEDDING_DIM)


def test_fp32_setting_uses_the_reference(settings):
    settings.INTEREST_UNITS_ENCODER = "fp32"
    assert embeddings.encoder_precision() == "fp32"


@pytest.mark.parametrize(("configured", "texts", "expected"), [("3", 1000, 3), ("auto", 5, 1)])
def test_encoder_threads(settings, configured, texts, expected):
    settings.INTEREST_UNITS_ENCODER_THREADS = configured
    assert embeddings.encoder_threads(texts) == expected


def test_idle_cores_is_within_the_machine(settings):
    settings.INTEREST_UNITS_ENCODER_THREADS = "auto"
    assert 1 <= embeddings.encoder_threads(1000) <= (os.cpu_count() or 1)
