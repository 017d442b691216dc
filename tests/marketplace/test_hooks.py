"""The domain announces its changes through `marketplace.hooks`; the apps above it act on them from their receivers
(connected in `AppConfig.ready`), so the domain never imports them."""

import ast
from pathlib import Path

import pytest
from django.db import transaction

from marketplace import hooks
from marketplace.models import EventAction
from marketplace.services.events import EventInput, events_record
from marketplace.services.listings import listing_create, listing_update
from outbox.models import OutboxMessage
from tests.factories import ListingFactory, UserFactory, category_path

pytestmark = pytest.mark.django_db

CONSUMERS = ("interest_units", "experiments", "recommender", "storefront", "demo", "benchmarks", "config")


@pytest.fixture
def announced():
    """What each hook sent, in order."""
    sent: list[tuple[str, dict]] = []

    def record(name):
        return lambda sender, signal, **payload: sent.append((name, payload))

    receivers = {hook: record(name) for name, hook in (("listing_changed", hooks.listing_changed),
                                                        ("events_recorded", hooks.events_recorded))}
    for hook, receiver in receivers.items():
        hook.connect(receiver, weak=False)
    yield sent
    for hook, receiver in receivers.items():
        hook.disconnect(receiver)


def test_a_created_or_edited_listing_is_announced(announced):
    seller = UserFactory()
    listing = listing_create(seller=seller, title="Levi's 501 jeans", price=30, category=category_path()[2])
    listing_update(listing=listing, editor=seller, price="25")
    assert announced == [("listing_changed", {"listing_id": listing.pk})] * 2


def test_a_listing_created_without_indexing_is_not_announced(announced):
    listing_create(seller=UserFactory(), title="Old import", price=5, category=None, index=False)
    assert announced == []


def test_recorded_events_are_announced_with_their_rows_and_viewer(announced):
    user = UserFactory()
    listing = ListingFactory()
    created = events_record(user=user, session_id="s1",
                            events=[EventInput(action=EventAction.ITEM_VIEW, listing_id=listing.pk)])
    assert announced == [("events_recorded", {"user_id": user.pk, "events": created})]


def test_the_consumers_queue_their_work_in_the_same_transaction_in_app_order():
    # when: a listing and an interest event are written in one transaction that then fails
    with pytest.raises(RuntimeError), transaction.atomic():
        user = UserFactory()
        listing = listing_create(seller=UserFactory(), title="Nike Air Max 90", price=80, category=category_path()[2])
        events_record(user=user, session_id="s1",
                      events=[EventInput(action=EventAction.ITEM_LIKE, listing_id=listing.pk)])
        # then: the interest units' work first, then the recommender's, written with the rows
        assert list(OutboxMessage.objects.order_by("pk").values_list("task", flat=True)) == [
            "interest_units.tasks.listing_index", "recommender.tasks.listing_vectors_store",
            "interest_units.tasks.unit_stats_apply_events", "recommender.tasks.slate_refresh"]
        raise RuntimeError("the request failed")
    # and they are rolled back with them
    assert not OutboxMessage.objects.exists()


def test_the_domain_imports_none_of_its_consumers():
    root = Path(__file__).resolve().parents[2] / "marketplace"
    upward = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            upward += [f"{path.relative_to(root.parent)}: {n}" for n in names if n.split(".")[0] in CONSUMERS]
    assert upward == []
