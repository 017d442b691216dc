import pytest

from marketplace.errors import ApplicationError
from marketplace.models import Event, EventAction
from marketplace.services.activity import cart_set, like_set, offer_make
from marketplace.services.events import EventInput, events_record
from marketplace.services.listings import listing_buy
from tests.factories import ListingFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_events_record_writes_a_batch_with_impression_context():
    user = UserFactory()
    listings = [ListingFactory() for _ in range(3)]
    batch = [
        EventInput(action=EventAction.IMPRESSION, listing_id=x.pk, page="home", surface="home_for_you",
                   position=i, recommender="popularity", request_id="req-1")
        for i, x in enumerate(listings)
    ] + [EventInput(action=EventAction.SEARCH, query="denim jacket", page="search")]
    created = events_record(user=user, session_id="s1", events=batch)
    assert len(created) == 4
    stored = Event.objects.filter(request_id="req-1").order_by("position")
    assert [e.position for e in stored] == [0, 1, 2]
    assert Event.objects.get(action=EventAction.SEARCH).query == "denim jacket"


@pytest.mark.parametrize(
    "bad",
    [
        EventInput(action="teleport", listing_id=None),
        EventInput(action=EventAction.ITEM_VIEW, listing_id=None),
        EventInput(action=EventAction.ITEM_VIEW, listing_id=10**9),
        EventInput(action=EventAction.ITEM_VIEW, listing_id=1, page="moon"),
    ],
)
def test_a_bad_event_rejects_the_whole_batch(bad):
    listing = ListingFactory()
    good = EventInput(action=EventAction.ITEM_VIEW, listing_id=listing.pk)
    with pytest.raises(ApplicationError):
        events_record(user=None, session_id="s", events=[good, bad])
    assert not Event.objects.exists()


def test_like_cart_offer_record_merrec_events_once():
    listing = ListingFactory()
    buyer = UserFactory()
    assert like_set(user=buyer, listing_id=listing.pk, liked=True) is True
    assert like_set(user=buyer, listing_id=listing.pk, liked=True) is True  # idempotent
    cart_set(user=buyer, listing_id=listing.pk, in_cart=True)
    offer_make(buyer=buyer, listing_id=listing.pk, amount="20")
    actions = sorted(Event.objects.filter(user=buyer).values_list("action", flat=True))
    assert actions == sorted([EventAction.ITEM_LIKE, EventAction.ITEM_ADD_TO_CART_TAP, EventAction.OFFER_MAKE])


def test_sold_listing_cannot_be_liked_carted_or_offered():
    listing = ListingFactory()
    listing_buy(listing_id=listing.pk, buyer=UserFactory())
    other = UserFactory()
    for action in (
        lambda: like_set(user=other, listing_id=listing.pk, liked=True),
        lambda: cart_set(user=other, listing_id=listing.pk, in_cart=True),
        lambda: offer_make(buyer=other, listing_id=listing.pk, amount="5"),
    ):
        with pytest.raises(ApplicationError):
            action()


@pytest.mark.parametrize("amount", ["0", "-3", "abc"])
def test_offer_amount_must_be_positive(amount):
    listing = ListingFactory()
    with pytest.raises(ApplicationError):
        offer_make(buyer=UserFactory(), listing_id=listing.pk, amount=amount)
