"""Generated product thumbnails for demo listings, and the classic image descriptor image IUs cluster on.

A thumbnail is a flat drawing of what the listing is (a shirt, a sneaker, a phone, a LEGO brick, ...) in the
listing's colour on a light background, with the brand name underneath. It depends only on the leaf's drawing
family, the colour, the brand and a small per-listing jitter (position, size, shade), so listings of the same kind
and colour look alike, as photos of the same product do, and image interest units (IU4Rec 4.1) group them.

`image_descriptor` is the default pluggable image feature (DESIGN 5): a joint HSV colour histogram of the foreground
plus a 3x3 grid of gradient-orientation histograms (a small HOG), each square-rooted (Hellinger), l2-normalised.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from functools import cache
from typing import Protocol

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from demo.catalog import COLOURS, leaf_shape

Colour = tuple[int, int, int]
_BACKGROUND: Colour = (238, 238, 234)
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
    background = tuple(c + jitter.randint(-3, 3) for c in _BACKGROUND)
    image = Image.new("RGB", (big, big), background)  # type: ignore[arg-type]
    draw = ImageDraw.Draw(image)
    pen = _Pen(
        draw,
        big,
        colour,  # type: ignore[arg-type]
        scale=jitter.uniform(0.93, 1.03),
        dx=jitter.uniform(-0.03, 0.03),
        dy=jitter.uniform(-0.02, 0.02),
    )
    pen.shadow()
    _SHAPES.get(shape, _box)(pen)
    if brand:
        _brand_label(draw, big, brand)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def image_descriptor(image: Image.Image) -> np.ndarray:
    """A 102-d float32 vector: 48 HSV colour bins of the foreground + 3x3 cells x 6 gradient orientations.

    The background colour is estimated from the image border (product photos sit on a plain backdrop) and left out
    of the colour histogram, otherwise it would dominate every image alike. Both parts are square-rooted
    (Hellinger) and l2-normalised; the texture part is weighted 1.5 so that shape counts as much as colour.
    """
    rgb = np.asarray(image.convert("RGB").resize((64, 64), Image.Resampling.BILINEAR), dtype=np.float32)  # (64,64,3)
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])  # (256, 3)
    foreground = np.abs(rgb - np.median(border, axis=0)).sum(axis=-1) > 40  # (64, 64)
    if foreground.sum() < 20:  # a blank or busy image: use every pixel
        foreground[:] = True
    hsv = np.asarray(Image.fromarray(rgb.astype(np.uint8)).convert("HSV"), dtype=np.int64)  # 0..255
    colour_bin = (hsv[..., 0] * 8 // 256) * 6 + (hsv[..., 1] * 3 // 256) * 2 + hsv[..., 2] * 2 // 256  # 8 x 3 x 2
    colour = np.bincount(colour_bin[foreground], minlength=48).astype(np.float64)

    gray = rgb.mean(axis=-1)  # (64, 64)
    gx = np.zeros_like(gray)
    gy = np.zeros_like(gray)
    gx[:, 1:-1] = gray[:, 2:] - gray[:, :-2]
    gy[1:-1, :] = gray[2:, :] - gray[:-2, :]
    magnitude = np.hypot(gx, gy)
    orientation = np.minimum((np.mod(np.arctan2(gy, gx), np.pi) * 6 / np.pi).astype(np.int64), 5)  # unsigned
    cells = []
    for top in (0, 21, 42):
        for left in (0, 21, 42):
            window = (slice(top, top + 22), slice(left, left + 22))
            cells.append(np.bincount(orientation[window].ravel(), weights=magnitude[window].ravel(), minlength=6))
    vector = np.concatenate([_hellinger(colour), 1.5 * _hellinger(np.concatenate(cells))]).astype(np.float32)
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def _hellinger(histogram: np.ndarray) -> np.ndarray:
    root = np.sqrt(histogram / max(float(histogram.sum()), 1e-12))
    return root / max(float(np.linalg.norm(root)), 1e-12)


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


class _Pen:
    """Draws in unit coordinates (0..1 both ways, object centred near (0.5, 0.45)) with the listing's jitter."""

    def __init__(self, draw: ImageDraw.ImageDraw, size: int, colour: Colour, scale: float, dx: float, dy: float):
        self.draw, self.size, self.scale, self.dx, self.dy = draw, size, scale, dx, dy
        self.main = colour
        self.dark = _mix(colour, (0, 0, 0), 0.45)
        self.light = _mix(colour, (255, 255, 255), 0.45)
        brightness = 0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2]
        self.detail = self.dark if brightness > 110 else _mix(colour, (255, 255, 255), 0.6)
        self.width = max(1, round(size * 0.012))

    def xy(self, x: float, y: float) -> tuple[float, float]:
        return (
            (0.5 + (x - 0.5) * self.scale + self.dx) * self.size,
            (0.45 + (y - 0.45) * self.scale + self.dy) * self.size,
        )

    def box(self, x0: float, y0: float, x1: float, y1: float) -> list[float]:
        (a, b), (c, d) = self.xy(x0, y0), self.xy(x1, y1)
        return [min(a, c), min(b, d), max(a, c), max(b, d)]

    def poly(self, points: list[tuple[float, float]], fill: Colour | None = None, outline: bool = True) -> None:
        self.draw.polygon([self.xy(x, y) for x, y in points], fill=fill or self.main,
                          outline=self.dark if outline else None, width=self.width if outline else 0)

    def rect(self, x0: float, y0: float, x1: float, y1: float, r: float = 0.0, fill: Colour | None = None,
             outline: bool = True) -> None:
        self.draw.rounded_rectangle(self.box(x0, y0, x1, y1), radius=r * self.size * self.scale,
                                    fill=fill or self.main, outline=self.dark if outline else None,
                                    width=self.width if outline else 0)

    def ellipse(self, x0: float, y0: float, x1: float, y1: float, fill: Colour | None = None,
                outline: bool = True) -> None:
        self.draw.ellipse(self.box(x0, y0, x1, y1), fill=fill or self.main,
                          outline=self.dark if outline else None, width=self.width if outline else 0)

    def circle(self, cx: float, cy: float, r: float, fill: Colour | None = None, outline: bool = True) -> None:
        self.ellipse(cx - r, cy - r, cx + r, cy + r, fill, outline)

    def line(self, points: list[tuple[float, float]], width: float = 0.012, fill: Colour | None = None) -> None:
        self.draw.line([self.xy(x, y) for x, y in points], fill=fill or self.dark,
                       width=max(1, round(width * self.size * self.scale)), joint="curve")

    def arc(self, x0: float, y0: float, x1: float, y1: float, start: float, end: float, width: float = 0.012,
            fill: Colour | None = None) -> None:
        self.draw.arc(self.box(x0, y0, x1, y1), start, end, fill=fill or self.dark,
                      width=max(1, round(width * self.size * self.scale)))

    def shadow(self) -> None:
        self.ellipse(0.2, 0.78, 0.8, 0.84, fill=(222, 222, 218), outline=False)


def _mix(a: Colour, b: Colour, t: float) -> Colour:
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


_GREY: Colour = (70, 72, 78)
_SCREEN: Colour = (38, 44, 58)
_METAL: Colour = (175, 178, 184)
_WHITE: Colour = (250, 250, 248)
_GREEN: Colour = (60, 140, 70)


# ----------------------------------------------------------------------------------------------- clothing


def _shirt(p: _Pen) -> None:
    p.poly([(0.36, 0.12), (0.2, 0.2), (0.1, 0.36), (0.22, 0.42), (0.28, 0.34), (0.28, 0.78), (0.72, 0.78),
            (0.72, 0.34), (0.78, 0.42), (0.9, 0.36), (0.8, 0.2), (0.64, 0.12), (0.58, 0.17), (0.42, 0.17)])
    p.arc(0.4, 0.07, 0.6, 0.22, 20, 160, 0.014)


