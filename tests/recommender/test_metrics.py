import math

import numpy as np
import pytest

from recommender.metrics import (
    auc,
    catalogue_coverage,
    gauc,
    hit_rate,
    intra_list_diversity,
    mean_hit_rate,
    mean_mrr_at_k,
    mean_ndcg_at_k,
    mean_recall_at_k,
    metrics_from_ranks,
    mrr_at_k,
    ndcg_at_k,
    recall_at_k,
    rel_impr,
)


def test_recall_counts_relevant_items_in_the_top_k():
    assert recall_at_k([1, 2, 3, 4], {2, 5}, k=2) == 0.5
    assert recall_at_k([1, 2, 3, 4], {2, 4}, k=4) == 1.0
    assert recall_at_k([1, 2, 3, 4], {2, 4}, k=1) == 0.0
    assert recall_at_k([1, 2], set(), k=2) == 0.0


def test_hit_rate_is_one_when_any_relevant_item_is_in_the_top_k():
    assert hit_rate([1, 2, 3], {3}, k=2) == 0.0
    assert hit_rate([1, 2, 3], {3}, k=3) == 1.0
    assert hit_rate([1, 2, 3], {3, 1}, k=1) == 1.0


def test_ndcg_matches_hand_computed_values():
    # one relevant item at rank 2: 1 / log2(3)
    assert ndcg_at_k([1, 2, 3], {2}, k=3) == pytest.approx(1 / math.log2(3))
    # relevant at ranks 1 and 3: (1 + 1/2) / (1 + 1/log2(3))
    assert ndcg_at_k([1, 2, 3], {1, 3}, k=3) == pytest.approx(1.5 / (1 + 1 / math.log2(3)))
    assert ndcg_at_k([1, 2, 3], {3}, k=2) == 0.0
    assert ndcg_at_k([7, 1, 2], {7}, k=5) == 1.0


def test_mrr_uses_the_first_relevant_rank_within_k():
    assert mrr_at_k([5, 6, 7], {7}, k=3) == pytest.approx(1 / 3)
    assert mrr_at_k([5, 6, 7], {7}, k=2) == 0.0
    assert mrr_at_k([5, 6, 7], {6, 7}, k=3) == 0.5


def test_batch_helpers_average_over_queries():
    ranked = [[1, 2, 3], [4, 5, 6]]
    relevant = [{2}, {9}]
    assert mean_hit_rate(ranked, relevant, 3) == 0.5
    assert mean_recall_at_k(ranked, relevant, 3) == 0.5
    assert mean_mrr_at_k(ranked, relevant, 3) == 0.25
    assert mean_ndcg_at_k(ranked, relevant, 3) == pytest.approx(0.5 / math.log2(3))


def test_metrics_from_ranks_match_hand_values():
    result = metrics_from_ranks(np.array([1, 3, np.inf]), ks=(1, 5))
    assert result["hr@1"] == pytest.approx(1 / 3)
    assert result["hr@5"] == pytest.approx(2 / 3)
    assert result["recall@5"] == result["hr@5"]
    assert result["mrr@5"] == pytest.approx((1 + 1 / 3) / 3)
    assert result["ndcg@5"] == pytest.approx((1 + 0.5) / 3)


def test_metrics_from_ranks_agree_with_the_per_list_functions():
    rng = np.random.default_rng(0)
    lists, targets, ranks = [], [], []
    for _ in range(50):
        ranked = rng.permutation(30)
        target = int(rng.integers(0, 40))  # some targets are never ranked
        lists.append(ranked)
        targets.append({target})
        where = np.flatnonzero(ranked == target)
        ranks.append(where[0] + 1 if len(where) else np.inf)
    result = metrics_from_ranks(np.array(ranks, dtype=float), ks=(10,))
    assert result["hr@10"] == pytest.approx(mean_hit_rate(lists, targets, 10))
    assert result["mrr@10"] == pytest.approx(mean_mrr_at_k(lists, targets, 10))
    assert result["ndcg@10"] == pytest.approx(mean_ndcg_at_k(lists, targets, 10))


def test_auc_counts_ordered_pairs_and_half_ties():
    assert auc(np.array([1, 0, 1, 0]), np.array([0.9, 0.8, 0.3, 0.1])) == pytest.approx(0.75)
    assert auc(np.array([1, 0]), np.array([0.5, 0.5])) == pytest.approx(0.5)
    assert auc(np.array([1, 0, 0]), np.array([0.5, 0.5, 0.1])) == pytest.approx(0.75)
    assert math.isnan(auc(np.array([1, 1]), np.array([0.1, 0.2])))


def test_auc_agrees_with_counting_pairs_with_ties():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, 300)
    scores = rng.integers(0, 20, 300).astype(float)  # many ties
    pos, neg = scores[labels == 1][:, None], scores[labels == 0][None, :]
    expected = ((pos > neg).sum() + 0.5 * (pos == neg).sum()) / (pos.size * neg.size)
    assert auc(labels, scores) == pytest.approx(expected)


def test_gauc_weights_users_by_impressions_and_skips_one_class_users():
    users = np.array([1, 1, 1, 2, 2, 3, 3])
    labels = np.array([1, 0, 0, 1, 0, 0, 0])
    scores = np.array([0.9, 0.5, 0.95, 0.2, 0.1, 0.7, 0.3])
    # user 1: AUC 0.5 over 3 impressions, user 2: AUC 1.0 over 2, user 3 all negative: skipped
    assert gauc(users, labels, scores) == pytest.approx((3 * 0.5 + 2 * 1.0) / 5)


def test_gauc_equals_auc_for_a_single_user_with_ties():
    rng = np.random.default_rng(2)
    labels = rng.integers(0, 2, 200)
    scores = rng.integers(0, 5, 200).astype(float)
    assert gauc(np.zeros(200), labels, scores) == pytest.approx(auc(labels, scores))


def test_rel_impr_in_percent():
    assert rel_impr(0.75, 0.7) == pytest.approx(25.0)
    assert rel_impr(0.7, 0.7) == pytest.approx(0.0)


def test_catalogue_coverage_counts_distinct_recommended_items():
    assert catalogue_coverage([[1, 2], [2, 3]], catalogue_size=10) == pytest.approx(0.3)


def test_intra_list_diversity_from_vectors_and_categories():
    vectors = np.array([[1.0, 0.0], [0.0, 2.0], [3.0, 0.0]])
    # pairs: (e1, e2) 1, (e1, e1) 0, (e2, e1) 1
    assert intra_list_diversity(vectors=vectors) == pytest.approx(2 / 3)
    assert intra_list_diversity(categories=np.array([4, 4, 9])) == pytest.approx(2 / 3)
    assert intra_list_diversity(categories=np.array([4, 4])) == 0.0
    with pytest.raises(ValueError):
        intra_list_diversity()
