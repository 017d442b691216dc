"""Simulated shoppers (`demo.traffic`): in-process on factory data, bounded in sessions and time, reproducible
shoppers for a seed, loopback-only over HTTP, sticky arms under an A/B experiment, and a clean removal."""

import random
import time

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from demo.traffic.clients import BASE_URL_NOT_LOOPBACK, base_url_check
from demo.traffic.run import SIM_PREFIX, traffic_delete, traffic_simulate
from demo.traffic.shoppers import Catalogue, click_choice, reluctance_draw, shopper_tastes_draw
from experiments.selectors import running_experiments_forget
from experiments.services import experiment_create, experiment_start
from marketplace.errors import ApplicationError
from marketplace.models import Event, EventAction, Listing, ListingStatus, Order, Page
from marketplace.services.events import EventInput, events_record
from tests.factories import BrandFactory, UserFactory, category_path, listing_with_text_vector

pytestmark = pytest.mark.django_db(transaction=True)  # the shoppers' refreshes run at commit (eager tasks)


@pytest.fixture
def shop():
    rng = np.random.default_rng(3)
    paths = [category_path("Women", "Tops", "T-Shirts"), category_path("Women", "Tops", "Blouses"),
             category_path("Men", "Shoes", "Sneakers")]
    brands = [BrandFactory(name=f"Brand {i}") for i in range(3)]
    listings = []
    for i in range(45):
        c0, c1, c2 = paths[i % 3]
        listings.append(listing_with_text_vector(rng, c0=c0, c1=c1, c2=c2, brand=brands[i % 3],
                                                 price=10 + (i * 7) % 50))
    people = [UserFactory() for _ in range(4)]
    for n, person in enumerate(people):  # a little history, so a popular row exists
        events_record(user=person, session_id=f"p{n}", events=[
            EventInput(action=EventAction.ITEM_VIEW, listing_id=listings[(n * 4 + j) % 45].pk, page=Page.VIP)
            for j in range(6)])
    return listings


def test_a_click_spread_makes_shoppers_differ_in_how_often_they_click_and_nothing_else(shop):
    catalogue = Catalogue(seed=5).load()
    assert [reluctance_draw(seed=5, index=i, spread=0.0) for i in range(20)] == [0.0] * 20
    spread = [reluctance_draw(seed=5, index=i, spread=1.5) for i in range(200)]
    assert spread == [reluctance_draw(seed=5, index=i, spread=1.5) for i in range(200)]  # reproducible
    assert 1.2 < float(np.std(spread)) < 1.8
    # a reluctant shopper clicks a row less often than the same tastes with the simulator's weight
    shopper = shopper_tastes_draw(catalogue, random.Random(5), index=0, username="x", user_id=1)
    row = [listing.pk for listing in shop[:6]]

    def clicks(reluctance: float) -> int:
        shopper.reluctance = reluctance
        rng = random.Random(0)
        return sum(click_choice(catalogue, shopper, row, rng) is not None for _ in range(2000))

    assert clicks(2.0) < clicks(0.0) < clicks(-2.0)


def test_shoppers_are_the_same_for_the_same_seed(shop):
    catalogue = Catalogue(seed=5).load()
    draw = [shopper_tastes_draw(catalogue, random.Random(5), index=0, username="x", user_id=1) for _ in range(2)]
    assert draw[0] == draw[1]
    other = shopper_tastes_draw(catalogue, random.Random(6), index=0, username="x", user_id=1)
    assert (other.leaf_weights, other.log_price_level) != (draw[0].leaf_weights, draw[0].log_price_level)


def test_shoppers_arrive_as_returning_users_who_browsed_their_interests(shop):
    # when: 3 new shoppers warm up (no homepage session yet)
    report = traffic_simulate(users=3, minutes=3.0, seed=12, rate=0, max_sessions=0, sell_rate=0, warm_up_views=2)
    # then: each looked at a category page of one of its interests and viewed listings there, logged like anyone's
    sim_events = Event.objects.filter(user__username__startswith=SIM_PREFIX)
    views = sim_events.filter(action=EventAction.ITEM_VIEW)
    assert report.sessions == 0 and views.count() == report.counts["warm_up_views"] > 0
    assert sim_events.filter(action=EventAction.IMPRESSION, page=Page.SEARCH).exists()
    assert not sim_events.filter(page=Page.HOME).exists()
    catalogue = Catalogue(seed=12).load()
    rng = random.Random(12)
    users = get_user_model().objects.filter(username__startswith=SIM_PREFIX).order_by("username")
    for index, user in enumerate(users):
        shopper = shopper_tastes_draw(catalogue, rng, index=index, username=user.username, user_id=user.pk)
        browsed = {catalogue.leaf_mid.get(interest, interest) for interest in shopper.spec.interests}
        viewed = views.filter(user=user)
        assert viewed.count() <= 2
        assert all(catalogue.of(listing_id).mid_id in browsed for listing_id in viewed.values_list("listing_id",
                                                                                                   flat=True))
    # and the same seed gives the same shoppers, who view the same listings
    first = sorted(views.values_list("user__username", "listing_id"))
    traffic_delete()
    traffic_simulate(users=3, minutes=3.0, seed=12, rate=0, max_sessions=0, sell_rate=0, warm_up_views=2)
    assert sorted(views.values_list("user__username", "listing_id")) == first
    # and a shopper with history is not warmed up again
    again = traffic_simulate(users=3, minutes=3.0, seed=12, rate=0, max_sessions=0, sell_rate=0, warm_up_views=2)
    assert again.counts["warm_up_views"] == 0