def _sweater(p: _Pen) -> None:
    p.poly([(0.36, 0.12), (0.2, 0.18), (0.1, 0.7), (0.2, 0.72), (0.28, 0.34), (0.28, 0.78), (0.72, 0.78),
            (0.72, 0.34), (0.8, 0.72), (0.9, 0.7), (0.8, 0.18), (0.64, 0.12), (0.58, 0.18), (0.42, 0.18)])
    for y in (0.71, 0.74):
        p.line([(0.29, y), (0.71, y)], 0.006)
    p.arc(0.4, 0.07, 0.6, 0.24, 20, 160, 0.02)


def _jacket(p: _Pen) -> None:
    _sweater(p)
    p.line([(0.5, 0.2), (0.5, 0.78)], 0.012)
    p.poly([(0.36, 0.12), (0.5, 0.3), (0.44, 0.12)], fill=p.light)
    p.poly([(0.64, 0.12), (0.5, 0.3), (0.56, 0.12)], fill=p.light)
    p.rect(0.32, 0.52, 0.44, 0.56, fill=p.dark, outline=False)
    p.rect(0.56, 0.52, 0.68, 0.56, fill=p.dark, outline=False)


def _onesie(p: _Pen) -> None:
    p.poly([(0.38, 0.14), (0.22, 0.22), (0.14, 0.36), (0.26, 0.42), (0.32, 0.34), (0.32, 0.62), (0.42, 0.76),
            (0.58, 0.76), (0.68, 0.62), (0.68, 0.34), (0.74, 0.42), (0.86, 0.36), (0.78, 0.22), (0.62, 0.14),
            (0.5, 0.2)])
    for x in (0.46, 0.5, 0.54):
        p.circle(x, 0.72, 0.01, fill=p.detail, outline=False)


def _dress(p: _Pen) -> None:
    p.poly([(0.4, 0.1), (0.36, 0.14), (0.38, 0.4), (0.2, 0.8), (0.8, 0.8), (0.62, 0.4), (0.64, 0.14), (0.6, 0.1),
            (0.55, 0.18), (0.45, 0.18)])
    p.line([(0.38, 0.4), (0.62, 0.4)], 0.014)


def _swimsuit(p: _Pen) -> None:
    p.poly([(0.36, 0.12), (0.34, 0.4), (0.38, 0.62), (0.46, 0.74), (0.54, 0.74), (0.62, 0.62), (0.66, 0.4),
            (0.64, 0.12), (0.58, 0.12), (0.56, 0.3), (0.44, 0.3), (0.42, 0.12)])
    p.poly([(0.38, 0.62), (0.3, 0.6), (0.46, 0.74)], fill=_BACKGROUND, outline=False)
    p.poly([(0.62, 0.62), (0.7, 0.6), (0.54, 0.74)], fill=_BACKGROUND, outline=False)


def _pants(p: _Pen) -> None:
    p.poly([(0.3, 0.1), (0.7, 0.1), (0.74, 0.82), (0.56, 0.82), (0.5, 0.32), (0.44, 0.82), (0.26, 0.82)])
    p.line([(0.3, 0.16), (0.7, 0.16)], 0.01)
    p.line([(0.5, 0.16), (0.5, 0.3)], 0.008)


def _shorts(p: _Pen) -> None:
    p.poly([(0.26, 0.22), (0.74, 0.22), (0.8, 0.64), (0.56, 0.66), (0.5, 0.42), (0.44, 0.66), (0.2, 0.64)])
    p.line([(0.26, 0.28), (0.74, 0.28)], 0.01)


def _skirt(p: _Pen) -> None:
    p.poly([(0.34, 0.2), (0.66, 0.2), (0.8, 0.74), (0.2, 0.74)])
    p.rect(0.33, 0.16, 0.67, 0.24, fill=p.dark)
    for x in (0.4, 0.5, 0.6):
        p.line([(x, 0.26), (x + (x - 0.5) * 0.8, 0.72)], 0.006)


# ----------------------------------------------------------------------------------------------- footwear


def _shoe(p: _Pen) -> None:
    p.poly([(0.1, 0.62), (0.12, 0.42), (0.2, 0.34), (0.34, 0.36), (0.5, 0.44), (0.72, 0.48), (0.86, 0.52),
            (0.92, 0.6), (0.92, 0.64)])
    p.ellipse(0.16, 0.32, 0.36, 0.4, fill=p.dark)  # the opening at the ankle
    p.poly([(0.7, 0.5), (0.86, 0.52), (0.92, 0.6), (0.92, 0.64), (0.7, 0.64)], fill=p.light)  # toe cap
    for i in range(4):  # laces across the instep
        x, y = 0.38 + i * 0.055, 0.39 + i * 0.025
        p.line([(x - 0.02, y - 0.01), (x + 0.03, y + 0.05)], 0.012, fill=_WHITE)
        p.line([(x + 0.03, y - 0.01), (x - 0.02, y + 0.05)], 0.012, fill=_WHITE)
    p.line([(0.2, 0.56), (0.44, 0.5), (0.66, 0.58)], 0.02, fill=p.detail)
    p.rect(0.08, 0.62, 0.94, 0.7, r=0.035, fill=_WHITE)


def _boot(p: _Pen) -> None:
    p.poly([(0.28, 0.1), (0.52, 0.1), (0.54, 0.5), (0.8, 0.58), (0.86, 0.66), (0.86, 0.72), (0.24, 0.72),
            (0.26, 0.4)])
    p.rect(0.22, 0.72, 0.88, 0.78, r=0.02, fill=p.dark)
    p.line([(0.3, 0.16), (0.5, 0.16)], 0.01, fill=p.detail)


def _heel(p: _Pen) -> None:
    p.poly([(0.14, 0.44), (0.3, 0.42), (0.56, 0.62), (0.86, 0.6), (0.88, 0.66), (0.56, 0.68), (0.2, 0.5)])
    p.poly([(0.14, 0.44), (0.2, 0.5), (0.22, 0.76), (0.18, 0.76)], fill=p.dark)
    p.arc(0.3, 0.36, 0.62, 0.66, 200, 330, 0.014)


# ----------------------------------------------------------------------------------------------- bags & accessories


def _handbag(p: _Pen) -> None:
    p.arc(0.32, 0.12, 0.68, 0.5, 180, 360, 0.03)
    p.poly([(0.24, 0.34), (0.76, 0.34), (0.84, 0.76), (0.16, 0.76)])
    p.poly([(0.24, 0.34), (0.76, 0.34), (0.72, 0.48), (0.28, 0.48)], fill=p.dark)
    p.rect(0.46, 0.44, 0.54, 0.52, r=0.01, fill=_METAL)


def _backpack(p: _Pen) -> None:
    p.arc(0.4, 0.06, 0.6, 0.22, 180, 360, 0.025)
    p.rect(0.26, 0.14, 0.74, 0.8, r=0.12)
    p.rect(0.33, 0.48, 0.67, 0.74, r=0.05, fill=p.dark)
    p.line([(0.3, 0.3), (0.7, 0.3)], 0.01, fill=p.detail)


def _wallet(p: _Pen) -> None:
    p.rect(0.16, 0.3, 0.84, 0.72, r=0.04)
    p.poly([(0.16, 0.3), (0.84, 0.3), (0.84, 0.48), (0.16, 0.48)], fill=p.dark)
    p.circle(0.74, 0.48, 0.03, fill=_METAL)


def _scarf(p: _Pen) -> None:
    p.poly([(0.3, 0.12), (0.7, 0.12), (0.66, 0.4), (0.58, 0.82), (0.46, 0.82), (0.5, 0.42), (0.34, 0.4)])
    for y in (0.7, 0.75):
        p.line([(0.47, y), (0.58, y)], 0.008, fill=p.detail)
    p.line([(0.46, 0.82), (0.45, 0.86)], 0.008)
    p.line([(0.58, 0.82), (0.59, 0.86)], 0.008)


