"""Generated thumbnails: deterministic, one drawing per kind of thing, descriptors that group look-alikes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
import pytest

from demo.catalog import ListingSpec, leaf_shape, leaf_shapes
from demo.thumbnails import SHAPES, render_thumbnail
from interest_units.image_features import colour_hog_descriptor

TEE = ["Women", "Tops & Blouses", "T-Shirts"]
PHONE = ["Electronics", "Cell Phones & Accessories", "Cell Phones & Smartphones"]
SNEAKER = ["Men", "Shoes", "Sneakers"]
BRICKS = ["Toys & Collectibles", "Building Toys", "Building Sets"]


def _listing(listing_id: int, colour: str) -> ListingSpec:
    return ListingSpec(
        id=listing_id, seller=0, title="t", description="d", price=Decimal("10.00"), category_id=1000,
        brand_id=None, condition_id=1, size="", color=colour, shipper="buyer",
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
    )


def _descriptor(listing_id: int, colour: str, path: list[str], brand: str | None) -> np.ndarray:
    return colour_hog_descriptor(render_thumbnail(_listing(listing_id, colour), path, brand, size=128))


def test_every_leaf_has_a_drawing():
    shapes = set(leaf_shapes().values())
    assert shapes <= SHAPES
    assert leaf_shape(["No", "Such", "Leaf"]) == "box"


def test_rendering_is_deterministic_and_sized():
    listing = _listing(42, "Red")
    first = render_thumbnail(listing, TEE, "Nike")
    second = render_thumbnail(replace(listing), TEE, "Nike")
    assert first.size == (256, 256) and first.mode == "RGB"
    assert first.tobytes() == second.tobytes()
    assert render_thumbnail(listing, TEE, "Nike", size=96).size == (96, 96)
    assert render_thumbnail(_listing(43, "Red"), TEE, "Nike").tobytes() != first.tobytes()  # a little jitter


def test_the_listing_colour_dominates_the_object():
    image = render_thumbnail(_listing(1, "Red"), TEE, None, size=64)
    pixels = np.asarray(image).reshape(-1, 3).astype(int)
    reddish = (pixels[:, 0] > 150) & (pixels[:, 1] < 90) & (pixels[:, 2] < 90)
    assert reddish.mean() > 0.15


def test_descriptor_shape_and_norm():
    vector = _descriptor(1, "Blue", PHONE, "Apple")
    assert vector.shape == (102,) and vector.dtype == np.float32
    assert float(np.linalg.norm(vector)) == pytest.approx(1.0, abs=1e-5)
    assert np.all(vector >= 0)


@pytest.mark.parametrize("path", [TEE, PHONE, SNEAKER, BRICKS])
def test_same_kind_and_colour_are_closer_than_other_kinds_or_colours(path):
    anchor = _descriptor(1, "Red", path, "Nike")
    twin = _descriptor(2, "Red", path, "Adidas")  # another listing, another brand: should still look alike

    def distance(other: np.ndarray) -> float:
        return 1.0 - float(anchor @ other)

    others = [p for p in (TEE, PHONE, SNEAKER, BRICKS) if p is not path]
    for other_path in others:
        assert distance(twin) < distance(_descriptor(3, "Red", other_path, "Nike"))
    assert distance(twin) < distance(_descriptor(4, "Blue", path, "Nike"))
