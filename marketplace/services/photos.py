"""Listing photos: bounded from the header before a single pixel is decoded, then re-encoded without metadata.

A 17 KB PNG can declare 12000 x 12000 pixels (a decompression bomb: 144 Mpx, over 400 MB once decoded), so the byte
size says nothing; the width and height in the header do, and `Image.open` reads only the header. What passes is
decoded once, turned upright, shrunk to `PHOTO_STORED_MAX_SIDE` and saved again: the stored file carries no EXIF
(GPS position, camera serial), no comments and no trailing bytes from the upload. Photos with transparency are kept
as PNG, every other one becomes a JPEG.
"""

from __future__ import annotations

import warnings
from io import BytesIO
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

from marketplace.errors import ApplicationError

PHOTO_TOO_MANY_PIXELS = "Photos can be at most {width} × {height} pixels; this one is {actual}."
PHOTO_TOO_MANY_BYTES = "Photos must be {megabytes} MB or smaller."
PHOTO_UNREADABLE = "This file is not a photo we can read: upload a JPEG, PNG, GIF or WebP image."

ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "GIF", "WEBP"})
JPEG_QUALITY = 85
# What a damaged or hostile file makes PIL raise while reading a header or decoding.
_UNREADABLE_ERRORS = (OSError, UnidentifiedImageError, ValueError, SyntaxError, EOFError, ArithmeticError)
_TOO_BIG_ERRORS = (Image.DecompressionBombError, Image.DecompressionBombWarning)


def photo_limits_apply() -> None:
    """Make PIL itself refuse any image above the photo limit, in every process (web, workers, commands).

    PIL only warns between MAX_IMAGE_PIXELS and twice that; the warning is turned into an error so that no code path
    (interest_units' image features included) ever decodes more than an accepted photo could hold.
    """
    Image.MAX_IMAGE_PIXELS = settings.PHOTO_MAX_WIDTH * settings.PHOTO_MAX_HEIGHT
    warnings.simplefilter("error", Image.DecompressionBombWarning)


def photo_check(photo: IO[bytes]) -> tuple[str, int, int]:
    """(format, width, height) read from the header alone; ApplicationError when the photo is out of bounds."""
    max_bytes, max_width, max_height = settings.PHOTO_MAX_BYTES, settings.PHOTO_MAX_WIDTH, settings.PHOTO_MAX_HEIGHT
    size = getattr(photo, "size", None)
    if size is not None and size > max_bytes:
        raise ApplicationError(PHOTO_TOO_MANY_BYTES.format(megabytes=max_bytes // (1024 * 1024)),
                               extra={"bytes": size})
    too_big = ApplicationError(PHOTO_TOO_MANY_PIXELS.format(width=max_width, height=max_height, actual="larger"))
    photo.seek(0)
    try:
        with Image.open(photo) as image:  # parses the header; no pixel data is decompressed
            image_format, (width, height) = image.format, image.size
    except _TOO_BIG_ERRORS:
        raise too_big from None
    except _UNREADABLE_ERRORS:
        raise ApplicationError(PHOTO_UNREADABLE) from None
    finally:
        photo.seek(0)
    if image_format not in ACCEPTED_FORMATS:
        raise ApplicationError(PHOTO_UNREADABLE, extra={"format": image_format})
    if width > max_width or height > max_height:
        raise ApplicationError(
            PHOTO_TOO_MANY_PIXELS.format(width=max_width, height=max_height, actual=f"{width} × {height}"),
            extra={"width": width, "height": height},
        )
    return image_format, width, height


def photo_reencode(photo: IO[bytes], *, name: str = "") -> ContentFile:
    """The photo checked, decoded once (first frame), turned upright, shrunk and saved again without metadata."""
    photo_check(photo)
    longest = settings.PHOTO_STORED_MAX_SIDE
    try:
        with Image.open(photo) as image:
            upright = ImageOps.exif_transpose(image)  # decodes; EXIF orientation applied, so it can be dropped
            has_alpha = upright.mode in {"RGBA", "LA", "PA"} or "transparency" in upright.info
            pixels = upright.convert("RGBA" if has_alpha else "RGB")  # a fresh image: no info, no EXIF
            pixels.thumbnail((longest, longest), Image.Resampling.LANCZOS)
            encoded = BytesIO()
            if has_alpha:
                pixels.save(encoded, format="PNG", optimize=True)
            else:
                pixels.save(encoded, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    except _TOO_BIG_ERRORS:
        raise ApplicationError(PHOTO_TOO_MANY_PIXELS.format(
            width=settings.PHOTO_MAX_WIDTH, height=settings.PHOTO_MAX_HEIGHT, actual="larger")) from None
    except _UNREADABLE_ERRORS:
        raise ApplicationError(PHOTO_UNREADABLE) from None
    finally:
        photo.seek(0)
    stem = Path(name or getattr(photo, "name", "") or "photo").stem[:80] or "photo"
    return ContentFile(encoded.getvalue(), name=f"{stem}.{'png' if has_alpha else 'jpg'}")