def _hat(p: _Pen) -> None:
    p.ellipse(0.26, 0.24, 0.74, 0.66)
    p.rect(0.22, 0.5, 0.78, 0.62, fill=p.main, outline=False)
    p.poly([(0.56, 0.56), (0.92, 0.62), (0.88, 0.68), (0.52, 0.64)], fill=p.dark)
    p.circle(0.5, 0.25, 0.025, fill=p.dark)
    p.line([(0.5, 0.26), (0.5, 0.56)], 0.006)


def _sunglasses(p: _Pen) -> None:
    p.ellipse(0.14, 0.36, 0.46, 0.62, fill=_SCREEN)
    p.ellipse(0.54, 0.36, 0.86, 0.62, fill=_SCREEN)
    p.arc(0.44, 0.36, 0.56, 0.5, 180, 360, 0.02, fill=p.main)
    p.line([(0.14, 0.44), (0.08, 0.4)], 0.025, fill=p.main)
    p.line([(0.86, 0.44), (0.92, 0.4)], 0.025, fill=p.main)
    p.arc(0.14, 0.36, 0.46, 0.62, 180, 360, 0.03, fill=p.main)
    p.arc(0.54, 0.36, 0.86, 0.62, 180, 360, 0.03, fill=p.main)


def _belt(p: _Pen) -> None:
    p.rect(0.06, 0.44, 0.94, 0.56, r=0.02)
    p.rect(0.24, 0.4, 0.36, 0.6, r=0.01, fill=_METAL)
    p.rect(0.27, 0.44, 0.33, 0.56, fill=_BACKGROUND, outline=False)
    for x in (0.5, 0.6, 0.7):
        p.circle(x, 0.5, 0.01, fill=p.dark, outline=False)


def _tie(p: _Pen) -> None:
    p.poly([(0.44, 0.1), (0.56, 0.1), (0.53, 0.2), (0.47, 0.2)], fill=p.dark)
    p.poly([(0.47, 0.2), (0.53, 0.2), (0.62, 0.7), (0.5, 0.82), (0.38, 0.7)])
    for i in range(4):
        p.line([(0.42 + i * 0.02, 0.34 + i * 0.1), (0.56, 0.28 + i * 0.1)], 0.008, fill=p.detail)


def _watch(p: _Pen) -> None:
    p.rect(0.4, 0.06, 0.6, 0.84, r=0.04, fill=p.main)
    p.circle(0.5, 0.45, 0.18, fill=_METAL)
    p.circle(0.5, 0.45, 0.14, fill=_WHITE if p.main != _WHITE else _SCREEN)
    p.line([(0.5, 0.45), (0.5, 0.35)], 0.012, fill=_GREY)
    p.line([(0.5, 0.45), (0.57, 0.48)], 0.012, fill=_GREY)


def _necklace(p: _Pen) -> None:
    p.arc(0.2, -0.1, 0.8, 0.62, 20, 160, 0.014, fill=p.main)
    p.poly([(0.5, 0.6), (0.44, 0.68), (0.5, 0.78), (0.56, 0.68)], fill=p.main)
    p.circle(0.5, 0.56, 0.02, fill=p.dark)


def _ring(p: _Pen) -> None:
    p.circle(0.5, 0.52, 0.24, fill=p.main)
    p.circle(0.5, 0.52, 0.17, fill=_BACKGROUND)
    p.poly([(0.42, 0.3), (0.58, 0.3), (0.62, 0.24), (0.5, 0.14), (0.38, 0.24)], fill=p.light)


# ----------------------------------------------------------------------------------------------- electronics


def _phone(p: _Pen) -> None:
    p.rect(0.32, 0.08, 0.68, 0.82, r=0.06)
    p.rect(0.35, 0.13, 0.65, 0.76, r=0.03, fill=_SCREEN, outline=False)
    p.rect(0.45, 0.1, 0.55, 0.12, r=0.01, fill=p.dark, outline=False)
    for i, y in enumerate((0.22, 0.34, 0.46)):
        p.rect(0.39, y, 0.47, y + 0.07, r=0.015, fill=(90 + 40 * i, 140, 210 - 30 * i), outline=False)
        p.rect(0.53, y, 0.61, y + 0.07, r=0.015, fill=(220, 120 + 30 * i, 80), outline=False)


def _tablet(p: _Pen) -> None:
    p.rect(0.14, 0.14, 0.86, 0.74, r=0.05)
    p.rect(0.18, 0.18, 0.82, 0.7, r=0.02, fill=_SCREEN, outline=False)
    p.circle(0.5, 0.72, 0.012, fill=p.dark, outline=False)


def _laptop(p: _Pen) -> None:
    p.rect(0.2, 0.14, 0.8, 0.56, r=0.03)
    p.rect(0.24, 0.18, 0.76, 0.52, fill=_SCREEN, outline=False)
    p.poly([(0.2, 0.58), (0.8, 0.58), (0.92, 0.72), (0.08, 0.72)])
    p.rect(0.42, 0.66, 0.58, 0.69, fill=p.dark, outline=False)


def _tv(p: _Pen) -> None:
    p.rect(0.08, 0.14, 0.92, 0.64, r=0.02, fill=p.main)
    p.rect(0.11, 0.17, 0.89, 0.61, fill=_SCREEN, outline=False)
    p.poly([(0.16, 0.5), (0.34, 0.32), (0.5, 0.5)], fill=(70, 90, 120), outline=False)
    p.poly([(0.4, 0.5), (0.62, 0.26), (0.86, 0.5)], fill=(60, 80, 110), outline=False)
    p.rect(0.46, 0.64, 0.54, 0.74, fill=p.dark, outline=False)
    p.rect(0.32, 0.74, 0.68, 0.78, r=0.01, fill=p.dark)


def _keyboard(p: _Pen) -> None:
    p.rect(0.08, 0.34, 0.92, 0.66, r=0.03)
    for row in range(4):
        for col in range(12):
            x, y = 0.12 + col * 0.065, 0.38 + row * 0.065
            p.rect(x, y, x + 0.05, y + 0.05, r=0.008, fill=p.light if p.main != _WHITE else _METAL, outline=False)


def _mouse(p: _Pen) -> None:
    p.ellipse(0.32, 0.16, 0.68, 0.8)
    p.line([(0.5, 0.16), (0.5, 0.42)], 0.01)
    p.line([(0.34, 0.42), (0.66, 0.42)], 0.01)
    p.rect(0.48, 0.24, 0.52, 0.34, r=0.01, fill=p.detail, outline=False)


def _console(p: _Pen) -> None:
    p.rect(0.12, 0.3, 0.88, 0.68, r=0.04)
    p.line([(0.16, 0.42), (0.62, 0.42)], 0.012, fill=p.detail)
    p.circle(0.78, 0.49, 0.05, fill=p.dark)
    p.rect(0.16, 0.56, 0.3, 0.6, fill=p.detail, outline=False)


def _controller(p: _Pen) -> None:
    p.poly([(0.22, 0.34), (0.78, 0.34), (0.9, 0.68), (0.78, 0.74), (0.64, 0.58), (0.36, 0.58), (0.22, 0.74),
            (0.1, 0.68)])
    p.rect(0.24, 0.43, 0.34, 0.47, fill=p.detail, outline=False)
    p.rect(0.27, 0.4, 0.31, 0.5, fill=p.detail, outline=False)
    for cx, cy, colour in ((0.7, 0.4, (60, 160, 80)), (0.76, 0.45, (200, 60, 60)), (0.64, 0.45, (60, 100, 200)),
                           (0.7, 0.5, (230, 190, 50))):
        p.circle(cx, cy, 0.022, fill=colour, outline=False)


def _handheld(p: _Pen) -> None:
    p.rect(0.1, 0.3, 0.9, 0.66, r=0.1)
    p.rect(0.3, 0.33, 0.7, 0.63, r=0.01, fill=_SCREEN, outline=False)
    p.circle(0.2, 0.44, 0.04, fill=p.dark)
    p.circle(0.8, 0.44, 0.04, fill=p.dark)
    p.circle(0.82, 0.56, 0.015, fill=p.detail, outline=False)


