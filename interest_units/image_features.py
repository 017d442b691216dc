"""Image descriptors for image interest units: pluggable, a classic colour + texture descriptor by default.

An encoder is a function PIL.Image -> 1-D float vector, registered by name. `auto` uses the demo generator's
`demo.thumbnails.image_descriptor` when that module exists (it knows how its pictures are drawn) and
the built-in `colour_texture` descriptor otherwise. A deep encoder (e.g. a CNN's pooled features) plugs in with
`image_encoder_register("name", fn)` and the `INTEREST_UNITS_IMAGE_ENCODER` setting.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

import numpy as np
from PIL import Image

log = logging.getLogger(__name__)

ImageEncoder = Callable[[Image.Image], np.ndarray]
_ENCODERS: dict[str, ImageEncoder] = {}
SIDE = 64  # images are reduced to SIDE x SIDE before describing them
HUE_BINS, SAT_BINS, VAL_BINS = 8, 3, 3


def image_encoder_register(name: str, encoder: ImageEncoder) -> None:
    _ENCODERS[name] = encoder


def colour_texture_descriptor(image: Image.Image) -> np.ndarray:
    """(90,) float32, l2-normalised: an HSV colour histogram (8 x 3 x 3), a gradient-orientation histogram (8)
    and a uniform local-binary-pattern histogram (10), square-rooted (Hellinger) and weighted 2:1 colour:texture.
    """
    rgb = image.convert("RGB").resize((SIDE, SIDE), Image.Resampling.BILINEAR)
    hsv = np.asarray(rgb.convert("HSV"), dtype=np.int64)
    h = hsv[..., 0] * HUE_BINS // 256
    s = hsv[..., 1] * SAT_BINS // 256
    v = hsv[..., 2] * VAL_BINS // 256
    colour = np.bincount((h * SAT_BINS + s) * VAL_BINS + v, minlength=HUE_BINS * SAT_BINS * VAL_BINS)
    colour = colour.astype(np.float64) / colour.sum()

    grey = np.asarray(rgb.convert("L"), dtype=np.float64)
    gx = np.zeros_like(grey)
    gy = np.zeros_like(grey)
    gx[:, 1:-1] = grey[:, 2:] - grey[:, :-2]
    gy[1:-1, :] = grey[2:, :] - grey[:-2, :]
    magnitude = np.hypot(gx, gy)
    angle = (np.arctan2(gy, gx) % np.pi) / np.pi  # orientation, not direction
    orientation = np.bincount(np.minimum((angle * 8).astype(np.int64), 7).ravel(), weights=magnitude.ravel(),
                              minlength=8)
    orientation = orientation / orientation.sum() if orientation.sum() > 0 else np.full(8, 1 / 8)

    lbp = _uniform_lbp_histogram(grey)
    colour_part = np.sqrt(colour) * 2.0
    texture_part = np.sqrt(np.concatenate([orientation, lbp]))
    vector = np.concatenate([colour_part, texture_part])
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def _uniform_lbp_histogram(grey: np.ndarray) -> np.ndarray:
    """Histogram of 8-neighbour uniform LBP codes: 0..8 set bits for uniform patterns, 9 for the rest."""
    centre = grey[1:-1, 1:-1]
    offsets = [(-1, -1), (-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1)]
    bits = np.stack([(grey[1 + dy:grey.shape[0] - 1 + dy, 1 + dx:grey.shape[1] - 1 + dx] >= centre)
                     for dy, dx in offsets]).astype(np.int64)
    transitions = np.abs(np.diff(np.concatenate([bits, bits[:1]]), axis=0)).sum(axis=0)
    ones = bits.sum(axis=0)
    codes = np.where(transitions <= 2, ones, 9)
    hist = np.bincount(codes.ravel(), minlength=10).astype(np.float64)
    return hist / hist.sum()


def _demo_descriptor() -> ImageEncoder | None:
    try:
        from demo.thumbnails import image_descriptor  # type: ignore[import-not-found]
    except Exception:  # the demo generator is optional; any import problem means "not available"
        return None
    return image_descriptor


image_encoder_register("colour_texture", colour_texture_descriptor)


def image_encoder_name() -> str:
    """The configured encoder's name, `auto` resolved: "demo" when the demo generator provides one."""
    from django.conf import settings

    wanted = getattr(settings, "INTEREST_UNITS_IMAGE_ENCODER", os.environ.get("INTEREST_UNITS_IMAGE_ENCODER", "auto"))
    if wanted == "auto":
        return "demo" if _demo_descriptor() is not None else "colour_texture"
    return wanted


def image_encoder(name: str) -> ImageEncoder:
    if name == "demo":
        encoder = _demo_descriptor()
        if encoder is not None:
            return encoder
    if name not in _ENCODERS:
        raise KeyError(f"Unknown image encoder {name!r}; registered: {', '.join(sorted(_ENCODERS))}")
    return _ENCODERS[name]


def image_describe(image: Image.Image, encoder_name: str) -> np.ndarray:
    vector = np.asarray(image_encoder(encoder_name)(image), dtype=np.float32).ravel()
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector
