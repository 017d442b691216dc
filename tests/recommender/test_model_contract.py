"""The model contract of `recommender.base.Recommender`: optional capabilities are declared on the base class with
defaults, and every registered class's capability attributes say what it overrides (callers read the attribute or
just call the method, never probe with `hasattr`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from recommender.base import Query, Recommender
from recommender.evaluation.protocols import PROTOCOLS
from recommender.registry import registered_names, registry_entry

# What each model was judged by before the table moved onto the classes (`train` activates a version that beats the
# baselines there); a model missing here is judged by the default, vip recall@20.
PRIMARY: dict[str, tuple[str, str]] = {
    "mercatran": ("multistep", "recall@20"),
    "mercatran_v1": ("multistep", "recall@20"),
    "dnn": ("ctr", "auc"),
    "din": ("ctr", "auc"),
    "iu_boosted": ("ctr", "auc"),
    "scid": ("ctr", "auc"),
    "ranking_two_tower": ("ctr", "auc"),
    "ranker": ("rerank", "ndcg@10"),
    "ranker_base": ("rerank", "ndcg@10"),
}
# Names of the catalogue hook before `catalog_extend` replaced them.
OLD_CATALOG_NAMES = ("index_items", "add_items", "set_catalog", "update_items")


def _overrides(cls: type, method: str) -> bool:
    return getattr(cls, method) is not getattr(Recommender, method)


@pytest.mark.parametrize("name", registered_names())
def test_capability_attributes_agree_with_what_the_class_overrides(name):
    cls = registry_entry(name).cls
    assert cls.has_user_vectors_batch == _overrides(cls, "user_vectors_batch")
    assert cls.predicts_impressions == _overrides(cls, "predict_impressions")
    assert not [old for old in OLD_CATALOG_NAMES if hasattr(cls, old)], "the catalogue hook is `catalog_extend`"


@pytest.mark.parametrize("name", registered_names())
def test_every_model_is_judged_by_its_primary_protocol(name):
    cls = registry_entry(name).cls
    assert (cls.primary_protocol, cls.primary_metric) == PRIMARY.get(name, ("vip", "recall@20"))
    assert cls.primary_protocol in PROTOCOLS


class Fixed(Recommender):
    """Scores items by a fixed table; overrides nothing optional."""

    def __init__(self, table: dict[int, float]) -> None:
        super().__init__()
        self.table = table

    def fit(self, dataset: Any, valid: Any = None) -> dict[str, Any]:
        return {}

    def score(self, query: Query, candidates: np.ndarray) -> np.ndarray:
        bonus = len(query.history)
        return np.array([self.table.get(int(c), 0.0) + bonus for c in candidates])

    def state(self) -> dict[str, Any]:
        return {}

    def load_state(self, state: dict[str, Any]) -> None:
        pass


def test_the_defaults_are_the_right_behaviour_for_a_model_without_the_capability():
    # given a model that overrides none of the optional methods
    model = Fixed({1: 0.5, 2: 0.25})
    queries = [Query(history=[]), Query(history=[1, 2])]
    candidates = np.array([2, 1, 3])

    # then batched scoring is `score` per query, new listings are accepted and no item is unknown
    np.testing.assert_array_equal(model.score_batch(queries, candidates),
                                  np.stack([model.score(q, candidates) for q in queries]))
    model.catalog_extend(None)  # type: ignore[arg-type]
    assert model.unknown_items([1, 7]) == []
    assert not model.has_user_vectors_batch and not model.predicts_impressions
    with pytest.raises(NotImplementedError):
        model.user_vectors_batch([np.array([1])])
    with pytest.raises(NotImplementedError):
        model.predict_impressions(None)  # type: ignore[arg-type]
