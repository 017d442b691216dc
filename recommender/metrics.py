"""Offline metrics: top-K accuracy (HR / Recall, nDCG, MRR), ranking AUC / GAUC / RelaImpr, coverage, diversity.

Top-K metrics take one ranked list (best first) and the set of relevant items; the `mean_*` helpers average over
queries, and `metrics_from_ranks` computes them all at once from the 1-based rank of a single target per query
(the next-item protocol). GAUC and RelaImpr follow IU4Rec (eq. 8 and the RelaImpr definition it cites).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

import numpy as np

RankedList = Sequence[int] | np.ndarray


# -- one ranked list ----------------------------------------------------------------------------------------
def _top_hits(ranked: RankedList, relevant: Collection[int], k: int) -> np.ndarray:
    """(min(k, len(ranked)),) bool: whether each of the top-k items is relevant."""
    top = np.asarray(ranked, dtype=np.int64)[:k]
    if len(relevant) == 0 or len(top) == 0:
        return np.zeros(len(top), dtype=bool)
    return np.isin(top, np.fromiter(relevant, dtype=np.int64, count=len(relevant)))


def recall_at_k(ranked: RankedList, relevant: Collection[int], k: int) -> float:
    """Share of the relevant items found in the top k (0 when nothing is relevant)."""
    if len(relevant) == 0:
        return 0.0
    return float(_top_hits(ranked, relevant, k).sum()) / len(relevant)


def hit_rate(ranked: RankedList, relevant: Collection[int], k: int) -> float:
    """HR@K: 1 when any relevant item is in the top k. Equals recall@K when exactly one item is relevant."""
    return float(_top_hits(ranked, relevant, k).any())


def ndcg_at_k(ranked: RankedList, relevant: Collection[int], k: int) -> float:
    """Binary-relevance nDCG@K: DCG of the list over the DCG of an ideal list of min(k, |relevant|) hits."""
    hits = _top_hits(ranked, relevant, k)
    if not hits.any():
        return 0.0
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = float(discounts[: len(hits)][hits].sum())
    idcg = float(discounts[: min(k, len(relevant))].sum())
    return dcg / idcg


def mrr_at_k(ranked: RankedList, relevant: Collection[int], k: int) -> float:
    """Reciprocal rank of the first relevant item within the top k, else 0."""
    hits = np.flatnonzero(_top_hits(ranked, relevant, k))
    return 0.0 if len(hits) == 0 else 1.0 / (hits[0] + 1)


# -- averages over queries ----------------------------------------------------------------------------------
def _mean(metric, ranked_lists: Iterable[RankedList], relevant_sets: Iterable[Collection[int]], k: int) -> float:
    values = [metric(ranked, relevant, k) for ranked, relevant in zip(ranked_lists, relevant_sets, strict=True)]
    return float(np.mean(values)) if values else 0.0


def mean_recall_at_k(ranked_lists: Iterable[RankedList], relevant_sets: Iterable[Collection[int]], k: int) -> float:
    return _mean(recall_at_k, ranked_lists, relevant_sets, k)


def mean_hit_rate(ranked_lists: Iterable[RankedList], relevant_sets: Iterable[Collection[int]], k: int) -> float:
    return _mean(hit_rate, ranked_lists, relevant_sets, k)


def mean_ndcg_at_k(ranked_lists: Iterable[RankedList], relevant_sets: Iterable[Collection[int]], k: int) -> float:
    return _mean(ndcg_at_k, ranked_lists, relevant_sets, k)


def mean_mrr_at_k(ranked_lists: Iterable[RankedList], relevant_sets: Iterable[Collection[int]], k: int) -> float:
    return _mean(mrr_at_k, ranked_lists, relevant_sets, k)


def metrics_from_ranks(ranks: np.ndarray, ks: Iterable[int]) -> dict[str, float]:
    """HR / recall, MRR and nDCG at each K from the 1-based rank of one target per query (inf = not ranked), and
    each one's standard error over the queries (`hr@20_se`, ...: the sample standard deviation / sqrt(n))."""
    ranks = np.asarray(ranks, dtype=np.float64)
    result: dict[str, float] = {}
    n = max(len(ranks), 1)
    for k in ks:
        hit = ranks <= k
        per_query = {
            "hr": hit.astype(np.float64),
            "mrr": np.where(hit, 1.0 / ranks, 0.0),
            "ndcg": np.where(hit, 1.0 / np.log2(np.where(hit, ranks, 1.0) + 1.0), 0.0),
        }
        for name, values in per_query.items():
            result[f"{name}@{k}"] = float(values.sum()) / n
            result[f"{name}@{k}_se"] = float(values.std(ddof=1) / np.sqrt(n)) if len(values) > 1 else 0.0
        result[f"recall@{k}"] = result[f"hr@{k}"]  # one relevant item per query
    return result


