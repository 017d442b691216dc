import numpy as np
import pytest

import recommender.baselines  # noqa: F401  (registers the baselines even before recommender.registry lists them)
from recommender.base import Query
from recommender.baselines import (
    UNKNOWN_SCORE,
    ContentKnn,
    Cooccurrence,
    CooccurrenceConfig,
    Popularity,
    PopularityConfig,
    SessionKnn,
    SknnConfig,
)
from recommender.data import ACTION_CODE, Dataset, EventLog, ItemTable
from recommender.registry import create_recommender, load_recommender, registered_names
from recommender.sequences import DAY

BASELINES = ("popularity", "cooccurrence", "sknn", "content")
VIEW = ACTION_CODE["item_view"]
IMPRESSION = ACTION_CODE["impression"]


def make_dataset(sessions: list[list[int]], gap: float = 60.0, text_vectors: bool = True) -> Dataset:
    """One user per session, sessions one after another, events `gap` seconds apart."""
    user, session, item, ts = [], [], [], []
    t = 0.0
    for s, items in enumerate(sessions):
        for i in items:
            user.append(s)
            session.append(s)
            item.append(i)
            ts.append(t)
            t += gap
    events = EventLog(
        user=np.array(user, dtype=np.int64),
        session=np.array(session, dtype=np.int64),
        item=np.array(item, dtype=np.int64),
        action=np.full(len(item), VIEW, dtype=np.int8),
        timestamp=np.array(ts),
    )
    ids = np.unique(item)
    table = ItemTable.ids_only(ids)
    if text_vectors:
        # Items 1-4 point one way, 5-8 another: content kNN should keep to the history's side.
        vectors = np.array([[1.0, 0.1 * i, 0.0] if i <= 4 else [0.0, 0.1 * i, 1.0] for i in ids], dtype=np.float32)
        table.text_vector = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return Dataset(events=events, items=table, name="tiny")


SESSIONS = [[1, 2, 3], [1, 2, 4], [2, 3], [5, 6], [1, 2], [5, 6, 7], [3, 1, 2], [8, 5]]
ALL_ITEMS = np.arange(1, 9)


def ranking(model, query: Query, candidates=ALL_ITEMS) -> list[int]:
    return model.recommend(query, candidates, k=len(candidates))


def test_all_four_baselines_are_registered():
    assert set(BASELINES) <= set(registered_names(kind="baseline"))


def test_popularity_orders_by_recent_counts():
    # item 9 was popular long ago, item 2 is popular in the last day
    old = make_dataset([[9, 9, 9, 9]])
    new = make_dataset([[2, 2], [3]])
    events = EventLog(
        user=np.r_[old.events.user, new.events.user + 10],
        session=np.r_[old.events.session, new.events.session + 10],
        item=np.r_[old.events.item, new.events.item],
        action=np.r_[old.events.action, new.events.action],
        timestamp=np.r_[old.events.timestamp, new.events.timestamp + 40 * DAY],
    )
    data = Dataset(events=events, items=ItemTable.ids_only(np.array([2, 3, 9])))
    recent = Popularity(PopularityConfig(window_days=30))
    recent.fit(data)
    assert ranking(recent, Query(), np.array([9, 3, 2])) == [2, 3, 9]
    all_time = Popularity(PopularityConfig(window_days=None))
    all_time.fit(data)
    assert ranking(all_time, Query(), np.array([9, 3, 2])) == [9, 2, 3]
    decayed = Popularity(PopularityConfig(window_days=None, half_life_days=1.0))
    decayed.fit(data)
    assert ranking(decayed, Query(), np.array([9, 3, 2])) == [2, 3, 9]


def test_popularity_ignores_impressions():
    data = make_dataset([[1, 2, 2]])
    data.events.action[:] = [VIEW, IMPRESSION, IMPRESSION]
    model = Popularity()
    model.fit(data)
    assert ranking(model, Query(), np.array([2, 1])) == [1, 2]


def test_cooccurrence_scores_items_that_follow_the_history():
    model = Cooccurrence(CooccurrenceConfig(include_repeats=False, history_decay=0.2))
    model.fit(make_dataset(SESSIONS))
    assert ranking(model, Query(history=[1]))[0] == 2
    assert ranking(model, Query(history=[5]))[0] == 6
    # the newest history item weighs most
    assert ranking(model, Query(history=[1, 5]))[0] == 6


def test_cooccurrence_matches_hand_computed_scores():
    # pairs within 10 steps, weight 1 / distance; history [1, 5] weighs item 5 by 1 and item 1 by 0.2
    model = Cooccurrence(CooccurrenceConfig(include_repeats=False, history_decay=0.2))
    model.fit(make_dataset(SESSIONS))
    scores = model.score(Query(history=[1, 5]), np.array([2, 3, 4, 6, 7, 8]))
    # 1->2 four times at distance 1; 1->3 and 1->4 once at distance 2; 5->6 twice; 5->7 once at distance 2
    expected = [0.2 * 4, 0.2 * 0.5, 0.2 * 0.5, 2.0, 0.5, 0.0]
    np.testing.assert_allclose(scores, expected, atol=1e-6)