def _game_case(p: _Pen) -> None:
    p.rect(0.28, 0.08, 0.72, 0.82, r=0.02, fill=p.main)
    p.rect(0.31, 0.18, 0.69, 0.78, fill=p.light, outline=False)
    p.ellipse(0.38, 0.3, 0.62, 0.56, fill=p.dark, outline=False)
    p.rect(0.28, 0.08, 0.72, 0.16, fill=_WHITE)


def _headphones(p: _Pen) -> None:
    p.arc(0.18, 0.12, 0.82, 0.78, 180, 360, 0.05, fill=p.main)
    p.arc(0.18, 0.12, 0.82, 0.78, 180, 360, 0.012)
    p.rect(0.12, 0.42, 0.28, 0.72, r=0.06)
    p.rect(0.72, 0.42, 0.88, 0.72, r=0.06)


def _earbuds(p: _Pen) -> None:
    p.rect(0.28, 0.3, 0.72, 0.74, r=0.12)
    p.line([(0.28, 0.44), (0.72, 0.44)], 0.01)
    p.circle(0.5, 0.58, 0.015, fill=(80, 200, 120), outline=False)
    p.circle(0.2, 0.2, 0.06, fill=p.light)
    p.rect(0.18, 0.22, 0.22, 0.34, r=0.02, fill=p.light)


def _speaker(p: _Pen) -> None:
    p.rect(0.26, 0.1, 0.74, 0.8, r=0.06)
    p.circle(0.5, 0.32, 0.12, fill=p.dark)
    p.circle(0.5, 0.32, 0.04, fill=_GREY)
    p.circle(0.5, 0.62, 0.09, fill=p.dark)


def _camera(p: _Pen) -> None:
    p.rect(0.12, 0.3, 0.88, 0.74, r=0.05)
    p.rect(0.2, 0.22, 0.38, 0.3, r=0.02, fill=p.dark)
    p.circle(0.52, 0.52, 0.17, fill=_GREY)
    p.circle(0.52, 0.52, 0.1, fill=_SCREEN)
    p.circle(0.49, 0.49, 0.025, fill=(140, 160, 200), outline=False)
    p.circle(0.8, 0.38, 0.025, fill=_WHITE)


def _lens(p: _Pen) -> None:
    p.rect(0.3, 0.16, 0.7, 0.76, r=0.03)
    for y in (0.3, 0.34, 0.5):
        p.line([(0.3, y), (0.7, y)], 0.01, fill=p.detail)
    p.ellipse(0.3, 0.1, 0.7, 0.22, fill=_SCREEN)


def _drone(p: _Pen) -> None:
    p.line([(0.2, 0.3), (0.8, 0.66)], 0.03, fill=p.dark)
    p.line([(0.8, 0.3), (0.2, 0.66)], 0.03, fill=p.dark)
    p.rect(0.38, 0.38, 0.62, 0.58, r=0.05)
    for cx, cy in ((0.2, 0.3), (0.8, 0.3), (0.2, 0.66), (0.8, 0.66)):
        p.ellipse(cx - 0.14, cy - 0.03, cx + 0.14, cy + 0.03, fill=p.light)


def _cable(p: _Pen) -> None:
    for i in range(3):
        p.arc(0.24 + i * 0.03, 0.2 + i * 0.03, 0.76 - i * 0.03, 0.72 - i * 0.03, 0, 360, 0.018, fill=p.main)
    p.line([(0.7, 0.6), (0.84, 0.8)], 0.018, fill=p.main)
    p.rect(0.8, 0.76, 0.9, 0.86, r=0.01, fill=p.main)
    p.rect(0.82, 0.84, 0.88, 0.88, fill=_METAL, outline=False)


# ----------------------------------------------------------------------------------------------- toys & collectibles


def _brick(p: _Pen) -> None:
    p.poly([(0.12, 0.44), (0.62, 0.44), (0.88, 0.32), (0.38, 0.32)], fill=p.light)
    p.poly([(0.62, 0.44), (0.88, 0.32), (0.88, 0.58), (0.62, 0.72)], fill=p.dark)
    p.rect(0.12, 0.44, 0.62, 0.72, fill=p.main)
    for row in (1, 0):  # back row first, so the front studs overlap it
        for col in range(4):
            cx, cy = 0.2 + col * 0.115 + row * 0.12, 0.41 - row * 0.06
            p.rect(cx - 0.035, cy - 0.05, cx + 0.035, cy, fill=p.main, outline=False)
            p.line([(cx - 0.035, cy - 0.05), (cx - 0.035, cy)], 0.006)
            p.line([(cx + 0.035, cy - 0.05), (cx + 0.035, cy)], 0.006)
            p.ellipse(cx - 0.035, cy - 0.012, cx + 0.035, cy + 0.012, fill=p.main, outline=False)
            p.ellipse(cx - 0.035, cy - 0.062, cx + 0.035, cy - 0.038, fill=p.light)


def _blocks(p: _Pen) -> None:
    p.rect(0.18, 0.5, 0.46, 0.78, fill=p.main)
    p.rect(0.54, 0.5, 0.82, 0.78, fill=p.light)
    p.rect(0.36, 0.22, 0.64, 0.5, fill=p.dark)
    for x0, y0 in ((0.18, 0.5), (0.54, 0.5), (0.36, 0.22)):
        p.rect(x0 + 0.07, y0 + 0.07, x0 + 0.21, y0 + 0.21, fill=_WHITE, outline=False)


def _figure(p: _Pen) -> None:
    p.rect(0.38, 0.5, 0.62, 0.78, r=0.04, fill=p.main)
    p.rect(0.26, 0.1, 0.74, 0.52, r=0.12, fill=(240, 214, 190))
    p.poly([(0.26, 0.24), (0.3, 0.1), (0.7, 0.1), (0.74, 0.24), (0.74, 0.18), (0.26, 0.18)], fill=p.dark)
    p.circle(0.41, 0.34, 0.04, fill=(20, 20, 24), outline=False)
    p.circle(0.59, 0.34, 0.04, fill=(20, 20, 24), outline=False)
    p.rect(0.3, 0.76, 0.7, 0.8, fill=p.dark)


def _doll(p: _Pen) -> None:
    p.poly([(0.44, 0.36), (0.56, 0.36), (0.7, 0.76), (0.3, 0.76)])
    p.ellipse(0.34, 0.06, 0.66, 0.4, fill=(120, 80, 40))
    p.circle(0.5, 0.22, 0.12, fill=(242, 216, 194))
    p.line([(0.45, 0.76), (0.45, 0.86)], 0.02, fill=(242, 216, 194))
    p.line([(0.55, 0.76), (0.55, 0.86)], 0.02, fill=(242, 216, 194))


def _plush(p: _Pen) -> None:
    p.circle(0.32, 0.16, 0.08)
    p.circle(0.68, 0.16, 0.08)
    p.ellipse(0.26, 0.44, 0.74, 0.84)
    p.circle(0.5, 0.3, 0.2)
    p.ellipse(0.42, 0.32, 0.58, 0.44, fill=p.light)
    p.circle(0.43, 0.26, 0.02, fill=(20, 20, 24), outline=False)
    p.circle(0.57, 0.26, 0.02, fill=(20, 20, 24), outline=False)
    p.circle(0.5, 0.35, 0.02, fill=(20, 20, 24), outline=False)


def _card(p: _Pen) -> None:
    p.rect(0.3, 0.06, 0.7, 0.82, r=0.02, fill=(250, 214, 80))
    p.rect(0.33, 0.1, 0.67, 0.78, r=0.01, fill=p.main)
    p.rect(0.36, 0.18, 0.64, 0.44, fill=p.light)
    p.circle(0.5, 0.31, 0.07, fill=p.dark, outline=False)
    for y in (0.52, 0.58, 0.64):
        p.line([(0.37, y), (0.63, y)], 0.008, fill=p.detail)


