"""Image descriptors of listing photos, computed once per photo and encoder and kept in ListingImageFeature."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np
from PIL import Image, UnidentifiedImageError

from interest_units.image_features import image_describe
from interest_units.models import ListingImageFeature
from marketplace.models import Listing

log = logging.getLogger(__name__)


def listing_image_vectors(*, listings: Sequence[Listing], encoder_name: str,
                          progress: Callable[[int, int], None] | None = None) -> dict[int, np.ndarray]:
    """Descriptor of each listing's photo (listings without a readable photo are left out, with a log line)."""
    with_photo = [listing for listing in listings if listing.photo and listing.photo.name]
    stored = {
        f.listing_id: f
        for f in ListingImageFeature.objects.filter(listing_id__in=[x.pk for x in with_photo], encoder=encoder_name)
    }
    out: dict[int, np.ndarray] = {}
    fresh: list[ListingImageFeature] = []
    for n, listing in enumerate(with_photo, start=1):
        feature = stored.get(listing.pk)
        if feature is not None and feature.photo_name == listing.photo.name:
            out[listing.pk] = np.asarray(feature.vector, dtype=np.float32)
            continue
        try:
            with listing.photo.open("rb") as handle, Image.open(handle) as image:
                image.load()
                vector = image_describe(image, encoder_name)
        except (OSError, UnidentifiedImageError, ValueError, ArithmeticError,
                Image.DecompressionBombError, Image.DecompressionBombWarning) as error:  # over the photo limit
            log.warning("listing %s: photo %s unreadable (%s); no image unit", listing.pk, listing.photo.name, error)
            continue
        out[listing.pk] = vector
        fresh.append(ListingImageFeature(listing_id=listing.pk, encoder=encoder_name, photo_name=listing.photo.name,
                                         vector=[float(v) for v in vector]))
        if progress is not None and n % 500 == 0:
            progress(n, len(with_photo))
    if fresh:
        ListingImageFeature.objects.bulk_create(
            fresh, batch_size=1000, update_conflicts=True, unique_fields=["listing"],
            update_fields=["encoder", "photo_name", "vector", "computed_at"],
        )
    return out
