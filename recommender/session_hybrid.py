"""`session_hybrid`: a LightGBM lambdarank re-ranker over cheap session signals, for next-item prediction.

Neighbourhood baselines and neural models each miss something: V-SKNN (Ludewig & Jannach 2018) reads the whole
session through similar past sessions, sequential rules / co-occurrence read item-to-item transitions, and neither
models the *repeat*: on YooChoose about a quarter of the targets are an item already in the session, most often the
one just clicked. This model combines them, as the session-rec hybrids and the RecSys 2015 winners did:

- candidates: the union of each signal's top `per_source` items and every item of the session (repeat candidates);
- signals (each as its score, its score / the query's best, and its rank in the query): V-SKNN (linear position
  weights, 1 / steps-back decay; k = 100 of 500 recent sessions, and a wide k = 500 of 2,000), S-SKNN (cosine, no
  decay), sequential rules (directed pairs within 10 steps, 1 / distance), association rules of the last item
  (undirected, whole session) and a first-order Markov chain (the last item's immediate successors, also as a share
  of its out-degree); and a neural one, the next-click probabilities of a GRU (`nets/session_gru.py`), refitted
  with the other signals (at most `neural_epochs`, early stopping on its own latest sessions): on YooChoose 100k's
  validation sessions it lifted the hybrid from HR@20 0.632 / MRR@20 0.348 to 0.638 / 0.349 (0.522 / 0.287 to
  0.533 / 0.306 on a 25% sample);
- repeat features of the candidate in the session: how often, how many steps and seconds ago, whether it is the
  last item; the item's own re-click rate in training (P(next = same | a click on it)); the session's length,
  distinct items and repeat rate so far, the seconds since the previous click;
- item features: popularity over the whole window and over its last day, hours since its last click.

Training (`fit`): the training sessions, ordered by start, end in `folds` slices of `ranker_fraction` each; for
each slice the signals are fitted on the events before it and its sessions' prefixes are LightGBM's queries (no
signal has seen its own label; more slices, more queries at about the served signals' strength: 3 slices of 20% beat
1 on the validation sessions, HR@20 0.632 vs 0.630, MRR@20 0.348 vs 0.345 on YooChoose 100k). The latest
`valid_fraction` of the last slice stops the boosting early (nDCG@20); the fit log also reports HR@20 / MRR@20 of the
hybrid and of V-SKNN alone on it. The signals are then refitted on all the training events, as served. LightGBM runs
deterministically on one thread: the same data and `seed` give the same trees.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from recommender.base import Query, Recommender, register
from recommender.baselines import (
    BaselineRecommender,
    Cooccurrence,
    CooccurrenceConfig,
    SessionKnn,
    SknnConfig,
    history_of,
    index_of,
    interaction_rows,
    recent_popularity,
)
from recommender.data import INTERACTION_CODES, Dataset
from recommender.nets.session_gru import SessionGru, SessionGruConfig
from recommender.nets.training import STOPPED_BY_EARLY_STOPPING, STOPPED_BY_EPOCHS, TrainingConfig
from recommender.sequences import session_sequences

logger = logging.getLogger(__name__)

OUTSIDE = -1e6  # below every booster score: items no signal proposed
UNKNOWN = -2e6  # below those: items never seen in training
ABSENT = 999.0  # steps / seconds back of a candidate that is not in the session

# name -> (class, config): the signals; each one is a baseline under a fixed configuration.
SIGNALS: dict[str, tuple[type[BaselineRecommender], Any]] = {
    "vsknn": (SessionKnn, SknnConfig()),
    "ssknn": (SessionKnn, SknnConfig(k=200, similarity="cosine", score_decay="same")),
    "vsknn_wide": (SessionKnn, SknnConfig(k=500, sample_size=2000)),
    "sr": (Cooccurrence, CooccurrenceConfig()),
    "ar": (Cooccurrence, CooccurrenceConfig(window=None, directed=False, distance_weight=False,
                                            include_repeats=False, max_history=1)),
    "markov": (Cooccurrence, CooccurrenceConfig(window=1, distance_weight=False, include_repeats=True,
                                                max_history=1)),
}
NEURAL = "gru"  # the neural signal: `SessionGru`'s next-click probabilities (zeros when the config turns it off)
SIGNAL_NAMES = (*SIGNALS, NEURAL)
SIGNAL_VIEWS = ("score", "rel", "rank")
REPEAT_FEATURES = ("in_session", "count", "steps_back", "seconds_back", "is_last", "self_rate")
SESSION_FEATURES = ("length", "distinct", "repeat_rate", "gap_seconds", "last_popularity", "markov_share")
ITEM_FEATURES = ("popularity", "popularity_last_day", "hours_since_last_click")
FEATURE_NAMES: tuple[str, ...] = (
    tuple(f"{s}_{v}" for s in SIGNAL_NAMES for v in SIGNAL_VIEWS) + REPEAT_FEATURES + SESSION_FEATURES + ITEM_FEATURES
)


@dataclass
class SessionHybridConfig(TrainingConfig):
    ranker_fraction: float = 0.2  # the latest share of training sessions (by start): LightGBM's queries
    per_source: int = 40  # candidates from each signal's top list (plus every item of the session)
    folds: int = 3  # time slices of `ranker_fraction` each, back from the end, whose prefixes are queries
    max_queries: int | None = None  # a seeded sample of the training queries; None = all
    # shared training parameters: a boosting round is an epoch
    epochs: int = 500  # boosting rounds at most; early stopping on the latest sessions' nDCG@20 ends sooner
    lr: float = 0.05  # LightGBM's learning_rate
    patience: int = 30  # rounds without a better validation nDCG@20
    valid_fraction: float = 0.15  # the latest LightGBM sessions, for early stopping
    num_leaves: int = 31
    min_data_in_leaf: int = 100
    feature_fraction: float = 0.8
    lambda_l2: float = 1.0
    objective: str = "lambdarank"  # or "binary": one positive per query, a pointwise loss fits it as well
    neural: bool = True  # the GRU signal (one GRU fit per slice and one on all events); False: neighbourhoods only
    neural_epochs: int = 5  # the GRU's most epochs (4 fits per `fit`); it may stop sooner on its own validation


def _lightgbm_params(cfg: SessionHybridConfig) -> dict[str, Any]:
    return {
        "objective": cfg.objective, "metric": "ndcg", "eval_at": [20], "learning_rate": cfg.lr,
        "num_leaves": cfg.num_leaves, "min_data_in_leaf": cfg.min_data_in_leaf,
        "feature_fraction": cfg.feature_fraction, "lambda_l2": cfg.lambda_l2, "deterministic": True,
        "force_row_wise": True, "num_threads": 1, "seed": cfg.seed, "verbose": -1,
    }  # fmt: skip


@register("session_hybrid")
class SessionHybrid(Recommender):
    """Candidates from six session signals and the session itself, re-ranked by LightGBM lambdarank."""

    name = "session_hybrid"
    config_class = SessionHybridConfig

    def __init__(self, config: Any = None) -> None:
        super().__init__(config)
        self.item_ids = np.zeros(0, dtype=np.int64)  # (n,) sorted vocabulary: every training item
        self.signals: dict[str, BaselineRecommender] = {}
        # (n, 4): self_rate, log1p popularity, log1p last-day popularity, the item's last click (unix seconds)
        self.item_facts = np.zeros((0, 4))
        self.booster: Any = None
        self.gru: SessionGru | None = None

    # -- fitting --------------------------------------------------------------------------------------------------
    def _fit_signals(self, dataset: Dataset) -> dict[str, Any]:
        """Fit every signal on `dataset`; returns the GRU's fit log (empty without it)."""
        self.signals = {}
        gru_log: dict[str, Any] = {}
        if self.config.neural:
            self.gru = SessionGru(self._gru_config())
            gru_log = self.gru.fit(dataset)
        for name, (cls, config) in SIGNALS.items():
            model = cls(dataclasses.replace(config))
            model.fit(dataset)
            self.signals[name] = model
        events = dataset.events
        seqs = session_sequences(events, INTERACTION_CODES)
        idx = index_of(self.item_ids, seqs.item)
        same_session = np.r_[seqs.segment_of_rows()[1:] == seqs.segment_of_rows()[:-1], False]
        followed = same_session & (idx >= 0)
        repeat = followed & np.r_[seqs.item[1:] == seqs.item[:-1], False]
        n = len(self.item_ids)
        clicks = np.bincount(idx[followed], minlength=n)
        repeats = np.bincount(idx[repeat], minlength=n)
        self_rate = (repeats + 0.25) / (clicks + 1.0)  # smoothed towards the YooChoose-like prior of a quarter
        last_click = np.full(n, np.nan)
        known = idx >= 0
        np.fmax.at(last_click, idx[known], seqs.timestamp[known])
        self.item_facts = np.stack([
            self_rate,
            np.log1p(recent_popularity(events, self.item_ids, None)),
            np.log1p(recent_popularity(events, self.item_ids, 1.0)),
            last_click,
        ], axis=1)  # fmt: skip
        return gru_log

    def _gru_config(self) -> SessionGruConfig:
        cfg = self.config
        return SessionGruConfig(epochs=cfg.neural_epochs, patience=2, seed=cfg.seed,
                                time_cap_seconds=cfg.time_cap_seconds)

    def fit(self, dataset: Dataset, valid: Dataset | None = None) -> dict[str, Any]:
        import lightgbm as lgb

        cfg = self.config
        events = dataset.events
        rows = interaction_rows(events)
        if len(rows) == 0:
            raise ValueError("SessionHybrid.fit: no interactions")
        self.item_ids = np.unique(events.item[rows]).astype(np.int64)
        seqs = session_sequences(events, INTERACTION_CODES, min_length=2)
        starts = seqs.timestamp[seqs.offsets[:-1]]
        order = np.argsort(starts, kind="stable")
        n_rank = max(2, int(round(len(seqs) * cfg.ranker_fraction)))
        folds = max(1, min(cfg.folds, (len(seqs) - 2) // n_rank))
        if len(seqs) < n_rank + 2:
            raise ValueError("SessionHybrid.fit: too few sessions of two or more events")
        started = time.perf_counter()
        # Fold j (oldest first): the signals fitted on the events before its sessions, which give LightGBM's queries;
        # the latest fold ends in the validation sessions.
        chunks: dict[str, list[tuple[np.ndarray, ...]]] = {"train": [], "valid": []}
        gru_epochs: list[int] = []  # per slice, then the served fit
        for j in reversed(range(folds)):
            query_sessions = order[len(seqs) - (j + 1) * n_rank : len(seqs) - j * n_rank]
            cut = float(starts[query_sessions[0]])
            gru_log = self._fit_signals(Dataset(events=events.select(events.timestamp < cut), items=dataset.items,
                                                name=dataset.name))
            gru_epochs.append(gru_log.get("epochs_run", 0))
            n_valid = int(len(query_sessions) * cfg.valid_fraction) if j == 0 and len(query_sessions) >= 20 else 0
            for part, sessions in (("train", query_sessions[: len(query_sessions) - n_valid]),
                                   ("valid", query_sessions[len(query_sessions) - n_valid :])):
                if len(sessions):
                    chunks[part].append(self._labelled_features(seqs, sessions))
        empty = (np.zeros((0, len(FEATURE_NAMES)), np.float32), np.zeros(0, np.int32), np.zeros(0, np.int64),
                 np.zeros(0, np.int64))
        parts = {part: tuple(np.concatenate([chunk[i] for chunk in chunks[part]]) for i in range(4))
                 if chunks[part] else empty for part in chunks}
        n_valid = len(parts["valid"][2])
        if cfg.max_queries is not None and len(parts["train"][2]) > cfg.max_queries:
            keep = np.sort(np.random.default_rng(cfg.seed).choice(len(parts["train"][2]), cfg.max_queries,
                                                                   replace=False))
            owner = np.repeat(np.arange(len(parts["train"][2])), parts["train"][2])
            rows_kept = np.isin(owner, keep)
            f, lab, g, c = parts["train"]
            parts["train"] = (f[rows_kept], lab[rows_kept], g[keep], c[rows_kept])
        feature_seconds = time.perf_counter() - started

        def keep_labelled(features: np.ndarray, labels: np.ndarray, groups: np.ndarray,
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            owner = np.repeat(np.arange(len(groups)), groups)
            useful = np.bincount(owner, weights=labels, minlength=len(groups)) > 0
            return features[useful[owner]], labels[useful[owner]], groups[useful]

        tf, tl, tg = keep_labelled(*parts["train"][:3])
        if not len(tg):
            raise ValueError("SessionHybrid.fit: no training query has its target among the candidates")
        train_set = lgb.Dataset(tf, tl, group=tg, feature_name=list(FEATURE_NAMES),
                                params={"verbose": -1, "force_row_wise": True})
        valid_sets: list[Any] = []
        callbacks: list[Callable[..., Any]] = []
        if n_valid and parts["valid"][1].any():
            vf, vl, vg = keep_labelled(*parts["valid"][:3])
            valid_sets = [lgb.Dataset(vf, vl, group=vg, reference=train_set)]
            callbacks = [lgb.early_stopping(cfg.patience, verbose=False)]
        started = time.perf_counter()
        booster = lgb.train(_lightgbm_params(cfg), train_set, num_boost_round=cfg.epochs, valid_sets=valid_sets,
                            callbacks=callbacks)
        rounds = int(booster.current_iteration())
        if valid_sets and booster.best_iteration:
            booster = lgb.Booster(model_str=booster.model_to_string(num_iteration=booster.best_iteration))
        self.booster = booster
        log: dict[str, Any] = {
            "epochs_run": rounds, "max_epochs": cfg.epochs, "trees": int(booster.num_trees()),
            "stopped_by": STOPPED_BY_EPOCHS if rounds >= cfg.epochs else STOPPED_BY_EARLY_STOPPING,
            "feature_cut": cut, "folds": folds, "train_queries": int(len(parts["train"][2])),
            "valid_queries": int(len(parts["valid"][2])), "rows": int(len(parts["train"][1])),
            "candidate_recall_train": round(float(parts["train"][1].sum()) / max(len(parts["train"][2]), 1), 4),
            "feature_seconds": round(feature_seconds, 1), "lightgbm_seconds": round(time.perf_counter() - started, 1),
        }  # fmt: skip
        if len(parts["valid"][2]):
            log.update(self._valid_metrics(*parts["valid"]))
        # Served as trained, on every training event: the signals see the latest sessions too.
        gru_epochs.append(self._fit_signals(dataset).get("epochs_run", 0))
        log["gru_epochs_run"] = gru_epochs
        logger.info("session_hybrid fit: %s", {k: v for k, v in log.items() if k != "feature_cut"})
        self.data_window = {"start": float(events.timestamp.min()), "feature_cut": cut, "folds": folds,
                            "end": float(events.timestamp.max()), "events": len(events)}
        return log

    def _labelled_features(self, seqs: Any, sessions: np.ndarray) -> tuple[np.ndarray, ...]:
        """(features, labels, group sizes, candidate positions) of every prefix of `sessions`, in their order."""
        queries, targets = [], []
        for s in sessions:
            first, end = seqs.offsets[s], seqs.offsets[s + 1]
            for row in range(first + 1, end):
                queries.append(Query(history=seqs.item[first:row].tolist(),
                                     history_timestamps=seqs.timestamp[first:row].tolist(),
                                     timestamp=float(seqs.timestamp[row - 1]), surface="next-item"))
                targets.append(int(seqs.item[row]))
        features, cols, groups = self._features(queries)
        labels = cols == np.repeat(index_of(self.item_ids, np.array(targets, dtype=np.int64)), groups)
        return features, labels.astype(np.int32), groups, cols

    def _valid_metrics(self, features: np.ndarray, labels: np.ndarray, groups: np.ndarray, cols: np.ndarray,
                       ) -> dict[str, float]:
        """HR@20 / MRR@20 of the hybrid and of V-SKNN alone on the validation queries (a target outside the
        candidates is a miss for both)."""
        out: dict[str, float] = {}
        vsknn = features[:, FEATURE_NAMES.index("vsknn_rank")]
        for name, score in (("hybrid", self.booster.predict(features, num_threads=1)), ("vsknn", -vsknn)):
            ranks = np.full(len(groups), np.inf)
            for g, (a, b) in enumerate(zip(np.r_[0, np.cumsum(groups)[:-1]], np.cumsum(groups), strict=True)):
                hit = np.flatnonzero(labels[a:b])
                if len(hit):
                    s = score[a:b]
                    ranks[g] = 1 + int((s > s[hit[0]]).sum())
            out[f"valid_{name}_hr@20"] = round(float((ranks <= 20).mean()), 4)
            out[f"valid_{name}_mrr@20"] = round(float(np.where(ranks <= 20, 1.0 / ranks, 0.0).mean()), 4)
        return out

    # -- features -------------------------------------------------------------------------------------------------
    def _features(self, queries: list[Query]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, len(FEATURE_NAMES)) float32 features of each query's candidates, the candidates' vocabulary
        positions (rows,) and the group sizes (len(queries),): candidates grouped by query, in vocabulary order."""
        n, b = len(self.item_ids), len(queries)
        if b == 0:
            return np.zeros((0, len(FEATURE_NAMES)), np.float32), np.zeros(0, np.int64), np.zeros(0, np.int64)
        histories = [index_of(self.item_ids, history_of(q)) for q in queries]
        dense = {name: self._dense(model, queries) for name, model in self.signals.items()}  # each (b, n)
        dense[NEURAL] = np.zeros((b, n))
        if self.gru is not None:
            dense[NEURAL][:, index_of(self.item_ids, self.gru.item_ids)] = self.gru.item_probabilities(
                [history_of(q) for q in queries])
        chosen = np.zeros((b, n), dtype=bool)
        k = min(self.config.per_source, n)
        views = {}
        for name, scores in dense.items():
            order = np.argsort(-scores, axis=1, kind="stable")
            rank = np.empty_like(order)
            np.put_along_axis(rank, order, np.arange(n)[None, :].repeat(b, 0), axis=1)
            rank = np.where(scores > 0, rank, n).astype(np.float64)
            np.put_along_axis(chosen, order[:, :k], np.take_along_axis(scores, order[:, :k], axis=1) > 0, axis=1)
            top = scores.max(axis=1, keepdims=True)
            views[name] = (scores, np.where(top > 0, scores / np.where(top > 0, top, 1.0), 0.0), rank)
        for q, history in enumerate(histories):
            chosen[q, history[history >= 0]] = True
        qi, cols = np.nonzero(chosen)  # row-major: grouped by query, vocabulary order within
        groups = np.bincount(qi, minlength=b)
        features = np.zeros((len(qi), len(FEATURE_NAMES)), dtype=np.float32)
        f = 0
        for name in SIGNAL_NAMES:
            for view in views[name]:
                features[:, f] = view[qi, cols]
                f += 1
        # repeat and session features, per query (sessions are short: a dict per query is cheap)
        markov = self.signals["markov"]
        assert isinstance(markov, Cooccurrence)
        markov_out = np.asarray(markov.matrix.sum(axis=1)).ravel()  # the last item's successor count
        markov_positions = index_of(markov.item_ids, self.item_ids)
        starts = np.r_[0, np.cumsum(groups)[:-1]]
        for q, query in enumerate(queries):
            a, z = starts[q], starts[q] + groups[q]
            history = histories[q]
            stamps = np.asarray(query.history_timestamps, dtype=np.float64)
            stamps = stamps if len(stamps) == len(query.history) == len(history) else np.full(len(history), np.nan)
            now = query.timestamp if query.timestamp is not None else (stamps[-1] if len(stamps) else np.nan)
            count: dict[int, int] = {}
            last_pos: dict[int, int] = {}
            for pos, item in enumerate(history.tolist()):
                count[item] = count.get(item, 0) + 1
                last_pos[item] = pos
            c = cols[a:z].tolist()
            length = len(history)
            steps = np.array([length - last_pos[i] if i in last_pos else ABSENT for i in c])
            seconds = np.array([now - stamps[last_pos[i]] if i in last_pos else ABSENT for i in c])
            block = features[a:z]
            f = len(SIGNAL_NAMES) * len(SIGNAL_VIEWS)
            block[:, f] = steps < ABSENT
            block[:, f + 1] = [count.get(i, 0) for i in c]
            block[:, f + 2] = steps
            block[:, f + 3] = seconds
            block[:, f + 4] = steps == 1
            block[:, f + 5] = self.item_facts[cols[a:z], 0]
            last = int(history[-1]) if length and history[-1] >= 0 else -1
            block[:, f + 6] = length
            block[:, f + 7] = len(count)
            block[:, f + 8] = (history[1:] == history[:-1]).mean() if length > 1 else 0.0
            block[:, f + 9] = stamps[-1] - stamps[-2] if length > 1 else ABSENT
            block[:, f + 10] = self.item_facts[last, 1] if last >= 0 else 0.0
            out_degree = markov_out[markov_positions[last]] if last >= 0 and markov_positions[last] >= 0 else 0.0
            block[:, f + 11] = block[:, FEATURE_NAMES.index("markov_score")] / out_degree if out_degree else 0.0
            block[:, f + 12] = self.item_facts[cols[a:z], 1]
            block[:, f + 13] = self.item_facts[cols[a:z], 2]
            block[:, f + 14] = (now - self.item_facts[cols[a:z], 3]) / 3600.0  # NaN: never clicked, or no time
        return features, cols.astype(np.int64), groups.astype(np.int64)

    def _dense(self, model: BaselineRecommender, queries: list[Query]) -> np.ndarray:
        """(len(queries), n) the signal's scores over this model's vocabulary (0 where it has none)."""
        out = np.zeros((len(queries), len(self.item_ids)))
        positions = index_of(self.item_ids, model.item_ids)  # a signal's vocabulary is a subset of ours
        for q, query in enumerate(queries):
            scores = model.item_scores(query)
            if scores is not None:
                out[q, positions] = scores
        return out

    # -- scoring --------------------------------------------------------------------------------------------------
    def score_batch(self, queries: list[Query], candidates: np.ndarray) -> np.ndarray:
        """(len(queries), len(candidates)): the booster's relevance for proposed items, popularity order below."""
        if self.booster is None:
            raise RuntimeError("SessionHybrid is not trained: call fit() or load a checkpoint")
        idx = index_of(self.item_ids, np.asarray(candidates, dtype=np.int64))
        n = len(self.item_ids)
        popularity = self.item_facts[:, 1]
        full = np.tile(OUTSIDE + popularity / (popularity.max() + 1.0), (len(queries), 1))  # (b, n)
        features, cols, groups = self._features(queries)
        if len(cols):
            full[np.repeat(np.arange(len(queries)), groups), cols] = self.booster.predict(features, num_threads=1)
        scores = full[:, np.where(idx >= 0, idx, 0)] if n else np.zeros((len(queries), len(idx)))
        return np.where(idx[None, :] >= 0, scores, UNKNOWN)

    def score(self, query: Query, candidates: np.ndarray) -> np.ndarray:
        return self.score_batch([query], candidates)[0]

    # -- persistence ----------------------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        if self.booster is None:
            raise RuntimeError("SessionHybrid is not trained: call fit() or load a checkpoint")
        return {"item_ids": self.item_ids, "item_facts": self.item_facts, "booster": self.booster.model_to_string(),
                "signals": {name: model.state() for name, model in self.signals.items()},
                "gru": self.gru.state() if self.gru is not None else None}

    def load_state(self, state: dict[str, Any]) -> None:
        import lightgbm as lgb

        self.item_ids = np.asarray(state["item_ids"], dtype=np.int64)
        self.item_facts = np.asarray(state["item_facts"], dtype=np.float64)
        self.booster = lgb.Booster(model_str=state["booster"])
        self.signals = {}
        for name, (cls, config) in SIGNALS.items():
            model = cls(dataclasses.replace(config))
            model.load_state(state["signals"][name])
            self.signals[name] = model
        self.gru = None
        if state.get("gru") is not None:
            self.gru = SessionGru(self._gru_config())
            self.gru.load_state(state["gru"])