def test_in_process_traffic_browses_clicks_and_stops_at_its_bounds(shop):
    # when: 5 shoppers, at most 12 sessions (selling is left to the test below: a first listing loads the encoder)
    report = traffic_simulate(users=5, minutes=3.0, seed=7, rate=0, max_sessions=12, sell_rate=0)
    # then: it stopped at the session bound, having shown listings and had clicks logged through the real views
    assert report.sessions == 12 and report.counts["impressions"] > 0
    sim_events = Event.objects.filter(user__username__startswith=SIM_PREFIX)
    assert sim_events.filter(action=EventAction.IMPRESSION).exists()
    assert sim_events.filter(action=EventAction.ITEM_VIEW).exclude(request_id="").count() == report.counts["clicks"]
    # and a time bound holds without a session bound
    started = time.monotonic()
    bounded = traffic_simulate(users=2, minutes=0.03, seed=7, rate=5)
    assert time.monotonic() - started < 0.03 * 60 + 5 and bounded.requests <= 0.03 * 60 * 5 + 1


def test_under_an_ab_experiment_each_shopper_keeps_one_arm(shop):
    experiment = experiment_create(name="simab", surface="home_rows", arms=[
        {"name": "control", "recommender": "popularity"}, {"name": "treatment", "recommender": "content"}])
    experiment_start(experiment_id=experiment.pk)
    running_experiments_forget()
    traffic_simulate(users=6, minutes=3.0, seed=8, rate=0, max_sessions=18, sell_rate=0)
    labels: dict[int, set[str]] = {}
    for user_id, label in Event.objects.filter(user__username__startswith=SIM_PREFIX, action=EventAction.IMPRESSION,
                                               page=Page.HOME, recommender__startswith="simab:").values_list(
            "user_id", "recommender"):
        labels.setdefault(user_id, set()).add(label)
    assert labels and all(len(seen) == 1 for seen in labels.values()), labels


def test_delete_removes_the_shoppers_and_puts_what_they_bought_back_on_sale(shop):
    report = traffic_simulate(users=3, minutes=5.0, seed=9, rate=0, max_sessions=2, sell_rate=1.0)
    assert Listing.objects.filter(seller__username__startswith=SIM_PREFIX).count() == report.counts["listings"] == 2
    bought = shop[0]
    from marketplace.services.listings import listing_buy

    listing_buy(listing_id=bought.pk, buyer=get_user_model().objects.filter(username__startswith=SIM_PREFIX).first())
    removed = traffic_delete()
    assert removed["users"] == 3 and removed["relisted"] >= 1
    assert not get_user_model().objects.filter(username__startswith=SIM_PREFIX).exists()
    assert not Order.objects.filter(listing=bought).exists()
    assert Listing.objects.get(pk=bought.pk).status == ListingStatus.ACTIVE
    assert not Listing.objects.filter(title__endswith="(simulated)").exists()


def test_base_url_must_be_loopback():
    assert base_url_check("http://127.0.0.1:8000/") == "http://127.0.0.1:8000"
    assert base_url_check("http://localhost:8000") == "http://localhost:8000"
    with pytest.raises(ApplicationError) as refused:
        base_url_check("http://10.1.2.3:8000")
    assert refused.value.message == BASE_URL_NOT_LOOPBACK.format(host="10.1.2.3", addresses="10.1.2.3")


def test_the_command_refuses_a_remote_base_url_with_a_clear_error(shop):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="must point at this machine"):
        call_command("simulate_traffic", "--users", "1", "--minutes", "0.01", "--base-url", "http://10.1.2.3:80",
                     "--no-progress")


def test_http_traffic_against_a_loopback_server(shop, live_server):
    # when: two shoppers reach a real server over HTTP (logged in through the login form)
    report = traffic_simulate(users=2, minutes=2.0, seed=11, rate=0, max_sessions=3, sell_rate=0,
                              base_url=live_server.url)
    # then: their requests were served and their impressions logged under their own accounts
    assert report.sessions == 3 and report.counts["impressions"] > 0
    assert Event.objects.filter(user__username__startswith=SIM_PREFIX, action=EventAction.IMPRESSION).exists()
