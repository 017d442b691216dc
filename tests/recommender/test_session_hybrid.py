"""The session hybrid: fits, saves, loads and scores identically on tiny data, and learns repeats that the
co-occurrence signal alone misses."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.base import Query
from recommender.data import ACTION_CODE, Dataset, EventLog, ItemTable
from recommender.registry import create_recommender, load_recommender

HUBS = np.arange(1, 6)  # items most sessions pass through
SUCCESSOR_OFFSET = 10  # hub h is usually followed by h + 10 in sessions without a repeat
POOL = np.arange(100, 300)  # items a session comes back to


def repeat_log(n_sessions: int = 600, seed: int = 0) -> Dataset:
    """Sessions, one after another in time: 60% are [x, hub, x] (the user goes back to the item it started on, x
    drawn from a pool of 200), 40% are [hub, hub + 10]. After [x, hub] co-occurrence points at hub + 10, a repeat
    model at x."""
    rng = np.random.default_rng(seed)
    sessions, items, times = [], [], []
    t = 1.4e9
    for s in range(n_sessions):
        hub = int(rng.choice(HUBS))
        if rng.random() < 0.6:
            x = int(rng.choice(POOL))
            clicks = [x, hub, x]
        else:
            clicks = [hub, hub + SUCCESSOR_OFFSET]
        for clicked in clicks:
            sessions.append(s)
            items.append(clicked)
            times.append(t)
            t += 60.0
        t += 600.0
    session = np.array(sessions, dtype=np.int64)
    item = np.array(items, dtype=np.int64)
    events = EventLog(user=session.copy(), session=session, item=item,
                      action=np.full(len(item), ACTION_CODE["item_view"], dtype=np.int8),
                      timestamp=np.array(times))
    return Dataset(events=events, items=ItemTable.ids_only(np.unique(item)), name="repeats")


TINY = {"per_source": 10, "min_data_in_leaf": 5, "epochs": 40, "patience": 10, "ranker_fraction": 0.3,
        "neural_epochs": 2}


@pytest.fixture(scope="module")
def log() -> Dataset:
    return repeat_log()


@pytest.fixture(scope="module")
def hybrid(log: Dataset):
    model = create_recommender("session_hybrid", TINY)
    model.fit(log)
    return model


def test_it_fits_saves_loads_and_scores_identically(hybrid, log, tmp_path):
    loaded = load_recommender(hybrid.save(tmp_path / "hybrid.pt"))

    assert loaded.config == hybrid.config
    assert loaded.gru is not None  # the neural signal travels with the checkpoint
    candidates = np.r_[log.items.item_id, 99_999]  # an unknown id too
    queries = [Query(history=[120, 2], history_timestamps=[1.5e9, 1.5e9 + 60], timestamp=1.5e9 + 60),
               Query(history=[3]), Query()]
    for query in queries:
        np.testing.assert_array_equal(hybrid.score(query, candidates), loaded.score(query, candidates))
    batch = hybrid.score_batch(queries, candidates)
    np.testing.assert_array_equal(batch, np.stack([hybrid.score(q, candidates) for q in queries]))
    assert (batch[:, -1] < batch[:, :-1].min()).all()  # the unknown item ranks last


def test_it_ranks_the_repeated_session_item_first_where_cooccurrence_does_not(hybrid, log):
    cooccurrence = create_recommender("cooccurrence")
    cooccurrence.fit(log)
    candidates = log.items.item_id
    t = float(log.events.timestamp.max()) + 3600
    seen = set(log.events.item.tolist())
    pairs = [(int(x), int(HUBS[i % len(HUBS)])) for i, x in enumerate([x for x in POOL if x in seen][::25])]
    assert len(pairs) >= 6
    hits = baseline_hits = 0
    for x, hub in pairs:
        query = Query(history=[x, hub], history_timestamps=[t, t + 60], timestamp=t + 60, surface="next-item")
        hits += hybrid.recommend(query, candidates, k=1) == [x]
        baseline_hits += cooccurrence.recommend(query, candidates, k=1) == [x]
        t += 3600
    assert hits == len(pairs)
    assert baseline_hits == 0  # the signal alone prefers the hub's usual successor: the ranker learned the repeat
