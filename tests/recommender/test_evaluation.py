import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import recommender.baselines  # noqa: F401  (registers the baselines)
from recommender.base import Query, Recommender
from recommender.data import ACTION_CODE, Dataset, EventLog, ItemTable
from recommender.evaluation.next_item import evaluate_next_item
from recommender.evaluation.protocols import evaluate_models
from recommender.evaluation.report import write_report
from recommender.evaluation.scoring import target_ranks
from recommender.registry import create_recommender
from recommender.session_files import load_yoochoose

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
VIEW = ACTION_CODE["item_view"]


class FixedScores(Recommender):
    """Scores each item by a fixed table (no score_batch: evaluation must fall back to `score`)."""

    name = "fixed"

    def __init__(self, table: dict[int, float]) -> None:
        super().__init__()
        self.table = table
        self.histories: list[list[int]] = []

    def fit(self, dataset: Dataset, valid: Dataset | None = None) -> dict[str, Any]:
        return {}

    def score(self, query: Query, candidates: np.ndarray) -> np.ndarray:
        self.histories.append(list(query.history))
        assert query.surface == "next-item"
        return np.array([self.table.get(int(c), 0.0) for c in candidates])

    def state(self) -> dict[str, Any]:
        return {}

    def load_state(self, state: dict[str, Any]) -> None:
        pass


def make_dataset(sessions: list[list[int]], start: float = 0.0) -> Dataset:
    user, session, item, ts = [], [], [], []
    t = start
    for s, items in enumerate(sessions):
        for i in items:
            user.append(s)
            session.append(s + int(start))
            item.append(i)
            ts.append(t)
            t += 1.0
    events = EventLog(
        user=np.array(user, dtype=np.int64),
        session=np.array(session, dtype=np.int64),
        item=np.array(item, dtype=np.int64),
        action=np.full(len(item), VIEW, dtype=np.int8),
        timestamp=np.array(ts),
    )
    return Dataset(events=events, items=ItemTable.ids_only(np.unique(item)))


def test_next_item_metrics_match_hand_computed_ranks():
    train = make_dataset([[1, 2, 3, 4]])
    test = make_dataset([[1, 2, 3], [4, 99]], start=100)  # 99 was never trained on: a miss
    model = FixedScores({1: 0.4, 2: 0.3, 3: 0.2, 4: 0.1})

    result = evaluate_next_item(model, train, test, ks=(1, 5))

    # predictions: 2 at rank 2, 3 at rank 3, 99 unranked
    assert model.histories == [[1], [1, 2], [4]]
    assert result["n_predictions"] == 3
    assert result["n_sessions"] == 2
    assert result["n_unknown_targets"] == 1
    assert result["hr@1"] == 0.0
    assert result["hr@5"] == pytest.approx(2 / 3)
    assert result["recall@5"] == result["hr@5"]
    assert result["mrr@5"] == pytest.approx((1 / 2 + 1 / 3) / 3)
    assert result["ndcg@5"] == pytest.approx((1 / np.log2(3) + 1 / np.log2(4)) / 3)


def test_max_sessions_limits_the_test_sessions():
    train = make_dataset([[1, 2, 3, 4]])
    test = make_dataset([[1, 2, 3], [4, 1]], start=100)
    result = evaluate_next_item(FixedScores({}), train, test, ks=(5,), max_sessions=1)
    assert result["n_predictions"] == 2
    assert result["n_sessions"] == 1


def test_ties_rank_the_earlier_candidate_first():
    scores = np.array([[0.5, 0.5, 0.5, 0.1], [0.2, 0.9, 0.2, 0.2]])
    assert target_ranks(scores, np.array([1, 3])).tolist() == [2.0, 4.0]
    assert target_ranks(scores, np.array([0, -1])).tolist() == [1.0, np.inf]


def test_evaluation_agrees_with_recommend():
    train = make_dataset([[1, 2, 3], [1, 2, 4], [2, 3], [5, 6], [1, 2], [5, 6, 7], [3, 1, 2]])
    test = make_dataset([[1, 2, 3, 5, 6], [2, 3, 1]], start=100)
    model = create_recommender("sknn")
    model.fit(train)
    result = evaluate_next_item(model, train, test, ks=(2,))
    candidates = np.unique(train.events.item)
    hits = []
    for items in ([1, 2, 3, 5, 6], [2, 3, 1]):
        for i in range(1, len(items)):
            top = model.recommend(Query(history=items[:i], surface="next-item"), candidates, k=2)
            hits.append(items[i] in top)
    assert result["hr@2"] == pytest.approx(np.mean(hits))


def test_evaluate_models_fits_and_names_each_model():
    train = make_dataset([[1, 2, 3], [1, 2, 4], [2, 3]])
    test = make_dataset([[1, 2, 3]], start=100)
    models = {name: create_recommender(name) for name in ("popularity", "cooccurrence")}
    results = evaluate_models(models, train, test, ks=(1, 20))
    assert set(results) == {"popularity", "cooccurrence"}
    assert results["cooccurrence"]["hr@1"] == 1.0  # 1 -> 2 and 2 -> 3 are the strongest rules
    assert "fit_seconds" in results["popularity"]
    with pytest.raises(ValueError):
        evaluate_models(models, train, test, protocol="ctr")


def test_write_report_files(tmp_path):
    models = {
        "popularity": {"recall@5": 0.1, "recall@20": 0.2, "ndcg@20": 0.05, "mrr@20": 0.03, "n_predictions": 7},
        "sknn": {"recall@5": 0.4, "recall@20": 0.6, "ndcg@20": 0.3, "mrr@20": 0.25, "n_predictions": 7},
    }
    result = {
        "dataset": "tiny",
        "protocol": "next-item",
        "models": models,
        "sizes": {"train": {"events": 10, "sessions": 3}},
        "seconds": 1.5,
    }

    paths = write_report(tmp_path / "out", result)

    metrics = json.loads(paths["metrics"].read_text())
    assert metrics == {"dataset": "tiny", "protocol": "next-item", "models": models}
    report = paths["report"].read_text()
    assert "| model | recall@5 | recall@20 | mrr@20 | ndcg@20 | n_predictions |" in report
    assert "| sknn | 0.4000 | 0.6000 | 0.2500 | 0.3000 | 7 |" in report
    assert "train: 10 events, 3 sessions" in report
    assert paths["plot"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_yoochoose_subset_ranks_sknn_above_popularity():
    train_path, test_path = DATA / "yoochoose_100k_train.tsv", DATA / "yoochoose_100k_test.tsv"
    if not (train_path.exists() and test_path.exists()):
        pytest.skip(f"YooChoose files not found under {DATA} (the shared data folder is absent)")
    train, _ = load_yoochoose(train_path)
    test, _ = load_yoochoose(test_path)
    models = {name: create_recommender(name) for name in ("popularity", "sknn")}

    results = evaluate_models(models, train, test, ks=(20,), max_sessions=300)

    assert results["sknn"]["n_predictions"] > 500
    assert 0.4 < results["sknn"]["hr@20"] < 0.95
    assert 0.1 < results["sknn"]["mrr@20"] < 0.6
    assert results["popularity"]["hr@20"] < 0.25
