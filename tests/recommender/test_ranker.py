"""The ranking stage: deterministic LightGBM training, save / load, the base variant, and served re-ranking."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.models import Event, EventAction
from marketplace.services.listings import listing_buy
from recommender.base import Query
from recommender.data import ACTION_CODE, Dataset, EventLog, ItemTable
from recommender.evaluation.rerank import ranking_metrics
from recommender.nets.scid.model import FEATURE_NAMES as SCID_FEATURES
from recommender.ranking.features import (
    BASE_FEATURES,
    RELATIVE_BASE,
    RankingQueries,
    rank_in_query,
    ranking_queries,
    relative_to_max,
    view_names,
)
from recommender.ranking.ranker import TWO_TOWER_FEATURES, Ranker
from recommender.registry import create_recommender, load_recommender

VIEW, LIKE, BUY = ACTION_CODE["item_view"], ACTION_CODE["item_like"], ACTION_CODE["buy_comp"]
TINY = {
    "max_vip_queries": 150, "max_home_queries": 60, "per_source": 10, "epochs": 15, "min_data_in_leaf": 5,
    "patience": 5,
    "scid": {"hidden": 16, "product_dim": 8, "min_product_count": 1, "epochs": 1, "batch_size": 32},
    "two_tower": {"dim": 16, "item_blocks": 1, "layers": 1, "heads": 2, "ff_dim": 32, "max_history": 8,
                  "pretrain_samples": 400, "epochs": 1, "batch_size": 64},
}



def toy_dataset(seed: int = 0, n_items: int = 60, n_sessions: int = 120) -> Dataset:
    """Items in 4 topics; each session browses one topic, so the next item is predictable from the session."""
    rng = np.random.default_rng(seed)
    product = np.arange(n_items) % 12
    topic = product // 3
    text = np.eye(4)[topic] @ rng.normal(size=(4, 384)) + 0.5 * rng.normal(size=(n_items, 384))
    text = (text / np.linalg.norm(text, axis=1, keepdims=True)).astype(np.float32)
    items = ItemTable(
        item_id=np.arange(100, 100 + n_items, dtype=np.int64),
        category=np.stack([topic + 1, topic + 1, product + 1], axis=1).astype(np.int64),
        brand=(product + 1).astype(np.int64), product=(product + 1).astype(np.int64),
        condition=np.ones(n_items, dtype=np.int64),
        price=np.exp(2 + topic + 0.2 * rng.normal(size=n_items)).astype(np.float32),
        created_at=np.zeros(n_items), text_vector=text,
    )
    rows, t = [], 0.0
    for s in range(n_sessions):
        pool = np.flatnonzero(topic == s % 4)
        for item in rng.choice(pool, size=int(rng.integers(4, 9))):
            t += 10.0
            rows.append((s % 25, s, int(items.item_id[item]), VIEW if rng.random() > 0.2 else LIKE, t))
        t += 4000.0
    user, session, item, action, ts = (np.array(c) for c in zip(*rows, strict=True))
    events = EventLog(user=user.astype(np.int64), session=session.astype(np.int64), item=item.astype(np.int64),
                      action=action.astype(np.int8), timestamp=ts.astype(np.float64))
    return Dataset(events=events, items=items, name="toy")


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return toy_dataset()


@pytest.fixture(scope="module")
def ranker(dataset: Dataset) -> Ranker:
    model = create_recommender("ranker", TINY)
    model.fit(dataset)
    return model


def probe(dataset: Dataset) -> tuple[list[Query], list[np.ndarray]]:
    queries = ranking_queries(dataset.events, since=float(np.quantile(dataset.events.timestamp, 0.8)), max_vip=20,
                              max_home=10)
    return queries.queries, [dataset.items.item_id[:30].copy() for _ in queries.queries]


def relative_names(names: tuple[str, ...]) -> list[str]:
    return [f"{n}_rel" for n in names]


def test_ranker_uses_scid_and_two_tower_features_and_base_does_not(ranker: Ranker, dataset: Dataset) -> None:
    # SCID and the two-tower get the same per-query views (relative, rank) as the base's model scores
    views = {"relative": True, "rank": True}
    base = create_recommender("ranker_base", TINY)
    assert base.feature_groups() == list(BASE_FEATURES) + view_names(RELATIVE_BASE, **views)
    assert ranker.feature_names == (list(BASE_FEATURES) + view_names(RELATIVE_BASE, **views) + list(SCID_FEATURES)
                                    + view_names(SCID_FEATURES, **views) + list(TWO_TOWER_FEATURES)
                                    + view_names(TWO_TOWER_FEATURES, **views))
    assert create_recommender("ranker", {**TINY, "rank": False}).feature_groups() == (
        list(BASE_FEATURES) + relative_names(RELATIVE_BASE) + list(SCID_FEATURES) + relative_names(SCID_FEATURES)
        + list(TWO_TOWER_FEATURES) + relative_names(TWO_TOWER_FEATURES))
    assert ranker.booster.num_feature() == len(ranker.feature_names)
    assert len(ranker.booster.boosters) == 5  # the default bag
    queries, candidates = probe(dataset)
    features = ranker.features(queries[:3], candidates[:3])
    assert features.shape == (90, len(ranker.feature_names))
    first_scid = len(BASE_FEATURES) + len(view_names(RELATIVE_BASE, **views))
    assert np.isfinite(features[:, first_scid:]).all()  # SCID and the cosine exist for every candidate
    # the relative column: zero at each query's best candidate, never above it
    cosine, rel = (features[:, ranker.feature_names.index(n)].reshape(3, 30)
                   for n in ("two_tower_cosine", "two_tower_cosine_rel"))
    np.testing.assert_allclose(rel.max(axis=1), 0.0, atol=1e-6)
    np.testing.assert_allclose(cosine - cosine.max(axis=1)[:, None], rel, atol=1e-6)


def test_rank_views_are_per_query_and_the_same_at_serving(ranker: Ranker, dataset: Dataset) -> None:
    queries, candidates = probe(dataset)
    features = ranker.features(queries[:3], candidates[:3])
    assert features.shape == (90, len(ranker.feature_groups()))
    cosine, rank = (features[:, ranker.feature_names.index(n)].reshape(3, 30)
                    for n in ("two_tower_cosine", "two_tower_cosine_rank"))
    np.testing.assert_array_equal(rank[np.arange(3), cosine.argmax(axis=1)], 0)
    assert (rank <= 29).all() and (rank >= 0).all()
    # served with the incremental SCID state: the same ranks (float noise must not reorder equal scores)
    query = queries[0]
    served = ranker.features([dataclasses.replace(query)], [candidates[0]], incremental=True)
    np.testing.assert_allclose(served, features[:30], rtol=1e-5, atol=1e-5)


def test_relative_to_max_is_per_query_and_keeps_missing_values() -> None:
    values = np.array([[1.0, np.nan], [3.0, np.nan], [-1.0, 2.0], [0.5, np.nan], [2.0, 5.0]], dtype=np.float32)
    out = relative_to_max(values, np.array([2, 0, 3]))
    expected = np.array([[-2.0, np.nan], [0.0, np.nan], [-3.0, -3.0], [-1.5, np.nan], [0.0, 0.0]])
    np.testing.assert_allclose(out, expected)


def test_rank_in_query_is_per_query_shares_ties_and_keeps_missing_values() -> None:
    values = np.array([[1.0, np.nan], [3.0, 1.0], [-1.0, 2.0], [0.5, np.nan], [2.0, 2.0], [2.0, np.nan]],
                      dtype=np.float32)
    out = rank_in_query(values, np.array([2, 0, 4]))
    expected = np.array([[1, np.nan], [0, 0], [3, 0], [2, np.nan], [0, 0], [0, np.nan]])
    np.testing.assert_array_equal(out, expected)


def test_bagged_boosters_differ_and_their_mean_is_the_score(ranker: Ranker, dataset: Dataset) -> None:
    queries, candidates = probe(dataset)
    features = ranker.features(queries, candidates)
    each = [b.predict(features, num_threads=1) for b in ranker.booster.boosters]
    assert not np.array_equal(each[0], each[1])  # different seeds and query subsamples
    np.testing.assert_allclose(np.concatenate(ranker.score_lists(queries, candidates)), np.mean(each, axis=0))


def test_training_is_deterministic_under_a_seed(ranker: Ranker, dataset: Dataset) -> None:
    again = create_recommender("ranker", TINY)
    again.fit(dataset)
    queries, candidates = probe(dataset)
    first = np.concatenate(ranker.score_lists(queries, candidates))
    second = np.concatenate(again.score_lists(queries, candidates))
    assert np.array_equal(first, second)
    assert np.ptp(first) > 0  # a constant model would pass trivially
    other = create_recommender("ranker_base", {**TINY, "seed": 1, "feature_fraction": 0.5})
    other.fit(dataset)
    assert not np.array_equal(first, np.concatenate(other.score_lists(queries, candidates)))


def test_save_and_load_give_identical_outputs(tmp_path, ranker: Ranker, dataset: Dataset) -> None:
    path = ranker.save(tmp_path / "ranker.pt")
    loaded = load_recommender(path)
    assert loaded.name == "ranker" and loaded.feature_names == ranker.feature_names
    queries, candidates = probe(dataset)
    for query, cands in zip(queries[:5], candidates[:5], strict=True):
        np.testing.assert_array_equal(loaded.score(query, cands), ranker.score(query, cands))


def test_incremental_scid_at_serving_equals_the_batch_features(ranker: Ranker, dataset: Dataset) -> None:
    queries, candidates = probe(dataset)
    query = queries[0]
    batch = ranker.features([query], [candidates[0]])
    user = Query(user_id=query.user_id, history=query.history, history_actions=query.history_actions,
                 history_timestamps=query.history_timestamps, surface=query.surface,
                 current_item=query.current_item, timestamp=query.timestamp)
    ranker._scid_states.clear()
    ranker.features([user], [candidates[0]], incremental=True)  # fills the cache
    cached = ranker._scid_states[query.user_id][1]
    again = ranker.features([user], [candidates[0]], incremental=True)  # served from the cache
    assert ranker._scid_states[query.user_id][1].count == cached.count
    np.testing.assert_allclose(again, batch, rtol=1e-5, atol=1e-5)


def test_ranking_metrics_split_seen_and_not_seen() -> None:
    queries = RankingQueries(
        queries=[Query(surface="vip", history=[1]), Query(surface="home", history=[2])],
        target=np.array([1, 5]), labels=[{1: 1}, {5: 3, 6: 1}], seen=np.array([True, False]),
    )
    candidates = [np.array([3, 1, 4]), np.array([5, 6, 7])]
    scores = [np.array([3.0, 2.0, 1.0]), np.array([1.0, 2.0, 0.0])]
    metrics = ranking_metrics(queries, candidates, scores)
    assert metrics["mrr_seen"] == pytest.approx(0.5) and metrics["mrr_not_seen"] == pytest.approx(0.5)
    assert metrics["recall@1"] == 0.0 and metrics["recall@5"] == 1.0
    ideal = 7 + 1 / np.log2(3)
    assert metrics["ndcg@10_home"] == pytest.approx((1 + 7 / np.log2(3)) / ideal)


def test_rerank_protocol_ranks_the_same_candidates_for_every_model(ranker: Ranker, dataset: Dataset) -> None:
    from recommender.evaluation.protocols import evaluate_model
    from recommender.evaluation.split import time_split_dataset

    train, test, _ = time_split_dataset(dataset, test_fraction=0.3)
    content = create_recommender("content")
    content.fit(train)
    by_content = evaluate_model(content, train, test, protocol="rerank", max_sessions=30)
    by_ranker = evaluate_model(ranker, train, test, protocol="rerank", max_sessions=30)
    assert by_content["n_queries"] == by_ranker["n_queries"] > 0
    assert by_content["candidate_recall"] == by_ranker["candidate_recall"] > 0
    assert by_ranker["n_seen"] + by_ranker["n_not_seen"] == by_ranker["n_queries"]
    assert 0 < by_ranker["mrr"] <= 1 and by_ranker["recall@20"] <= by_ranker["candidate_recall"]


# -- serving ------------------------------------------------------------------------------------------------------
@pytest.fixture
def served_ranker(tmp_path, settings):
    """A tiny ranker trained on sessions of the test database and activated like `train` does."""
    from recommender.serving.loading import served_models_forget
    from tests.factories import ListingFactory, UserFactory
    from tests.recommender.served import trained_and_activated

    settings.RECOMMENDER_ARTIFACTS_DIR = tmp_path
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(4, 384))
    listings = [ListingFactory(title=f"Item {i}", created_at=timezone.now() - timedelta(days=10)) for i in range(48)]
    for i, listing in enumerate(listings):
        vector = centres[i % 4] + 0.5 * rng.normal(size=384)
        listing.text_embedding = (vector / np.linalg.norm(vector)).astype(np.float32)
        listing.save(update_fields=["text_embedding"])
    users = [UserFactory() for _ in range(12)]
    start = timezone.now() - timedelta(days=4)
    rows = []
    for s in range(60):
        topic = [x for i, x in enumerate(listings) if i % 4 == s % 4]
        for step, j in enumerate(rng.choice(len(topic), size=6)):
            rows.append(Event(user=users[s % 12], session_id=f"s{s}", listing=topic[j], action=EventAction.ITEM_VIEW,
                              page="vip", created_at=start + timedelta(minutes=s * 60 + step)))
    Event.objects.bulk_create(rows)
    trained_and_activated(tmp_path, "ranker", TINY)
    yield listings, users
    served_models_forget()


@pytest.mark.django_db(transaction=True)
def test_served_ranker_reranks_home_and_item_rows_without_sold_or_own_listings(served_ranker, client) -> None:
    from tests.factories import ListingFactory

    listings, users = served_ranker
    viewer = users[0]
    sold = listings[1]
    listing_buy(listing_id=sold.pk, buyer=users[1])
    own = ListingFactory(seller=viewer, title="Own item")
    own.text_embedding = listings[2].text_embedding  # as close to the viewer's interests as can be
    own.save(update_fields=["text_embedding"])
    client.force_login(viewer)

    home = client.get(reverse("api-home"), {"k": 6}).json()
    item = client.get(reverse("api-item", args=[listings[0].pk]), {"k": 6}).json()

    for payload, surfaces in ((home, {"home_for_you"}), (item, {"vip_similar", "vip_cooccurrence"})):
        ranked = [row for row in payload["rows"] if row["recommender"] == "ranker"]
        assert ranked and {row["surface"] for row in ranked} <= surfaces | {"home_next_up", "vip_for_you"}
        assert all(0 < len(row["items"]) <= 6 for row in ranked)
        shown = {x["id"] for row in payload["rows"] for x in row["items"]}
        assert sold.pk not in shown and own.pk not in shown
    # the ranker's order, not the retrieval order: the row equals the model's top 6 of the candidates it was given
    similar = next(row for row in item["rows"] if row["surface"] == "vip_similar")
    assert similar["recommender"] == "ranker"


def test_a_checkpoint_from_before_relative_features_and_bags_still_scores(dataset: Dataset) -> None:
    old = create_recommender("ranker_base", {**TINY, "relative": False, "rank": False, "bags": 1})
    old.fit(dataset)
    state = old.state()
    state["booster"] = state["booster"][0]  # the old format: one model string
    loaded = create_recommender("ranker_base", TINY)  # today's defaults: relative and rank features, 5 bags
    loaded.load_state(state)
    assert not loaded.config.relative and not loaded.config.rank and loaded.booster.num_feature() == len(BASE_FEATURES)
    queries, candidates = probe(dataset)
    np.testing.assert_array_equal(np.concatenate(loaded.score_lists(queries, candidates)),
                                  np.concatenate(old.score_lists(queries, candidates)))