def _banknote(p: _Pen) -> None:
    p.rect(0.08, 0.3, 0.92, 0.66, r=0.01, fill=(196, 214, 180))
    p.rect(0.11, 0.33, 0.89, 0.63, fill=p.light)
    p.ellipse(0.4, 0.36, 0.6, 0.6, fill=p.main)
    p.circle(0.2, 0.48, 0.05, fill=p.dark)


def _coin(p: _Pen) -> None:
    p.circle(0.5, 0.46, 0.3)
    p.circle(0.5, 0.46, 0.24, fill=p.light)
    p.ellipse(0.42, 0.32, 0.6, 0.56, fill=p.main)


def _car(p: _Pen) -> None:
    p.poly([(0.08, 0.58), (0.1, 0.46), (0.3, 0.44), (0.4, 0.3), (0.66, 0.3), (0.78, 0.44), (0.92, 0.48),
            (0.92, 0.6)])
    p.poly([(0.42, 0.34), (0.52, 0.34), (0.52, 0.44), (0.34, 0.44)], fill=(180, 210, 235))
    p.poly([(0.56, 0.34), (0.64, 0.34), (0.73, 0.44), (0.56, 0.44)], fill=(180, 210, 235))
    p.circle(0.27, 0.62, 0.08, fill=_GREY)
    p.circle(0.73, 0.62, 0.08, fill=_GREY)
    p.circle(0.27, 0.62, 0.03, fill=_METAL, outline=False)
    p.circle(0.73, 0.62, 0.03, fill=_METAL, outline=False)


def _train(p: _Pen) -> None:
    p.rect(0.14, 0.36, 0.7, 0.64)
    p.rect(0.52, 0.2, 0.82, 0.64)
    p.rect(0.58, 0.26, 0.76, 0.4, fill=(180, 210, 235))
    p.rect(0.22, 0.22, 0.3, 0.36, fill=p.dark)
    for cx in (0.24, 0.42, 0.62, 0.76):
        p.circle(cx, 0.68, 0.06, fill=_GREY)


def _blaster(p: _Pen) -> None:
    p.rect(0.12, 0.3, 0.8, 0.46, r=0.04)
    p.rect(0.8, 0.32, 0.9, 0.44, r=0.02, fill=(245, 140, 30))
    p.poly([(0.22, 0.46), (0.36, 0.46), (0.3, 0.76), (0.16, 0.76)], fill=p.dark)
    p.rect(0.44, 0.46, 0.6, 0.6, r=0.02, fill=p.light)


def _ball(p: _Pen) -> None:
    p.circle(0.5, 0.46, 0.3)
    p.arc(0.2, 0.16, 0.8, 0.76, 0, 360, 0.012)
    p.line([(0.5, 0.16), (0.5, 0.76)], 0.012)
    p.arc(0.06, 0.16, 0.4, 0.76, 300, 60, 0.012)
    p.arc(0.6, 0.16, 0.94, 0.76, 120, 240, 0.012)


def _balloon(p: _Pen) -> None:
    p.ellipse(0.3, 0.08, 0.7, 0.58)
    p.poly([(0.48, 0.58), (0.52, 0.58), (0.54, 0.62), (0.46, 0.62)], fill=p.dark)
    p.line([(0.5, 0.62), (0.46, 0.72), (0.54, 0.8)], 0.008, fill=_GREY)
    p.ellipse(0.38, 0.16, 0.46, 0.28, fill=p.light, outline=False)


def _house(p: _Pen) -> None:
    p.rect(0.2, 0.4, 0.8, 0.8)
    p.poly([(0.12, 0.42), (0.5, 0.1), (0.88, 0.42)], fill=p.dark)
    p.rect(0.44, 0.58, 0.56, 0.8, fill=p.light)
    p.rect(0.26, 0.48, 0.38, 0.58, fill=(180, 210, 235))
    p.rect(0.62, 0.48, 0.74, 0.58, fill=(180, 210, 235))


# ----------------------------------------------------------------------------------------------- media


def _book(p: _Pen) -> None:
    p.poly([(0.28, 0.12), (0.7, 0.1), (0.76, 0.16), (0.76, 0.82), (0.34, 0.84), (0.28, 0.78)], fill=p.dark)
    p.rect(0.28, 0.12, 0.7, 0.8, fill=p.main)
    p.rect(0.28, 0.12, 0.34, 0.8, fill=p.dark, outline=False)
    p.rect(0.4, 0.24, 0.64, 0.3, fill=p.detail, outline=False)
    p.rect(0.44, 0.34, 0.6, 0.37, fill=p.detail, outline=False)


def _disc(p: _Pen) -> None:
    p.circle(0.6, 0.45, 0.3, fill=(24, 24, 26))
    p.arc(0.36, 0.21, 0.84, 0.69, 0, 360, 0.004, fill=(60, 60, 64))
    p.rect(0.14, 0.15, 0.6, 0.75, fill=p.main)
    p.circle(0.37, 0.45, 0.12, fill=p.light)
    p.circle(0.37, 0.45, 0.02, fill=p.dark, outline=False)


def _cassette(p: _Pen) -> None:
    p.rect(0.12, 0.26, 0.88, 0.7, r=0.03)
    p.rect(0.2, 0.32, 0.8, 0.56, r=0.02, fill=_WHITE)
    p.circle(0.36, 0.44, 0.06, fill=_GREY)
    p.circle(0.64, 0.44, 0.06, fill=_GREY)
    p.poly([(0.3, 0.7), (0.34, 0.6), (0.66, 0.6), (0.7, 0.7)], fill=p.dark)


# ----------------------------------------------------------------------------------------------- home & kitchen


def _mug(p: _Pen) -> None:
    p.arc(0.56, 0.3, 0.84, 0.6, 270, 90, 0.04, fill=p.main)
    p.rect(0.22, 0.2, 0.66, 0.76, r=0.04)
    p.ellipse(0.22, 0.16, 0.66, 0.26, fill=p.dark)


def _bowl(p: _Pen) -> None:
    p.draw.chord(p.box(0.14, 0.1, 0.86, 0.76), 0, 180, fill=p.main, outline=p.dark, width=p.width)
    p.ellipse(0.14, 0.36, 0.86, 0.5, fill=p.light)
    p.rect(0.4, 0.74, 0.6, 0.78, fill=p.dark)


def _pan(p: _Pen) -> None:
    p.line([(0.62, 0.46), (0.94, 0.3)], 0.05, fill=_GREY)
    p.ellipse(0.06, 0.26, 0.66, 0.7)
    p.ellipse(0.12, 0.3, 0.6, 0.64, fill=_SCREEN)


def _bottle(p: _Pen) -> None:
    p.rect(0.32, 0.3, 0.68, 0.82, r=0.06)
    p.rect(0.42, 0.18, 0.58, 0.3, fill=_WHITE)
    p.rect(0.46, 0.08, 0.54, 0.18, fill=_WHITE)
    p.line([(0.54, 0.1), (0.64, 0.1)], 0.02, fill=_WHITE)
    p.rect(0.36, 0.46, 0.64, 0.64, fill=p.light, outline=False)


def _jar(p: _Pen) -> None:
    p.rect(0.22, 0.4, 0.78, 0.78, r=0.06)
    p.rect(0.2, 0.28, 0.8, 0.42, r=0.02, fill=_WHITE if p.main != _WHITE else _METAL)
    p.rect(0.32, 0.52, 0.68, 0.66, fill=p.light, outline=False)


def _perfume(p: _Pen) -> None:
    p.rect(0.26, 0.34, 0.74, 0.8, r=0.04, fill=p.light)
    p.rect(0.3, 0.42, 0.7, 0.76, r=0.02, fill=p.main, outline=False)
    p.rect(0.44, 0.24, 0.56, 0.34, fill=_METAL)
    p.rect(0.38, 0.12, 0.62, 0.24, r=0.02, fill=(212, 172, 52))


def _lipstick(p: _Pen) -> None:
    p.rect(0.38, 0.46, 0.62, 0.84, r=0.01, fill=_GREY)
    p.rect(0.4, 0.36, 0.6, 0.46, fill=(212, 172, 52))
    p.poly([(0.42, 0.36), (0.42, 0.18), (0.58, 0.1), (0.58, 0.36)], fill=p.main)


