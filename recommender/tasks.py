"""Background entry points of the recommender: near-real-time user vectors and item vectors of served models."""

from __future__ import annotations

from celery import shared_task

from recommender import serving


@shared_task(acks_late=True)
def user_vectors_refresh(user_id: int) -> dict[str, int]:
    """Recompute one user's vectors after an interest event (coalesced: one pending per user)."""
    return serving.user_vectors_refresh(user_id=user_id)


@shared_task(acks_late=True)
def slate_refresh(key: str) -> int:
    """Recompute a precomputed slate (a viewer's homepage after their events, a listing's or a unit's page)."""
    from recommender.surfaces.refresh import slate_refresh as refresh

    return refresh(key)


@shared_task(acks_late=True)
def listing_vectors_store(listing_id: int) -> dict[str, int]:
    """A new or edited listing gets its item vector in every served model's space at once, then its page's rows."""
    from recommender.surfaces.refresh import slate_refresh as refresh

    stored = {name: serving.item_vectors_store(name=name, listing_ids=[listing_id])
              for name in serving.VECTOR_COLUMNS}
    refresh(f"item:{listing_id}")
    return stored


@shared_task(acks_late=True, outbox_lease=60 * 60)  # minutes for a large catalogue: not re-sent while it runs
def item_vectors_backfill(name: str) -> int:
    """All listings' vectors for a newly activated model version."""
    return serving.item_vectors_store(name=name)


# Training stops by epochs (early stopping); the trainer's wall-clock cap (6 h, recommender.nets.training) is a
# safety net, and the task outlives it.
TRAIN_TIME_LIMIT_SECONDS = 6 * 3600 + 15 * 60


@shared_task(acks_late=True, time_limit=TRAIN_TIME_LIMIT_SECONDS)
def model_train(name: str) -> int:
    """Retrain a model on the database's events (the gpu queue); returns the new version's id."""
    from recommender.services import model_train as train

    return train(name=name).version.pk


@shared_task(ignore_result=True)
def shared_lists_refresh() -> dict[str, int]:
    """Beat: recompute the lists every viewer shares ahead of their expiry, so a request only reads them."""
    from recommender import unit_ranking
    from recommender.shared_lists import shared_list_refresh
    from recommender.surfaces.candidates import POPULAR_LISTINGS
    from recommender.surfaces.compute import POPULAR_UNIT_CARDS

    # in this order: the unit cards are those of the popular units just computed
    lists = (POPULAR_LISTINGS, unit_ranking.POPULAR_UNITS_WEEK, unit_ranking.POPULAR_UNITS, POPULAR_UNIT_CARDS)
    return {shared.name: len(shared_list_refresh(shared)) for shared in lists}
