"""The session hybrid's neural signal, `session_gru`: learns a session's next click, trains the epochs it is given,
and saves / loads to identical scores."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.base import Query
from recommender.data import ACTION_CODE, Dataset, EventLog, ItemTable
from recommender.registry import create_recommender, load_recommender

CHAINS = 20  # chain c is the items 10c + 1, 10c + 2, ..., 10c + 5, always clicked in this order


def chain_log(n_sessions: int = 400, seed: int = 0) -> Dataset:
    """Sessions, one after another in time, each a run of 2-5 consecutive items of one chain."""
    rng = np.random.default_rng(seed)
    sessions, items, times = [], [], []
    t = 1.4e9
    for s in range(n_sessions):
        chain = 10 * int(rng.integers(CHAINS))
        start = int(rng.integers(1, 5))
        for clicked in range(chain + start, chain + min(6, start + int(rng.integers(2, 5)))):
            sessions.append(s)
            items.append(clicked)
            times.append(t)
            t += 30.0
        t += 600.0
    session = np.array(sessions, dtype=np.int64)
    item = np.array(items, dtype=np.int64)
    events = EventLog(user=session.copy(), session=session, item=item,
                      action=np.full(len(item), ACTION_CODE["item_view"], dtype=np.int8), timestamp=np.array(times))
    return Dataset(events=events, items=ItemTable.ids_only(np.unique(item)), name="chains")


@pytest.fixture(scope="module")
def log() -> Dataset:
    return chain_log()


def test_it_learns_the_next_click_and_round_trips(log, tmp_path):
    # given a GRU trained on chains
    model = create_recommender("session_gru", {"epochs": 30, "patience": 30, "lr": 0.02, "dim": 16, "batch_size": 32})
    fit_log = model.fit(log)
    candidates = np.r_[log.items.item_id, 99_999]

    # then the next item of a chain ranks first, the unknown id last, and a reload scores identically
    queries = [Query(history=[10 * c + 2, 10 * c + 3]) for c in range(0, CHAINS, 4)] + [Query()]
    scores = model.score_batch(queries, candidates)
    assert [int(candidates[np.argmax(row)]) for row in scores[:-1]] == [10 * c + 4 for c in range(0, CHAINS, 4)]
    assert (scores[:, -1] < scores[:, :-1].min()).all()
    assert fit_log["best_valid"] <= 1.0 and fit_log["epochs_run"] >= 1
    loaded = load_recommender(model.save(tmp_path / "gru.pt"))
    np.testing.assert_array_equal(loaded.score_batch(queries, candidates), scores)


def test_it_trains_exactly_the_epochs_it_is_given(log):
    model = create_recommender("session_gru", {"epochs": 2, "patience": 10, "dim": 8})
    fit_log = model.fit(log)
    assert fit_log["epochs_run"] == 2 and len(fit_log["epochs"]) == 2