def _compact(p: _Pen) -> None:
    p.ellipse(0.18, 0.06, 0.82, 0.44, fill=_METAL)
    p.ellipse(0.22, 0.1, 0.78, 0.4, fill=(210, 220, 230))
    p.ellipse(0.18, 0.4, 0.82, 0.82, fill=_GREY)
    p.ellipse(0.24, 0.46, 0.76, 0.76, fill=p.main)


def _palette(p: _Pen) -> None:
    p.rect(0.1, 0.22, 0.9, 0.72, r=0.03, fill=_GREY)
    for row in range(2):
        for col in range(4):
            shade = _mix(p.main, (255, 255, 255) if (row + col) % 2 else (0, 0, 0), 0.12 * ((row * 4 + col) % 4))
            x, y = 0.15 + col * 0.185, 0.28 + row * 0.22
            p.rect(x, y, x + 0.15, y + 0.17, r=0.01, fill=shade, outline=False)


def _nail_polish(p: _Pen) -> None:
    p.rect(0.3, 0.46, 0.7, 0.82, r=0.08)
    p.rect(0.42, 0.12, 0.58, 0.46, r=0.02, fill=_GREY)
    p.ellipse(0.36, 0.52, 0.5, 0.62, fill=p.light, outline=False)


def _brush(p: _Pen) -> None:
    p.line([(0.3, 0.82), (0.56, 0.4)], 0.05, fill=_GREY)
    p.poly([(0.52, 0.42), (0.6, 0.46), (0.72, 0.16), (0.6, 0.1)], fill=p.main)
    p.line([(0.66, 0.12), (0.7, 0.04)], 0.008, fill=p.dark)


def _baby_bottle(p: _Pen) -> None:
    p.rect(0.34, 0.36, 0.66, 0.84, r=0.08, fill=(240, 240, 244))
    p.rect(0.36, 0.5, 0.64, 0.82, r=0.06, fill=p.main, outline=False)
    p.rect(0.32, 0.28, 0.68, 0.36, fill=p.dark)
    p.poly([(0.42, 0.28), (0.46, 0.12), (0.54, 0.12), (0.58, 0.28)], fill=(232, 200, 150))


def _candle(p: _Pen) -> None:
    p.rect(0.26, 0.34, 0.74, 0.82, r=0.04, fill=p.main)
    p.ellipse(0.26, 0.3, 0.74, 0.4, fill=p.light)
    p.line([(0.5, 0.34), (0.5, 0.26)], 0.01, fill=_GREY)
    p.ellipse(0.46, 0.12, 0.54, 0.28, fill=(250, 190, 60), outline=False)
    p.rect(0.34, 0.5, 0.66, 0.64, fill=_WHITE)


def _frame(p: _Pen) -> None:
    p.rect(0.14, 0.12, 0.86, 0.78, fill=p.main)
    p.rect(0.22, 0.2, 0.78, 0.7, fill=(200, 224, 240))
    p.poly([(0.22, 0.7), (0.4, 0.42), (0.54, 0.6), (0.64, 0.5), (0.78, 0.7)], fill=(90, 150, 90), outline=False)
    p.circle(0.66, 0.32, 0.05, fill=(250, 210, 80), outline=False)


def _vase(p: _Pen) -> None:
    p.poly([(0.42, 0.12), (0.58, 0.12), (0.56, 0.26), (0.72, 0.46), (0.68, 0.72), (0.6, 0.8), (0.4, 0.8),
            (0.32, 0.72), (0.28, 0.46), (0.44, 0.26)])
    p.line([(0.31, 0.5), (0.69, 0.5)], 0.01, fill=p.detail)


def _clock(p: _Pen) -> None:
    p.circle(0.5, 0.45, 0.32)
    p.circle(0.5, 0.45, 0.26, fill=_WHITE)
    for i in range(12):
        a = i * math.pi / 6
        p.line([(0.5 + 0.22 * math.cos(a), 0.45 + 0.22 * math.sin(a)),
                (0.5 + 0.25 * math.cos(a), 0.45 + 0.25 * math.sin(a))], 0.008, fill=_GREY)
    p.line([(0.5, 0.45), (0.5, 0.28)], 0.014, fill=_GREY)
    p.line([(0.5, 0.45), (0.62, 0.5)], 0.014, fill=_GREY)


def _pillow(p: _Pen) -> None:
    p.poly([(0.14, 0.22), (0.5, 0.26), (0.86, 0.22), (0.82, 0.47), (0.86, 0.72), (0.5, 0.68), (0.14, 0.72),
            (0.18, 0.47)])
    p.line([(0.22, 0.3), (0.3, 0.36)], 0.008)
    p.line([(0.78, 0.64), (0.7, 0.58)], 0.008)


def _towel(p: _Pen) -> None:
    for i, y in enumerate((0.58, 0.42, 0.26)):
        p.rect(0.16 + i * 0.03, y, 0.84 - i * 0.03, y + 0.16, r=0.04, fill=p.main if i % 2 == 0 else p.light)
        p.line([(0.2 + i * 0.03, y + 0.12), (0.8 - i * 0.03, y + 0.12)], 0.006)


def _chair(p: _Pen) -> None:
    p.rect(0.3, 0.08, 0.7, 0.46, r=0.04)
    p.rect(0.26, 0.46, 0.74, 0.56, r=0.02, fill=p.dark)
    for x in (0.3, 0.66):
        p.rect(x, 0.56, x + 0.04, 0.84, fill=p.dark)


def _table(p: _Pen) -> None:
    p.rect(0.08, 0.34, 0.92, 0.42, r=0.01)
    for x in (0.14, 0.8):
        p.rect(x, 0.42, x + 0.05, 0.82, fill=p.dark)


def _shelf(p: _Pen) -> None:
    p.rect(0.22, 0.08, 0.78, 0.84)
    for y in (0.3, 0.52, 0.74):
        p.rect(0.26, y - 0.18, 0.74, y, fill=p.light, outline=False)
        p.line([(0.24, y), (0.76, y)], 0.012)
    for i in range(4):
        p.rect(0.3 + i * 0.07, 0.16, 0.35 + i * 0.07, 0.3, fill=((200, 80, 60), (60, 110, 170), (220, 180, 60),
                                                                 (90, 150, 90))[i], outline=False)


def _lamp(p: _Pen) -> None:
    p.poly([(0.34, 0.1), (0.66, 0.1), (0.78, 0.4), (0.22, 0.4)])
    p.rect(0.48, 0.4, 0.52, 0.76, fill=_GREY, outline=False)
    p.ellipse(0.32, 0.74, 0.68, 0.82, fill=_GREY)


def _vacuum(p: _Pen) -> None:
    p.line([(0.5, 0.06), (0.5, 0.62)], 0.03, fill=_GREY)
    p.rect(0.4, 0.2, 0.62, 0.56, r=0.08)
    p.rect(0.44, 0.26, 0.58, 0.42, r=0.04, fill=(180, 190, 200))
    p.rect(0.28, 0.64, 0.72, 0.76, r=0.03, fill=p.dark)


def _fan(p: _Pen) -> None:
    p.circle(0.5, 0.36, 0.28, fill=_WHITE)
    for i in range(3):
        a = i * 2 * math.pi / 3
        p.ellipse(0.5 + 0.13 * math.cos(a) - 0.09, 0.36 + 0.13 * math.sin(a) - 0.09,
                  0.5 + 0.13 * math.cos(a) + 0.09, 0.36 + 0.13 * math.sin(a) + 0.09, fill=p.main)
    p.circle(0.5, 0.36, 0.04, fill=p.dark)
    p.rect(0.47, 0.64, 0.53, 0.78, fill=p.dark, outline=False)
    p.ellipse(0.34, 0.76, 0.66, 0.82, fill=p.main)