def test_cooccurrence_undirected_counts_both_orders():
    model = Cooccurrence(CooccurrenceConfig(directed=False, window=None, distance_weight=False, history_decay=1.0))
    model.fit(make_dataset([[1, 2], [3, 1]]))
    scores = model.score(Query(history=[1]), np.array([2, 3, 4]))
    assert scores[0] == pytest.approx(scores[1], abs=1e-6)  # one pair each way
    assert scores[0] > scores[2]


def test_sknn_votes_from_similar_sessions():
    model = SessionKnn(SknnConfig(k=3, sample_size=10))
    model.fit(make_dataset(SESSIONS))
    top = ranking(model, Query(history=[5]))
    assert set(top[:3]) == {5, 6, 7} or set(top[:3]) == {5, 6, 8}
    assert ranking(model, Query(history=[1, 2]))[:2] == [2, 1]


def test_sknn_matches_a_hand_computed_vote():
    # history [1, 2]: weights 1/2 (item 1) and 1 (item 2), divided by the 2 distinct items.
    model = SessionKnn(SknnConfig(k=10, sample_size=10))
    model.fit(make_dataset([[1, 3], [2, 4]]))
    scores = model.item_scores(Query(history=[1, 2]))
    index = {int(i): n for n, i in enumerate(model.item_ids)}
    # session [1, 3]: similarity 0.25, newest shared item is 2 steps back -> vote 0.125
    # session [2, 4]: similarity 0.5, shared item is the newest -> vote 0.5
    assert scores[index[3]] == pytest.approx(0.125)
    assert scores[index[4]] == pytest.approx(0.5)
    assert scores[index[1]] == pytest.approx(0.125)


def test_content_follows_the_text_vectors():
    model = ContentKnn()
    model.fit(make_dataset(SESSIONS))
    top = ranking(model, Query(history=[6, 7]))
    assert set(top[:4]) == {5, 6, 7, 8}
    top = ranking(model, Query(history=[1]))
    assert set(top[:4]) == {1, 2, 3, 4}


def test_content_without_text_is_popularity():
    data = make_dataset(SESSIONS, text_vectors=False)
    content, popularity = ContentKnn(), Popularity()
    content.fit(data)
    popularity.fit(data)
    assert ranking(content, Query(history=[6])) == ranking(popularity, Query())


@pytest.mark.parametrize("name", BASELINES)
def test_empty_or_unknown_history_falls_back_to_popularity(name):
    data = make_dataset(SESSIONS)
    model = create_recommender(name)
    model.fit(data)
    popularity = Popularity()
    popularity.fit(data)
    expected = ranking(popularity, Query())
    assert ranking(model, Query()) == expected
    assert ranking(model, Query(history=[404])) == expected


@pytest.mark.parametrize("name", BASELINES)
def test_unknown_candidates_score_below_known_ones(name):
    model = create_recommender(name)
    model.fit(make_dataset(SESSIONS))
    scores = model.score(Query(history=[1, 2]), np.array([404, 1, 7, -5]))
    assert scores[0] == UNKNOWN_SCORE and scores[3] == UNKNOWN_SCORE
    assert scores[1] > UNKNOWN_SCORE and scores[2] > UNKNOWN_SCORE


@pytest.mark.parametrize("name", BASELINES)
def test_score_batch_equals_score(name):
    model = create_recommender(name)
    model.fit(make_dataset(SESSIONS))
    queries = [Query(history=[1, 2]), Query(), Query(history=[5], current_item=7), Query(history=[404, 3])]
    candidates = np.array([3, 404, 1, 2, 5, 6, 7, 8])
    batch = model.score_batch(queries, candidates)
    single = np.stack([model.score(q, candidates) for q in queries])
    # float32 text vectors: a batch goes through BLAS's matrix-matrix kernel, one query through matrix-vector, and
    # which rounds differently depends on the CPU (seen: 6e-8 apart on an AVX2-only machine)
    np.testing.assert_allclose(batch, single, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", BASELINES)
def test_save_and_load_give_identical_scores(name, tmp_path):
    data = make_dataset(SESSIONS)
    model = create_recommender(name)
    model.fit(data)
    path = model.save(tmp_path / f"{name}.pt")

    loaded = load_recommender(path)

    assert type(loaded) is type(model) and loaded.name == name
    assert loaded.config == model.config
    assert loaded.data_window == model.data_window
    candidates = np.array([1, 2, 3, 4, 5, 6, 7, 8, 404])
    for query in (Query(history=[1, 2]), Query(history=[5, 6]), Query()):
        np.testing.assert_array_equal(loaded.score(query, candidates), model.score(query, candidates))
    # the history actually changes the scores (except for popularity), so the comparison above means something
    if name != "popularity":
        assert not np.array_equal(model.score(Query(history=[1, 2]), candidates), model.score(Query(), candidates))
