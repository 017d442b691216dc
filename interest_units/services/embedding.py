"""Text embeddings of listings: one listing on create / edit, or a batched, resumable backfill."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from interest_units.embeddings import listing_text, texts_embed
from jobs.models import JobKind
from jobs.services import job_progress, job_tracked
from marketplace.models import Listing

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (done, total)


def listings_embed(*, listing_ids: Iterable[int], batch_size: int | None = None) -> int:
    """Compute and store text embeddings; returns how many listings were embedded. Idempotent."""
    listings = list(
        Listing.objects.filter(pk__in=list(listing_ids)).select_related("brand", "c0", "c1", "c2").order_by("pk")
    )
    if not listings:
        return 0
    vectors = texts_embed([listing_text(listing) for listing in listings], batch_size=batch_size)
    for listing, vector in zip(listings, vectors, strict=True):
        listing.text_embedding = vector
    # Only the embedding column: a concurrent edit of the listing's other fields must not be overwritten.
    Listing.objects.bulk_update(listings, ["text_embedding"], batch_size=500)
    return len(listings)


def listing_embeddings_backfill(*, batch_size: int = 256, limit: int | None = None, everything: bool = False,
                                start_after: int = 0, progress: Progress | None = None) -> int:
    """Embed listings without an embedding (or `everything`), batch by batch in id order.

    Each batch commits on its own, so an interrupted run loses at most one batch and the next run resumes where
    it stopped (`everything` resumes from `start_after`). A second run over an embedded catalogue does nothing.
    Returns the number of listings embedded.
    """
    queryset = Listing.objects.all() if everything else Listing.objects.filter(text_embedding__isnull=True)
    total = queryset.filter(pk__gt=start_after).count()
    if limit is not None:
        total = min(total, limit)
    done, cursor = 0, start_after
    if not total:
        return 0
    with job_tracked(kind=JobKind.EMBEDDING, name="listing text", total=total) as job:  # on the status page
        while done < total:
            size = min(batch_size, total - done)
            ids = list(queryset.filter(pk__gt=cursor).order_by("pk").values_list("pk", flat=True)[:size])
            if not ids:
                break
            listings_embed(listing_ids=ids)
            done += len(ids)
            cursor = ids[-1]
            job_progress(job=job, done=done, total=total)
            if progress is not None:
                progress(done, total)
        log.info("embedded %d / %d listings (last id %d)", done, total, cursor)
    return done