def _hairdryer(p: _Pen) -> None:
    p.rect(0.14, 0.22, 0.72, 0.44, r=0.1)
    p.rect(0.72, 0.24, 0.82, 0.42, r=0.02, fill=p.dark)
    p.poly([(0.36, 0.42), (0.5, 0.42), (0.46, 0.8), (0.34, 0.8)], fill=p.main)
    p.circle(0.24, 0.33, 0.06, fill=p.dark)


def _ornament(p: _Pen) -> None:
    p.circle(0.5, 0.52, 0.28)
    p.rect(0.44, 0.18, 0.56, 0.26, fill=(212, 172, 52))
    p.arc(0.46, 0.1, 0.54, 0.2, 180, 360, 0.01, fill=_GREY)
    p.arc(0.24, 0.4, 0.76, 0.62, 0, 180, 0.02, fill=p.light)


def _plant(p: _Pen) -> None:
    for angle in (-60, -30, 0, 30, 60):
        a = math.radians(angle - 90)
        cx, cy = 0.5 + 0.2 * math.cos(a), 0.42 + 0.22 * math.sin(a)
        p.ellipse(cx - 0.07, cy - 0.12, cx + 0.07, cy + 0.12, fill=_GREEN)
    p.poly([(0.3, 0.46), (0.7, 0.46), (0.64, 0.8), (0.36, 0.8)])
    p.rect(0.28, 0.44, 0.72, 0.5, fill=p.dark)


def _basket(p: _Pen) -> None:
    p.arc(0.3, 0.12, 0.7, 0.5, 180, 360, 0.025)
    p.poly([(0.16, 0.36), (0.84, 0.36), (0.76, 0.78), (0.24, 0.78)])
    for y in (0.46, 0.56, 0.66):
        p.line([(0.18, y), (0.82, y)], 0.008)


def _box(p: _Pen) -> None:
    p.poly([(0.16, 0.34), (0.62, 0.34), (0.84, 0.22), (0.38, 0.22)], fill=p.light)
    p.poly([(0.62, 0.34), (0.84, 0.22), (0.84, 0.62), (0.62, 0.76)], fill=p.dark)
    p.rect(0.16, 0.34, 0.62, 0.76)
    p.rect(0.26, 0.46, 0.52, 0.58, fill=_WHITE, outline=False)


# ----------------------------------------------------------------------------------------------- sports, outdoor, pets


def _dumbbell(p: _Pen) -> None:
    p.rect(0.2, 0.44, 0.8, 0.5, fill=_METAL)
    for x in (0.14, 0.72):
        p.rect(x, 0.3, x + 0.14, 0.64, r=0.03)


def _kettlebell(p: _Pen) -> None:
    p.arc(0.32, 0.12, 0.68, 0.5, 180, 360, 0.06, fill=p.dark)
    p.circle(0.5, 0.56, 0.24)


def _mat(p: _Pen) -> None:
    p.rect(0.1, 0.34, 0.78, 0.6, r=0.02)
    p.ellipse(0.7, 0.34, 0.88, 0.6, fill=p.light)
    p.arc(0.74, 0.4, 0.84, 0.54, 0, 360, 0.01)


def _bike(p: _Pen) -> None:
    for cx in (0.26, 0.74):
        p.arc(cx - 0.17, 0.46, cx + 0.17, 0.8, 0, 360, 0.018, fill=_GREY)
    p.line([(0.26, 0.63), (0.44, 0.4), (0.66, 0.4), (0.74, 0.63)], 0.025, fill=p.main)
    p.line([(0.44, 0.4), (0.5, 0.63), (0.26, 0.63)], 0.025, fill=p.main)
    p.line([(0.5, 0.63), (0.66, 0.4)], 0.025, fill=p.main)
    p.line([(0.44, 0.4), (0.42, 0.32)], 0.02, fill=_GREY)
    p.line([(0.66, 0.4), (0.64, 0.3), (0.72, 0.3)], 0.02, fill=_GREY)


def _helmet(p: _Pen) -> None:
    p.draw.chord(p.box(0.16, 0.18, 0.84, 0.86), 180, 360, fill=p.main, outline=p.dark, width=p.width)
    for x in (0.38, 0.5, 0.62):
        p.rect(x - 0.03, 0.26, x + 0.03, 0.44, r=0.02, fill=p.dark, outline=False)
    p.rect(0.14, 0.5, 0.86, 0.56, r=0.02, fill=p.dark)


def _tent(p: _Pen) -> None:
    p.poly([(0.08, 0.78), (0.5, 0.14), (0.92, 0.78)])
    p.poly([(0.38, 0.78), (0.5, 0.46), (0.62, 0.78)], fill=p.dark)
    p.line([(0.5, 0.14), (0.5, 0.08)], 0.012, fill=_GREY)


def _golf(p: _Pen) -> None:
    p.line([(0.3, 0.08), (0.6, 0.7)], 0.025, fill=_METAL)
    p.poly([(0.56, 0.66), (0.66, 0.64), (0.82, 0.72), (0.8, 0.8), (0.58, 0.78)])
    p.rect(0.27, 0.06, 0.35, 0.24, r=0.02, fill=_GREY)
    p.circle(0.3, 0.74, 0.05, fill=_WHITE)


def _glove(p: _Pen) -> None:
    p.poly([(0.24, 0.8), (0.16, 0.46), (0.2, 0.2), (0.34, 0.12), (0.52, 0.1), (0.68, 0.14), (0.82, 0.3),
            (0.86, 0.5), (0.7, 0.8)])
    for x in (0.34, 0.48, 0.62):
        p.line([(x, 0.16), (x + 0.02, 0.46)], 0.01)
    p.ellipse(0.4, 0.46, 0.66, 0.7, fill=p.light)


def _fishing(p: _Pen) -> None:
    p.line([(0.14, 0.82), (0.86, 0.1)], 0.018, fill=p.main)
    p.line([(0.86, 0.1), (0.88, 0.6)], 0.005, fill=_GREY)
    p.circle(0.3, 0.62, 0.08, fill=_METAL)
    p.rect(0.14, 0.72, 0.26, 0.84, r=0.02, fill=p.dark)


def _fish(p: _Pen) -> None:
    p.ellipse(0.16, 0.32, 0.72, 0.6)
    p.poly([(0.7, 0.46), (0.88, 0.32), (0.88, 0.6)], fill=p.dark)
    p.circle(0.28, 0.43, 0.03, fill=_WHITE)
    p.line([(0.4, 0.6), (0.42, 0.7), (0.38, 0.72)], 0.01, fill=_METAL)


def _skateboard(p: _Pen) -> None:
    p.rect(0.06, 0.4, 0.94, 0.52, r=0.06)
    for cx in (0.22, 0.78):
        p.circle(cx, 0.6, 0.05, fill=_WHITE)
    p.line([(0.14, 0.46), (0.86, 0.46)], 0.006, fill=p.detail)


def _scooter(p: _Pen) -> None:
    p.line([(0.72, 0.12), (0.78, 0.7)], 0.025, fill=_GREY)
    p.line([(0.64, 0.12), (0.82, 0.12)], 0.025, fill=_GREY)
    p.rect(0.16, 0.62, 0.78, 0.7, r=0.02)
    p.circle(0.2, 0.74, 0.06, fill=_GREY)
    p.circle(0.78, 0.74, 0.06, fill=_GREY)


def _stroller(p: _Pen) -> None:
    p.draw.pieslice(p.box(0.16, 0.12, 0.72, 0.68), 180, 360, fill=p.main, outline=p.dark, width=p.width)
    p.rect(0.2, 0.4, 0.72, 0.56, r=0.04)
    p.line([(0.72, 0.4), (0.86, 0.16)], 0.02, fill=_GREY)
    p.line([(0.3, 0.56), (0.26, 0.72)], 0.015, fill=_GREY)
    p.line([(0.64, 0.56), (0.7, 0.72)], 0.015, fill=_GREY)
    p.circle(0.26, 0.75, 0.05, fill=_GREY)
    p.circle(0.7, 0.75, 0.05, fill=_GREY)