# -- AUC family -----------------------------------------------------------------------------------------------
def _average_ranks(sorted_keys: np.ndarray) -> np.ndarray:
    """1-based ranks of an already sorted array, ties sharing their mean rank."""
    n = len(sorted_keys)
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    ends = np.r_[starts[1:], n]
    mean_rank = (starts + ends + 1) / 2.0  # mean of starts+1 .. ends
    return np.repeat(mean_rank, ends - starts)


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """ROC AUC by the rank-sum (Mann-Whitney) formula, tied scores counting one half. NaN for one class only."""
    labels = np.asarray(labels).astype(bool)
    scores = np.asarray(scores, dtype=np.float64)
    n_pos = int(labels.sum())
    n_neg = len(labels) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="stable")
    ranks = _average_ranks(scores[order])
    rank_sum = float(ranks[labels[order]].sum())
    return (rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)


def gauc(users: np.ndarray, labels: np.ndarray, scores: np.ndarray) -> float:
    """Group AUC (IU4Rec eq. 8): per-user AUC weighted by the user's impression count.

    Users whose impressions are all clicked or all unclicked have no AUC and are skipped. NaN when none is left.
    """
    users = np.asarray(users)
    labels = np.asarray(labels).astype(bool)
    scores = np.asarray(scores, dtype=np.float64)
    if len(users) == 0:
        return float("nan")
    _, group = np.unique(users, return_inverse=True)
    order = np.lexsort((scores, group))  # by user, then score
    group, labels, scores = group[order], labels[order], scores[order]
    n_groups = int(group.max()) + 1
    first = np.searchsorted(group, np.arange(n_groups))  # first row of each user
    # Ties are runs of equal (user, score); ranks restart at each user.
    new_run = np.r_[True, (group[1:] != group[:-1]) | (scores[1:] != scores[:-1])]
    starts = np.flatnonzero(new_run)
    ends = np.r_[starts[1:], len(group)]
    global_rank = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    rank = global_rank - first[group]
    n = np.bincount(group, minlength=n_groups).astype(np.float64)
    n_pos = np.bincount(group, weights=labels, minlength=n_groups)
    n_neg = n - n_pos
    rank_sum = np.bincount(group, weights=np.where(labels, rank, 0.0), minlength=n_groups)
    valid = (n_pos > 0) & (n_neg > 0)
    if not valid.any():
        return float("nan")
    user_auc = (rank_sum[valid] - n_pos[valid] * (n_pos[valid] + 1) / 2.0) / (n_pos[valid] * n_neg[valid])
    return float((user_auc * n[valid]).sum() / n[valid].sum())


def rel_impr(auc_model: float, auc_base: float) -> float:
    """RelaImpr in percent: ((AUC(model) - 0.5) / (AUC(base) - 0.5) - 1) * 100."""
    return ((auc_model - 0.5) / (auc_base - 0.5) - 1.0) * 100.0


# -- beyond accuracy ------------------------------------------------------------------------------------------
def catalogue_coverage(recommended_lists: Iterable[RankedList], catalogue_size: int) -> float:
    """Share of the catalogue that appears in at least one recommended list."""
    if catalogue_size <= 0:
        return 0.0
    seen: set[int] = set()
    for ranked in recommended_lists:
        seen.update(int(i) for i in ranked)
    return len(seen) / catalogue_size


def intra_list_diversity(vectors: np.ndarray | None = None, categories: np.ndarray | None = None) -> float:
    """Mean pairwise (1 - cosine) over one list's items: from item `vectors` (n, d), or from `categories` (n,),
    where it is the share of item pairs in different categories (the same formula on one-hot vectors)."""
    if (vectors is None) == (categories is None):
        raise ValueError("pass exactly one of vectors or categories")
    if vectors is not None:
        x = np.asarray(vectors, dtype=np.float64)
        n = x.shape[0]
        if n < 2:
            return 0.0
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        x = x / np.where(norms > 0, norms, 1.0)
        similarity = x @ x.T
        pair_sum = similarity.sum() - np.trace(similarity)
        return float(1.0 - pair_sum / (n * (n - 1)))
    cats = np.asarray(categories)
    n = len(cats)
    if n < 2:
        return 0.0
    _, counts = np.unique(cats, return_counts=True)
    same_pairs = float((counts * (counts - 1)).sum())
    return 1.0 - same_pairs / (n * (n - 1))
