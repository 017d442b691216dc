"""Image descriptors for image interest units: pluggable, a classic colour + texture descriptor by default.

An encoder is a function PIL.Image -> 1-D float vector, registered by name. `auto` is `demo`
(`colour_hog_descriptor`: a foreground colour histogram and a small HOG, the default pluggable image feature of
DESIGN 5, tuned on product pictures on a plain backdrop such as the demo's thumbnails); `colour_texture` is a
whole-image colour + texture descriptor. A deep encoder (e.g. a CNN's pooled features) plugs in with
`image_encoder_register("name", fn)` and the `INTEREST_UNITS_IMAGE_ENCODER` setting. A unit build stores the name of
the encoder it used, so names stay stable.
"""

from __future__ import annotations

import logging
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


def colour_hog_descriptor(image: Image.Image) -> np.ndarray:
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


image_encoder_register("colour_texture", colour_texture_descriptor)
image_encoder_register("demo", colour_hog_descriptor)  # "demo": the name earlier unit builds stored


def image_encoder_name() -> str:
    """The configured encoder's name, `auto` resolved to "demo"."""
    from django.conf import settings

    wanted = settings.INTEREST_UNITS_IMAGE_ENCODER
    if wanted == "auto":
        return "demo"
    return wanted


def image_encoder(name: str) -> ImageEncoder:
    if name not in _ENCODERS:
        raise KeyError(f"Unknown image encoder {name!r}; registered: {', '.join(sorted(_ENCODERS))}")
    return _ENCODERS[name]


def image_describe(image: Image.Image, encoder_name: str) -> np.ndarray:
    vector = np.asarray(image_encoder(encoder_name)(image), dtype=np.float32).ravel()
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector
