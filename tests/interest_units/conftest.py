"""A small catalogue with clear groups (brand + category, meaning, and photo colours) and a build over it."""

from __future__ import annotations

import io
from decimal import Decimal

import numpy as np
import pytest
from django.core.files.base import ContentFile
from PIL import Image

from interest_units.services import BuildConfig, interest_units_build
from marketplace.models import Listing
from tests.factories import BrandFactory, ListingFactory, UserFactory, category_path

# (brand, category path, titles): each row is one SPU group; the titles make semantic groups too.
GROUPS = [
    ("Nike", ("Men", "Shoes", "Athletic"),
     ["Nike Air Max 90 size 10", "Nike Air Max 97 silver bullet", "Nike Air Max running shoes", "Nike Air Max 270",
      "Nike Air Max plus triple black"]),
    ("LuLaRoe", ("Women", "Dresses", "Knee-Length"),
     ["LuLaRoe Amelia dress floral", "LuLaRoe Amelia dress XL", "Amelia dress LuLaRoe navy", "LuLaRoe Amelia M"]),
    ("Apple", ("Electronics", "Cell Phones & Accessories", "Cell Phones & Smartphones"),
     ["iPhone 7 32GB unlocked", "iPhone 7 plus 128GB rose gold", "iPhone 7 black 32GB", "Apple iPhone 7 locked"]),
    ("Funko", ("Kids", "Toys", "Action Figures & Statues"),
     ["Funko Pop Harry Potter", "Funko Pop Batman vinyl", "Funko Pop Star Wars Yoda", "Funko Pop Deadpool"]),
    ("", ("Home", "Kitchen & Dining", "Coffee & Tea Accessories"),
     ["Ceramic coffee mug set", "Handmade coffee mug blue", "Coffee mug with lid", "Travel coffee mug"]),
]


def photo_bytes(colour: tuple[int, int, int], stripes: bool, seed: int) -> bytes:
    """A 48x48 product picture: a solid colour with stripes or noise, so colour and texture both differ."""
    rng = np.random.default_rng(seed)
    pixels = np.tile(np.array(colour, dtype=np.float64), (48, 48, 1))
    if stripes:
        pixels[::6] *= 0.4
    else:
        pixels *= rng.uniform(0.8, 1.0, size=(48, 48, 1))
    buffer = io.BytesIO()
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


RED, BLUE = (200, 30, 30), (30, 60, 200)


def add_photo(listing: Listing, colour: tuple[int, int, int], stripes: bool, seed: int = 0) -> None:
    listing.photo.save(f"l{listing.pk}.png", ContentFile(photo_bytes(colour, stripes, seed)), save=True)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def catalogue(media) -> dict[str, list[Listing]]:
    """~21 listings in 5 groups; shoes and phones have red striped / blue noisy photos."""
    seller = UserFactory()
    out: dict[str, list[Listing]] = {}
    for brand_name, path, titles in GROUPS:
        c0, c1, c2 = category_path(*path)
        brand = BrandFactory(name=brand_name) if brand_name else None
        listings = []
        for title in titles:
            listings.append(ListingFactory(seller=seller, title=title, brand=brand, c0=c0, c1=c1, c2=c2,
                                           price=Decimal("20.00"),
                                           product_id=f"{brand.pk}-{c2.pk}" if brand else ""))
        out[brand_name or "mugs"] = listings
    for i, listing in enumerate(out["Nike"]):
        add_photo(listing, RED, stripes=True, seed=i)
    for i, listing in enumerate(out["Apple"]):
        add_photo(listing, BLUE, stripes=False, seed=i)
    return out


SMALL = BuildConfig(spu_min_members=2, semantic_min_members=2, image_min_members=2, image_target_size=4)


@pytest.fixture
def built(catalogue):
    build = interest_units_build(config=SMALL)
    return build
