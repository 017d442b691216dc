"""The vip / home / ctr protocols of recommender.evaluation on hand-made logs (no database)."""

from typing import Any

import numpy as np
import pytest

from recommender.base import Query, Recommender
from recommender.data import ACTION_CODE, Dataset, EventLog, ItemTable
from recommender.evaluation.ctr import evaluate_ctr
from recommender.evaluation.pages import evaluate_home, evaluate_vip
from recommender.evaluation.protocols import evaluate_models
from recommender.evaluation.split import concat_events, time_split_dataset
from recommender.sequences import DAY

VIEW, BUY, IMPRESSION = ACTION_CODE["item_view"], ACTION_CODE["buy_comp"], ACTION_CODE["impression"]


class FixedScores(Recommender):
    """Scores each item by a fixed table and remembers the queries it was asked."""

    name = "fixed"

    def __init__(self, table: dict[int, float]) -> None:
        super().__init__()
        self.table = table
        self.queries: list[Query] = []

    def fit(self, dataset: Dataset, valid: Dataset | None = None) -> dict[str, Any]:
        return {}

    def score(self, query: Query, candidates: np.ndarray) -> np.ndarray:
        self.queries.append(query)
        return np.array([self.table.get(int(c), 0.0) for c in candidates])

    def state(self) -> dict[str, Any]:
        return {}

    def load_state(self, state: dict[str, Any]) -> None:
        pass


def log(rows: list[tuple], request: bool = False) -> EventLog:
    """rows of (user, session, item, action, timestamp[, request, clicked])."""
    columns = list(zip(*rows, strict=True))
    return EventLog(
        user=np.array(columns[0], dtype=np.int64),
        session=np.array(columns[1], dtype=np.int64),
        item=np.array(columns[2], dtype=np.int64),
        action=np.array(columns[3], dtype=np.int8),
        timestamp=np.array(columns[4], dtype=np.float64),
        request=np.array(columns[5], dtype=np.int64) if request else None,
        clicked=np.array(columns[6], dtype=bool) if request else None,
    )


def items(ids: list[int], created: list[float] | None = None) -> ItemTable:
    table = ItemTable.ids_only(np.array(ids))
    if created is not None:
        table.created_at = np.array(created, dtype=np.float64)
    return table


def test_vip_predicts_each_view_from_the_session_prefix():
    table = items([1, 2, 3, 4])
    train = Dataset(log([(0, 0, i, VIEW, float(i)) for i in (1, 2, 3, 4)]), table)
    test = Dataset(log([(1, 5, 1, VIEW, 100.0), (1, 5, 2, VIEW, 101.0), (1, 5, 2, VIEW, 102.0),
                        (1, 5, 3, VIEW, 103.0)]), table)
    model = FixedScores({1: 0.4, 2: 0.3, 3: 0.2, 4: 0.1})

    result = evaluate_vip(model, train, test, ks=(1, 5))

    # targets: 2 after [1] (rank 2), the re-view of 2 is skipped, 3 after [1, 2, 2] (rank 3)
    assert [q.history for q in model.queries] == [[1], [1, 2, 2]]
    assert [q.current_item for q in model.queries] == [1, 2]
    assert {q.surface for q in model.queries} == {"vip"}
    assert result["n_predictions"] == 2 and result["n_sessions"] == 1
    assert result["recall@1"] == 0.0 and result["recall@5"] == 1.0
    assert result["mrr@5"] == pytest.approx((1 / 2 + 1 / 3) / 2)


