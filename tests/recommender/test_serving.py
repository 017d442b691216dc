"""A trained PWPRec served end to end: item vectors in pgvector, near-real-time user vectors, homepage rows."""

from datetime import timedelta

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.models import Event, EventAction, Listing
from marketplace.services.events import event_record
from marketplace.services.listings import listing_buy
from recommender.models import UserVectors
from recommender.serving.loading import served_models_forget, user_vectors_get
from tests.factories import ListingFactory, UserFactory
from tests.recommender.served import listings_with_text_vectors, pwprec_trained_and_activated

pytestmark = pytest.mark.django_db(transaction=True)

TINY = {"d": 64, "n_layers": 1, "n_heads": 2, "epochs": 2, "n_interests": 2, "interest_hidden": 32,
        "batch_size": 32, "home_batch_size": 32}


@pytest.fixture
def served_pwprec(tmp_path, settings):
    """A tiny PWPRec trained on a few sessions of the test database, activated like `train` does."""
    settings.RECOMMENDER_ARTIFACTS_DIR = tmp_path
    listings = listings_with_text_vectors(40)
    start = timezone.now() - timedelta(days=3)
    users = [UserFactory() for _ in range(12)]
    rows = []
    for u, user in enumerate(users):
        for step in range(8):
            at = start + timedelta(minutes=u * 10 + step)
            rows.append(Event(user=user, session_id=f"s{u}", listing=listings[(u * 3 + step) % 40],
                              action=EventAction.ITEM_VIEW, page="vip", created_at=at))
    Event.objects.bulk_create(rows)
    pwprec_trained_and_activated(tmp_path, TINY)
    yield listings, users
    served_models_forget()


def test_activation_fills_item_vectors_and_events_refresh_user_vectors(served_pwprec, client):
    listings, users = served_pwprec
    assert Listing.objects.filter(pwprec_vector__isnull=False).count() == len(listings)
    viewer = users[0]
    # when the viewer clicks, the near-real-time task stores new vectors (Postgres, with a Redis copy)
    event_record(user=viewer, session_id="live", listing_id=listings[30].pk, action=EventAction.ITEM_VIEW)
    stored = UserVectors.objects.get(user=viewer, space="pwprec")
    n_vectors, dim = np.asarray(stored.vectors).shape
    assert 1 <= n_vectors <= TINY["n_interests"] and dim == 64
    assert stored.events_seen == Event.objects.filter(user=viewer).latest("pk").pk
    assert user_vectors_get(user_id=viewer.pk, space="pwprec").shape == (n_vectors, 64)
    # and the homepage serves PWPRec rows, without sold or own listings
    listing_buy(listing_id=listings[5].pk, buyer=users[1])
    own = ListingFactory(seller=viewer)
    client.force_login(viewer)
    payload = client.get(reverse("api-home"), {"k": 10}).json()
    pwprec_rows = [row for row in payload["rows"] if row["recommender"] == "pwprec"]
    assert pwprec_rows and all(row["label"] for row in pwprec_rows)
    shown = {item["id"] for row in payload["rows"] for item in row["items"]}
    assert listings[5].pk not in shown and own.pk not in shown


def test_new_listing_gets_a_vector_at_once(served_pwprec):
    from marketplace.services.listings import listing_create
    from tests.factories import category_path

    listing = listing_create(seller=UserFactory(), title="Brand new lamp", price=10, category=category_path()[2])
    listing.refresh_from_db()
    assert listing.pwprec_vector is not None


def test_a_viewer_without_vectors_gets_them_from_the_first_homepage(served_pwprec, client):
    listings, users = served_pwprec
    viewer = users[2]  # has history from before the activation, no stored vectors
    assert not UserVectors.objects.filter(user=viewer).exists()
    client.force_login(viewer)
    first = client.get(reverse("api-home"), {"k": 10}).json()
    # the missing slate asked for the viewer's refresh (vectors, then the slate), which eager tasks ran at once
    assert UserVectors.objects.filter(user=viewer, space="pwprec").exists()
    assert any(row["recommender"] == "pwprec" for row in first["rows"])
    second = client.get(reverse("api-home"), {"k": 10}).json()
    assert [row["items"] for row in second["rows"]] == [row["items"] for row in first["rows"]]  # read, not redone


def test_during_a_backfill_user_vectors_meet_only_item_vectors_of_their_own_version(served_pwprec):
    # given: a newer version's backfill half done: half the listings still hold the previous version's vectors
    from recommender.serving.loading import served_model
    from recommender.surfaces.refresh import viewer_slates_refresh
    from recommender.surfaces.store import slate_get

    listings, users = served_pwprec
    version = served_model("pwprec")[0]
    assert set(Listing.objects.values_list("pwprec_vector_version", flat=True).distinct()) == {version}
    stale = [x.pk for x in listings[::2]]
    Listing.objects.filter(pk__in=stale).update(pwprec_vector_version=version - 1)
    viewer = users[3]
    # when the viewer's slates are computed
    viewer_slates_refresh(user_id=viewer.pk)
    # then the PWPRec rows hold only listings whose vectors are of the serving version
    rows = [row for row in slate_get(f"home:{viewer.pk}").rows if row.recommender == "pwprec"]
    assert rows and all(row.ids for row in rows)
    assert not {i for row in rows for i in row.ids} & set(stale)