def _cage(p: _Pen) -> None:
    p.arc(0.2, 0.1, 0.8, 0.5, 180, 360, 0.016, fill=p.main)
    for i in range(7):
        x = 0.22 + i * 0.0933
        p.line([(x, 0.3), (x, 0.76)], 0.012, fill=p.main)
    p.rect(0.16, 0.74, 0.84, 0.8, fill=p.dark)


def _aquarium(p: _Pen) -> None:
    p.rect(0.1, 0.2, 0.9, 0.74, fill=(170, 210, 235))
    p.rect(0.1, 0.2, 0.9, 0.3, fill=p.main)
    p.rect(0.1, 0.66, 0.9, 0.74, fill=(210, 190, 150), outline=False)
    p.ellipse(0.4, 0.42, 0.56, 0.52, fill=(245, 140, 30), outline=False)
    p.rect(0.08, 0.74, 0.92, 0.8, fill=p.dark)


def _bone(p: _Pen) -> None:
    p.rect(0.24, 0.4, 0.76, 0.52, fill=p.main, outline=False)
    for cx in (0.2, 0.8):
        p.circle(cx, 0.38, 0.07, outline=False)
        p.circle(cx, 0.54, 0.07, outline=False)


def _yarn(p: _Pen) -> None:
    p.line([(0.62, 0.7), (0.8, 0.8), (0.9, 0.74)], 0.012, fill=p.main)
    p.circle(0.5, 0.46, 0.28)
    for w in (0.07, 0.14, 0.21):
        p.arc(0.5 - w, 0.19, 0.5 + w, 0.73, 0, 360, 0.01)
    for h in (0.08, 0.16):
        p.arc(0.23, 0.46 - h, 0.77, 0.46 + h, 200, 340, 0.01)


def _tool(p: _Pen) -> None:
    p.poly([(0.47, 0.3), (0.55, 0.3), (0.57, 0.82), (0.45, 0.82)], fill=(150, 100, 60))
    p.rect(0.44, 0.66, 0.58, 0.82, r=0.02, fill=p.main)
    p.poly([(0.24, 0.14), (0.7, 0.14), (0.8, 0.2), (0.7, 0.3), (0.24, 0.3)], fill=_METAL)
    p.rect(0.2, 0.12, 0.3, 0.32, r=0.01, fill=_METAL)


def _drill(p: _Pen) -> None:
    p.rect(0.2, 0.26, 0.74, 0.44, r=0.06)
    p.rect(0.74, 0.31, 0.86, 0.39, fill=_METAL)
    p.poly([(0.32, 0.44), (0.48, 0.44), (0.44, 0.74), (0.28, 0.74)], fill=p.dark)
    p.rect(0.24, 0.72, 0.52, 0.8, r=0.02, fill=_GREY)


def _pen(p: _Pen) -> None:
    for i, offset in enumerate((-0.16, 0.0, 0.16)):
        colour = p.main if i == 1 else (p.light if i == 0 else p.dark)
        p.rect(0.44 + offset, 0.2, 0.52 + offset, 0.72, r=0.01, fill=colour)
        p.poly([(0.44 + offset, 0.72), (0.52 + offset, 0.72), (0.48 + offset, 0.8)], fill=(232, 200, 150))


def _guitar(p: _Pen) -> None:
    p.rect(0.47, 0.04, 0.53, 0.44, fill=(120, 80, 40))
    p.rect(0.45, 0.02, 0.55, 0.1, r=0.01, fill=p.dark)
    p.circle(0.5, 0.5, 0.14)
    p.circle(0.5, 0.68, 0.18)
    p.circle(0.5, 0.56, 0.04, fill=_SCREEN)
    p.rect(0.42, 0.7, 0.58, 0.73, fill=p.dark, outline=False)


def _drum(p: _Pen) -> None:
    p.rect(0.2, 0.34, 0.8, 0.72, fill=p.main)
    p.ellipse(0.2, 0.26, 0.8, 0.42, fill=_WHITE)
    p.ellipse(0.2, 0.64, 0.8, 0.8, fill=p.main)
    for x in (0.3, 0.5, 0.7):
        p.line([(x, 0.4), (x, 0.74)], 0.008, fill=_METAL)
    p.line([(0.56, 0.3), (0.84, 0.1)], 0.015, fill=(200, 160, 100))


def _mic(p: _Pen) -> None:
    p.rect(0.44, 0.4, 0.56, 0.82, r=0.03, fill=p.main)
    p.circle(0.5, 0.28, 0.14, fill=_METAL)
    for y in (0.22, 0.28, 0.34):
        p.line([(0.38, y), (0.62, y)], 0.006, fill=_GREY)


def _grill(p: _Pen) -> None:
    p.draw.chord(p.box(0.2, 0.08, 0.8, 0.68), 0, 180, fill=p.main, outline=p.dark, width=p.width)
    p.draw.chord(p.box(0.2, 0.1, 0.8, 0.66), 180, 360, fill=p.dark, outline=p.dark, width=p.width)
    p.line([(0.32, 0.58), (0.26, 0.84)], 0.015, fill=_GREY)
    p.line([(0.68, 0.58), (0.74, 0.84)], 0.015, fill=_GREY)
    p.rect(0.46, 0.12, 0.54, 0.16, fill=_GREY)


_SHAPES: dict[str, Callable[[_Pen], None]] = {
    "shirt": _shirt, "sweater": _sweater, "jacket": _jacket, "onesie": _onesie, "dress": _dress,
    "swimsuit": _swimsuit, "pants": _pants, "shorts": _shorts, "skirt": _skirt, "shoe": _shoe, "boot": _boot,
    "heel": _heel, "handbag": _handbag, "backpack": _backpack, "wallet": _wallet, "scarf": _scarf, "hat": _hat,
    "sunglasses": _sunglasses, "belt": _belt, "tie": _tie, "watch": _watch, "necklace": _necklace, "ring": _ring,
    "phone": _phone, "tablet": _tablet, "laptop": _laptop, "tv": _tv, "monitor": _tv, "keyboard": _keyboard,
    "mouse": _mouse, "console": _console, "controller": _controller, "handheld": _handheld,
    "game_case": _game_case, "dvd": _game_case, "headphones": _headphones, "earbuds": _earbuds,
    "speaker": _speaker, "camera": _camera, "lens": _lens, "drone": _drone, "cable": _cable, "brick": _brick,
    "blocks": _blocks, "figure": _figure, "doll": _doll, "plush": _plush, "card": _card, "banknote": _banknote,
    "coin": _coin, "car": _car, "train": _train, "blaster": _blaster, "ball": _ball, "balloon": _balloon,
    "house": _house, "book": _book, "disc": _disc, "cassette": _cassette, "mug": _mug, "bowl": _bowl, "pan": _pan,
    "bottle": _bottle, "jar": _jar, "perfume": _perfume, "lipstick": _lipstick, "compact": _compact,
    "palette": _palette, "nail_polish": _nail_polish, "brush": _brush, "baby_bottle": _baby_bottle,
    "candle": _candle, "frame": _frame, "vase": _vase, "clock": _clock, "pillow": _pillow, "towel": _towel,
    "chair": _chair, "table": _table, "shelf": _shelf, "lamp": _lamp, "vacuum": _vacuum, "fan": _fan,
    "hairdryer": _hairdryer, "ornament": _ornament, "plant": _plant, "basket": _basket, "box": _box,
    "dumbbell": _dumbbell, "kettlebell": _kettlebell, "mat": _mat, "bike": _bike, "helmet": _helmet, "tent": _tent,
    "golf": _golf, "glove": _glove, "fishing": _fishing, "reel": _fishing, "fish": _fish,
    "skateboard": _skateboard, "scooter": _scooter, "stroller": _stroller, "cage": _cage, "aquarium": _aquarium,
    "bone": _bone, "yarn": _yarn, "tool": _tool, "drill": _drill, "pen": _pen, "guitar": _guitar, "drum": _drum,
    "mic": _mic, "grill": _grill,
}
SHAPES: frozenset[str] = frozenset(_SHAPES)
