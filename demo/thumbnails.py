"""Generated product thumbnails for demo listings.

A thumbnail is a flat drawing of what the listing is (a shirt, a sneaker, a phone, a LEGO brick, ...) in the
listing's colour on a light background, with the brand name underneath. It depends only on the leaf's drawing
family, the colour, the brand and a small per-listing jitter (position, size, shade), so listings of the same kind
and colour look alike, as photos of the same product do, and image interest units (IU4Rec 4.1) group them. The
drawings themselves live in `thumbnails_wear.py`, `thumbnails_goods.py` and `thumbnails_home.py`."""

from __future__ import annotations

import random
from collections.abc import Callable
from functools import cache
from typing import Protocol

from PIL import Image, ImageDraw, ImageFont

from demo.catalog import leaf_shape
from demo.catalog_data import COLOURS
from demo.thumbnails_goods import GOODS_DRAWINGS
from demo.thumbnails_home import HOME_DRAWINGS
from demo.thumbnails_pen import BACKGROUND, Colour, Pen
from demo.thumbnails_wear import WEAR_DRAWINGS

_DEFAULT_COLOUR: Colour = (150, 150, 155)
_SUPERSAMPLE = 2  # draw at twice the size, then downscale: smooth edges at little cost


class Drawable(Protocol):
    """What a thumbnail depends on besides the category path and brand: a `ListingSpec`, or a listing's row."""

    @property
    def id(self) -> int: ...  # the listing spec's id (a demo listing's external_id): seeds the jitter

    @property
    def color(self) -> str: ...


def render_thumbnail(
    listing: Drawable, category_path: list[str], brand: str | None, size: int = 256
) -> Image.Image:
    """An RGB `size` x `size` drawing of the listing; the same listing always gives the same pixels."""
    shape = leaf_shape(category_path)
    colour = COLOURS.get(listing.color, _DEFAULT_COLOUR)
    jitter = random.Random(listing.id * 7919 + 17)
    shade = 1.0 + jitter.uniform(-0.06, 0.06)
    colour = tuple(min(255, max(0, round(c * shade))) for c in colour)  # type: ignore[assignment]
    big = size * _SUPERSAMPLE
    background = tuple(c + jitter.randint(-3, 3) for c in BACKGROUND)
    image = Image.new("RGB", (big, big), background)  # type: ignore[arg-type]
    draw = ImageDraw.Draw(image)
    pen = Pen(
        draw,
        big,
        colour,  # type: ignore[arg-type]
        scale=jitter.uniform(0.93, 1.03),
        dx=jitter.uniform(-0.03, 0.03),
        dy=jitter.uniform(-0.02, 0.02),
    )
    pen.shadow()
    _SHAPES.get(shape, _SHAPES["box"])(pen)
    if brand:
        _brand_label(draw, big, brand)
    return image.resize((size, size), Image.Resampling.LANCZOS)


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _brand_label(draw: ImageDraw.ImageDraw, size: int, brand: str) -> None:
    text = brand if len(brand) <= 28 else brand[:27] + "…"
    font_size = round(size * 0.085)
    font = _font(font_size)
    while font_size > 8 and draw.textlength(text, font=font) > size * 0.9:
        font_size -= 2
        font = _font(font_size)
    width = draw.textlength(text, font=font)
    draw.text(((size - width) / 2, size * 0.865), text, font=font, fill=(60, 60, 66))


_SHAPES: dict[str, Callable[[Pen], None]] = {**WEAR_DRAWINGS, **GOODS_DRAWINGS, **HOME_DRAWINGS}
SHAPES: frozenset[str] = frozenset(_SHAPES)