def test_active_candidates_leave_out_items_not_yet_listed_or_already_sold():
    # item 9 scores highest but is listed only at t=500; item 8 sold at t=50
    table = items([1, 2, 8, 9], created=[1.0, 1.0, 1.0, 500.0])
    train = Dataset(log([(0, 0, 1, VIEW, 1.0), (0, 0, 2, VIEW, 2.0), (0, 0, 8, VIEW, 3.0), (2, 2, 8, BUY, 50.0)]),
                    table)
    test = Dataset(log([(1, 5, 1, VIEW, 100.0), (1, 5, 2, VIEW, 101.0)]), table)
    model = FixedScores({9: 0.9, 8: 0.8, 2: 0.5, 1: 0.1})

    active = evaluate_vip(model, train, test, ks=(1,), candidates="active")
    training = evaluate_vip(model, train, test, ks=(1, 5), candidates="training")

    assert active["recall@1"] == 1.0 and active["n_candidates"] == 4
    assert training["recall@1"] == 0.0 and training["mrr@5"] == pytest.approx(1 / 2)  # only 8 is ahead


def test_home_reads_the_user_s_last_30_days_across_the_split():
    table = items([1, 2, 3, 4])
    train = Dataset(log([(7, 1, 1, VIEW, 0.0), (7, 2, 2, VIEW, 40 * DAY), (8, 3, 4, VIEW, 41 * DAY)]), table)
    test = Dataset(log([(7, 3, 3, VIEW, 45 * DAY), (7, 3, 3, VIEW, 45 * DAY + 5), (9, 4, 4, VIEW, 46 * DAY)]), table)
    model = FixedScores({3: 1.0})

    result = evaluate_home(model, train, test, ks=(1,))

    # user 7's view of 3 is predicted from day 40's view only (day 0 is outside the window); the repeat of 3 is
    # skipped and user 9 has no history
    assert [q.history for q in model.queries] == [[2]]
    assert model.queries[0].surface == "home" and model.queries[0].user_id == 7
    assert result["n_predictions"] == 1 and result["recall@1"] == 1.0


def test_ctr_scores_each_request_and_reports_auc_and_gauc():
    table = items([1, 2, 3])
    train = Dataset(log([(1, 1, 1, VIEW, 1.0, -1, False)], request=True), table)
    test = Dataset(log([
        (1, 2, 1, IMPRESSION, 10.0, 0, True), (1, 2, 2, IMPRESSION, 10.0, 0, False),
        (2, 3, 3, IMPRESSION, 20.0, 1, True), (2, 3, 1, IMPRESSION, 20.0, 1, False),
    ], request=True), table)
    model = FixedScores({1: 0.9, 2: 0.1, 3: 0.5})

    result = evaluate_ctr(model, train, test)

    assert result["n_impressions"] == 4 and result["n_groups"] == 2 and result["n_clicks"] == 2
    assert result["gauc"] == pytest.approx(0.5)  # user 1 ranked right, user 2 wrong
    assert result["auc"] == pytest.approx(2.5 / 4)  # positives 0.9, 0.5 vs negatives 0.1, 0.9 (one tie)
    assert model.queries[0].history == [1]  # the training view precedes the first request


def test_ctr_without_impressions_is_a_value_error():
    data = Dataset(log([(1, 1, 1, VIEW, 1.0), (1, 1, 2, VIEW, 2.0)]), items([1, 2]))
    with pytest.raises(ValueError, match="needs impressions"):
        evaluate_models({"fixed": FixedScores({})}, data, data, protocol="ctr")


def test_time_split_takes_the_last_fraction_of_the_span():
    data = Dataset(log([(0, 0, i, VIEW, float(t)) for i, t in enumerate((0, 10, 50, 79, 80, 100))]), items([0]))
    train, test, split = time_split_dataset(data, test_fraction=0.2)
    assert split == 80.0
    assert train.events.timestamp.tolist() == [0, 10, 50, 79] and test.events.timestamp.tolist() == [80, 100]
    with pytest.raises(ValueError):
        time_split_dataset(data, test_days=1000)


def test_concat_events_fills_missing_columns():
    with_request = log([(1, 1, 1, IMPRESSION, 1.0, 4, True)], request=True)
    plain = log([(2, 2, 2, VIEW, 2.0)])
    joined = concat_events(with_request, plain)
    assert joined.request.tolist() == [4, -1]
    assert joined.clicked is None  # rebuilt from request ids by impression_groups
