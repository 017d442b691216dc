"""Synthetic event logs of experiments: impressions as serving would log them, and clicks at chosen rates."""

from __future__ import annotations

import random
import uuid

from django.utils import timezone

from experiments.models import Experiment
from experiments.selectors import arm_for, interleave_for
from marketplace.models import Event, EventAction, Listing, Page
from marketplace.viewers import session_id_for


def _event(viewer: str, listing: Listing, action: str, *, label: str, request_id: str, position: int) -> Event:
    return Event(session_id=viewer, listing=listing, action=action, page=Page.HOME, surface="home_for_you",
                 position=position, recommender=label, request_id=request_id, created_at=timezone.now())


def log_ab(experiment: Experiment, listings: list[Listing], *, viewers: int, click_rates: dict[str, float],
           seed: int, requests: int = 3, per_request: int = 5) -> None:
    """Anonymous viewers, each shown `requests` rows from their arm, clicking each listing at their arm's rate."""
    rng = random.Random(seed)
    events = []
    for v in range(viewers):
        viewer = session_id_for(f"{experiment.name}-viewer-{v}")
        arm = arm_for(experiment, viewer)
        label = arm.label(experiment.name)
        for _ in range(requests):
            request_id = uuid.UUID(int=rng.getrandbits(128)).hex
            for position, listing in enumerate(rng.sample(listings, per_request)):
                events.append(_event(viewer, listing, EventAction.IMPRESSION, label=label, request_id=request_id,
                                     position=position))
                if rng.random() < click_rates[arm.name]:
                    events.append(_event(viewer, listing, EventAction.ITEM_VIEW, label=label,
                                         request_id=request_id, position=position))
    Event.objects.bulk_create(events)


def log_interleaved(experiment: Experiment, listings: list[Listing], *, viewers: int, click_rates: dict[str, float],
                    seed: int, requests: int = 4, k: int = 6) -> None:
    """Each response a team draft of two random rankings; a listing is clicked at its team's rate."""
    rng = random.Random(seed)
    names = {arm.label(experiment.name): arm.name for arm in experiment.arm_list}
    events = []
    for v in range(viewers):
        viewer = session_id_for(f"{experiment.name}-viewer-{v}")
        for _ in range(requests):
            request_id = uuid.UUID(int=rng.getrandbits(128)).hex
            a_ids = [listing.pk for listing in rng.sample(listings, 2 * k)]
            b_ids = [listing.pk for listing in rng.sample(listings, 2 * k)]
            ids, labels = interleave_for(experiment, viewer_key=viewer, request_id=request_id, a_ids=a_ids,
                                         b_ids=b_ids, k=k)
            by_id = {listing.pk: listing for listing in listings}
            for position, (listing_id, label) in enumerate(zip(ids, labels, strict=True)):
                events.append(_event(viewer, by_id[listing_id], EventAction.IMPRESSION, label=label,
                                     request_id=request_id, position=position))
                if rng.random() < click_rates[names[label]]:
                    events.append(_event(viewer, by_id[listing_id], EventAction.ITEM_VIEW, label=label,
                                         request_id=request_id, position=position))
    Event.objects.bulk_create(events)
