"""The ranking stage: a LightGBM lambdarank model over retrieval, interest-unit, SCID and two-tower features.

MercadoLibre (seed 001, §7.1.3 / §7.2.2) ranks a candidate list with gradient boosting (LightGBM) over baseline
features plus the SCID descriptors; Yandex (seed 002, §4) feeds its ranking-tuned two-tower similarity to the
production gradient-boosted ranker and measures the feature's contribution as the ranker's nDCG gain. `ranker`
uses every feature group; `ranker_base` is the same ranker without the SCID and two-tower features.

Training (`fit`): the training events are cut in time; the retrieval sources, SCID and the two-tower are fitted on
the part before the cut, and LightGBM learns on queries after it (VIP session prefixes and homepages), so no
feature has seen its own label (co-occurrence counts would otherwise contain the target pair). Candidates are the
union of the sources' top lists, labels the items touched next, graded. Model scores (the sources', the text
cosine, SCID's coefficients, the two-tower cosine) also enter relative to the query's best candidate (optionally
as their rank within the query), all alike: lambdarank compares candidates within a query, while their absolute
level shifts from user to user. The relevance is the mean of `bags` boosters trained on query subsamples under
different seeds (less variance than one booster, whose early stopping on noisy labels picks anywhere from a few to
a few dozen trees). LightGBM runs deterministically
(`deterministic=True`, one thread, seeds derived from `seed`): the same data gives the same trees.

Serving: `score(query, candidates)` re-ranks any candidate list; features come from lookups fitted with the model
(no database access), one GRU step per new session event for SCID (`ScidState`, cached per user), and one user
vector per request for the two-tower (its context tower is never called).
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from recommender.base import Query, Recommender, config_from_dict, register
from recommender.data import Dataset
from recommender.nets.ranking_two_tower.model import RankingTwoTower
from recommender.nets.ranking_two_tower.network import RankingTwoTowerConfig
from recommender.nets.scid.model import FEATURE_NAMES as SCID_FEATURES
from recommender.nets.scid.model import SCID, ScidState
from recommender.nets.scid.network import SCIDConfig
from recommender.nets.training import (
    STOPPED_BY_EARLY_STOPPING,
    STOPPED_BY_EPOCHS,
    STOPPED_BY_TIME_CAP,
    TrainingConfig,
)
from recommender.ranking.features import (
    BASE_FEATURES,
    RELATIVE_BASE,
    Availability,
    CandidateSources,
    ItemFacts,
    RankingQueries,
    base_features,
    per_query_views,
    ranking_queries,
    view_names,
)

TWO_TOWER_FEATURES: tuple[str, ...] = ("two_tower_cosine",)
logger = logging.getLogger(__name__)
SCID_CACHE_USERS = 10_000  # serving: per-user SCID states kept in memory (least recently used dropped)


@dataclass
class RankerConfig(TrainingConfig):
    use_scid: bool = True  # the 18 SCID coefficients (MercadoLibre §5)
    use_two_tower: bool = True  # the ranking-tuned two-tower cosine (Yandex §3)
    ranker_fraction: float = 0.25  # the latest share of the training span: LightGBM's queries; features before
    per_source: int = 40  # candidates per retrieval source (their union is ranked)
    horizon: int = 5  # labels: the items of the next N interactions after the query point
    # training queries (a seeded sample); None = all. All: on the demo data (10,146 queries with a labelled candidate
    # instead of 6,324) SCID and the two-tower lead ranker_base on 3 seeds (seeds.md), level with the sample
    max_vip_queries: int | None = None
    max_home_queries: int | None = None
    # shared training parameters (`TrainingConfig`): a boosting round is LightGBM's epoch
    epochs: int = 400  # boosting rounds at most; early stopping on the latest queries' nDCG@10 ends sooner
    lr: float = 0.05  # LightGBM's learning_rate (shrinkage)
    patience: int = 50  # rounds without a better validation nDCG@10 before stopping
    valid_fraction: float = 0.15  # the latest training queries, for early stopping
    num_leaves: int = 15  # small trees, many rows per leaf, L2: the labels are noisy (one next click per query)
    min_data_in_leaf: int = 200
    feature_fraction: float = 0.8
    lambda_l2: float = 10.0
    relative: bool = True  # add each model score minus its query's maximum
    # also each model score's rank within its query (0 = best): with all training queries it raised the validation
    # nDCG@10 of ranker_base on 3 seeds and of the ranker on 2 (docs/evaluation/ranker/seeds.md); a served page
    # ranks a few rows of RERANK_POOL x k candidates together, about the size of a training query's list
    rank: bool = True
    bags: int = 5  # boosters averaged, each on a seeded subsample of the training queries
    bag_fraction: float = 0.8  # share of training queries per booster (when bags > 1)
    scid: dict[str, Any] = field(default_factory=lambda: {"epochs": 3, "patience": 2, "max_segments": 20_000})
    two_tower: dict[str, Any] = field(default_factory=lambda: {"pretrain_samples": 60_000, "epochs": 2})

    # fields of earlier versions: old name -> new name, applied when a checkpoint loads
    renamed_fields: ClassVar[dict[str, str | None]] = {
        "num_trees": "epochs", "learning_rate": "lr", "early_stopping": "patience",
    }


def lightgbm_params(config: RankerConfig, bag: int = 0) -> dict[str, Any]:
    subsample = {"bagging_fraction": config.bag_fraction, "bagging_freq": 1, "bagging_by_query": True} \
        if config.bags > 1 else {}
    return {
        "objective": "lambdarank",
        "metric": "ndcg",
        "eval_at": [10],
        "learning_rate": config.lr,
        "num_leaves": config.num_leaves,
        "min_data_in_leaf": config.min_data_in_leaf,
        "feature_fraction": config.feature_fraction,
        "lambda_l2": config.lambda_l2,
        "deterministic": True,
        "force_row_wise": True,
        "num_threads": 1,
        "seed": config.seed + 7919 * bag,  # bag 0 keeps the configured seed
        "verbose": -1,
        **subsample,
    }


class BoosterBag:
    """LightGBM boosters whose predictions are averaged (bagging)."""

    def __init__(self, boosters: list[Any]) -> None:
        self.boosters = boosters

    def predict(self, features: np.ndarray, num_threads: int = 1) -> np.ndarray:
        return np.mean([b.predict(features, num_threads=num_threads) for b in self.boosters], axis=0)

    def num_feature(self) -> int:
        return int(self.boosters[0].num_feature())

    def feature_importance(self, importance_type: str = "gain") -> np.ndarray:
        return np.sum([b.feature_importance(importance_type=importance_type) for b in self.boosters], axis=0)

    def model_strings(self) -> list[str]:
        return [b.model_to_string() for b in self.boosters]

    @classmethod
    def from_strings(cls, models: str | list[str]) -> BoosterBag:
        import lightgbm as lgb

        return cls([lgb.Booster(model_str=m) for m in ([models] if isinstance(models, str) else models)])


def train_lambdarank(
    features: np.ndarray, labels: np.ndarray, group_sizes: np.ndarray, config: RankerConfig,
    feature_names: list[str],
) -> tuple[Any, dict[str, Any]]:
    """`config.bags` LightGBM lambdarank boosters on query groups (rows grouped, in time order), averaged; the
    latest `valid_fraction` of the groups stop each booster early and score the bag. `time_cap_seconds` is a
    safety net over all the bags: when it binds, a WARNING and `stopped_by="time_cap"`."""
    import lightgbm as lgb

    n_valid = int(len(group_sizes) * config.valid_fraction) if len(group_sizes) >= 20 else 0
    split = int(group_sizes[: len(group_sizes) - n_valid].sum())
    train_set = lgb.Dataset(features[:split], labels[:split], group=group_sizes[: len(group_sizes) - n_valid],
                            feature_name=feature_names, free_raw_data=False,
                            params={"verbose": -1, "force_row_wise": True})
    valid_set = lgb.Dataset(features[split:], labels[split:], group=group_sizes[len(group_sizes) - n_valid :],
                            reference=train_set) if n_valid else None
    deadline = time.perf_counter() + config.time_cap_seconds
    capped = False

    def time_cap(env: Any) -> None:
        nonlocal capped
        if time.perf_counter() > deadline:
            capped = True
            raise lgb.callback.EarlyStopException(env.iteration, env.evaluation_result_list or [])

    boosters, trees, rounds = [], [], []
    for bag_index in range(max(config.bags, 1)):
        callbacks = [lgb.early_stopping(config.patience, verbose=False)] if n_valid else []
        booster = lgb.train(lightgbm_params(config, bag_index), train_set, num_boost_round=config.epochs,
                            valid_sets=[valid_set] if valid_set is not None else [], callbacks=[*callbacks, time_cap])
        rounds.append(int(booster.current_iteration()))
        if booster.best_iteration:  # keep only the trees early stopping (or the time cap) chose
            booster = lgb.Booster(model_str=booster.model_to_string(num_iteration=booster.best_iteration))
        boosters.append(booster)
        trees.append(int(booster.num_trees()))
        if capped:
            break
    bag = BoosterBag(boosters)
    stopped_by = STOPPED_BY_TIME_CAP if capped else (
        STOPPED_BY_EARLY_STOPPING if max(rounds) < config.epochs else STOPPED_BY_EPOCHS)  # (or no split helped)
    if capped:
        logger.warning("ranker: LightGBM stopped by the %.0f s time cap after %d of %d bags; its metrics depend on "
                       "the machine's load", config.time_cap_seconds, len(boosters), max(config.bags, 1))
    # epochs_run: the most rounds a bag boosted; trees: what each bag kept (its best round on validation)
    log = {"trees": trees, "epochs_run": max(rounds), "max_epochs": config.epochs, "stopped_by": stopped_by,
           "train_groups": len(group_sizes) - n_valid, "valid_groups": n_valid, "rows": int(len(labels))}
    if n_valid:
        log["valid_ndcg@10"] = bag_ndcg(bag.predict(features[split:]), labels[split:], group_sizes[-n_valid:])
    return bag, log


def bag_ndcg(scores: np.ndarray, labels: np.ndarray, group_sizes: np.ndarray, k: int = 10) -> float:
    """Mean nDCG@k (LightGBM's gains 2^label - 1; a query without a positive counts 1, as LightGBM)."""
    out, start = [], 0
    for n in group_sizes.tolist():
        s, y = scores[start : start + n], labels[start : start + n].astype(np.float64)
        start += n
        discount = 1.0 / np.log2(np.arange(2, min(k, n) + 2))
        ideal = float(((2 ** np.sort(y)[::-1][:k] - 1) * discount).sum())
        order = np.argsort(-s, kind="stable")[:k]
        out.append(float(((2 ** y[order] - 1) * discount).sum()) / ideal if ideal > 0 else 1.0)
    return float(np.mean(out)) if out else 0.0


def label_rows(queries: RankingQueries, candidates: list[np.ndarray]) -> np.ndarray:
    """(sum of candidates,) int32 grades of each candidate under its query's labels."""
    return np.concatenate([
        np.array([labels.get(int(c), 0) for c in cands], dtype=np.int32)
        for labels, cands in zip(queries.labels, candidates, strict=True)
    ]) if candidates else np.zeros(0, dtype=np.int32)


@register("ranker")
class Ranker(Recommender):
    """LightGBM lambdarank over candidate features; `score` is the booster's relevance."""

    name = "ranker"
    config_class = RankerConfig
    primary_protocol = "rerank"
    primary_metric = "ndcg@10"

    def __init__(self, config: RankerConfig | dict | None = None) -> None:
        super().__init__(config)
        self.sources = CandidateSources()
        self.facts = ItemFacts()
        self.scid: SCID | None = None
        self.two_tower: RankingTwoTower | None = None
        self.booster: Any = None
        self.feature_names: list[str] = []
        self._scid_states: OrderedDict[int, tuple[list[tuple[int, int]], ScidState]] = OrderedDict()
        self._scid_lock = threading.Lock()

    # -- features ----------------------------------------------------------------------------------------------
    def group_names(self, group: str) -> list[str]:
        """The columns of one feature group ("base", "scid", "two_tower"): its values, then the per-query views of
        its model scores (every model score gets the same views, so the trees can use each the same way)."""
        names, scores = {"base": (BASE_FEATURES, RELATIVE_BASE), "scid": (SCID_FEATURES, SCID_FEATURES),
                         "two_tower": (TWO_TOWER_FEATURES, TWO_TOWER_FEATURES)}[group]
        return list(names) + view_names(scores, relative=self.config.relative, rank=self.config.rank)

    def feature_groups(self) -> list[str]:
        names = self.group_names("base")
        if self.config.use_scid:
            names += self.group_names("scid")
        if self.config.use_two_tower:
            names += self.group_names("two_tower")
        return names

    def fit_components(self, dataset: Dataset) -> dict[str, Any]:
        """Fit the retrieval sources, item / unit facts, SCID and the two-tower on `dataset` (the early part)."""
        cfg = self.config
        log: dict[str, Any] = {}
        started = time.perf_counter()
        self.sources.fit(dataset)
        self.facts.fit(dataset.items, dataset.events)
        log["sources_seconds"] = round(time.perf_counter() - started, 1)
        if cfg.use_scid:
            started = time.perf_counter()
            self.scid = SCID(config_from_dict(SCIDConfig, {"seed": cfg.seed, **cfg.scid}))
            scid_log = self.scid.fit(dataset)
            log["scid"] = {"epochs_run": scid_log["epochs_run"], "stopped_by": scid_log["stopped_by"],
                           "train_segments": scid_log["train_segments"], "best_valid_loss": scid_log["best_valid"],
                           "seconds": round(time.perf_counter() - started, 1)}
        if cfg.use_two_tower:
            self.two_tower, log["two_tower"] = self.fit_two_tower(dataset)
        return log

    def fit_two_tower(self, dataset: Dataset, **overrides: Any) -> tuple[RankingTwoTower, dict[str, Any]]:
        """A two-tower fitted on `dataset` under this ranker's settings (plus `overrides`), and its log."""
        started = time.perf_counter()
        model = RankingTwoTower(config_from_dict(RankingTwoTowerConfig, {"seed": self.config.seed,
                                                                         **self.config.two_tower, **overrides}))
        fit_log = model.fit(dataset)
        return model, {"epochs_run": fit_log["epochs_run"], "stopped_by": fit_log["stopped_by"],
                       "pretrain_loss": fit_log["pretrain_loss"], "finetune_loss": fit_log["finetune_loss"],
                       "finetune_groups": fit_log["finetune_groups"],
                       "seconds": round(time.perf_counter() - started, 1)}

    def features(self, queries: list[Query], candidates: list[np.ndarray], *, incremental: bool = False,
                 two_towers: dict[str, RankingTwoTower] | None = None) -> np.ndarray:
        """(sum of candidates, len(feature_groups())) float32 rows, query by query. `two_towers` replaces the
        two-tower column (and its relative one) by one (two) per given model (ablations); `incremental` uses the
        cached SCID states."""
        scores: list[dict[str, np.ndarray]] = []
        for s in range(0, len(queries), 128):
            batch, cands = queries[s : s + 128], candidates[s : s + 128]
            flat = np.unique(np.concatenate(cands)) if cands and sum(len(c) for c in cands) else np.zeros(0, np.int64)
            matrix = self.sources.scores(batch, flat)
            for b, c in enumerate(cands):
                cols = np.searchsorted(flat, c)
                scores.append({name: m[b, cols] for name, m in matrix.items()})
        sizes = np.array([len(c) for c in candidates], dtype=np.int64)
        base = base_features(queries, candidates, scores, self.facts, self.sources.content)
        views = {"relative": self.config.relative, "rank": self.config.rank}
        blocks = [base, *per_query_views(base[:, [BASE_FEATURES.index(n) for n in RELATIVE_BASE]], sizes, **views)]
        if self.config.use_scid:
            scid = self._scid_features(queries, candidates, incremental)
            blocks += [scid, *per_query_views(scid, sizes, **views)]
        if two_towers is None:
            two_towers = {}
            if self.config.use_two_tower:
                assert self.two_tower is not None
                two_towers = {"two_tower": self.two_tower}
        for tower in two_towers.values():
            cosine = np.concatenate([
                np.asarray(tower.score(q, c), dtype=np.float32)[:, None] if len(c) else np.zeros((0, 1), np.float32)
                for q, c in zip(queries, candidates, strict=True)
            ]) if queries else np.zeros((0, 1), dtype=np.float32)
            blocks += [cosine, *per_query_views(cosine, sizes, **views)]
        return np.concatenate(blocks, axis=1).astype(np.float32)

    def _scid_features(self, queries: list[Query], candidates: list[np.ndarray], incremental: bool) -> np.ndarray:
        assert self.scid is not None
        if not queries:
            return np.zeros((0, len(SCID_FEATURES)), dtype=np.float32)
        if not incremental:
            return np.concatenate([self.scid.features(q, c) for q, c in zip(queries, candidates, strict=True)])
        return np.concatenate([self.scid.state_features(self.scid_state(q), c)
                               for q, c in zip(queries, candidates, strict=True)])

    def scid_state(self, query: Query) -> ScidState:
        """The query's session as an incremental SCID state: the user's cached state advanced by the session's
        new events (one GRU step each), rebuilt when the session changed."""
        assert self.scid is not None
        items, actions = self.scid._query_session(query)
        events = list(zip(items.tolist(), actions.tolist(), strict=True))
        with self._scid_lock:
            cached = self._scid_states.get(query.user_id) if query.user_id is not None else None
        if cached is not None and cached[0] == events[: len(cached[0])]:
            done, state = len(cached[0]), copy.deepcopy(cached[1])
        else:
            done, state = 0, self.scid.state_init()
        for item, action in events[done:]:
            self.scid.state_update(state, item, action)
        if query.user_id is not None:
            with self._scid_lock:
                self._scid_states[query.user_id] = (events, state)
                self._scid_states.move_to_end(query.user_id)
                while len(self._scid_states) > SCID_CACHE_USERS:
                    self._scid_states.popitem(last=False)
        return state

    # -- training -----------------------------------------------------------------------------------------------
    def split_time(self, dataset: Dataset) -> float:
        ts = dataset.events.timestamp
        first, last = float(ts.min()), float(ts.max())
        return last - self.config.ranker_fraction * (last - first)

    def training_queries(self, dataset: Dataset) -> tuple[RankingQueries, list[np.ndarray]]:
        """Queries after the cut, their candidates from the (already fitted) sources, those with a labelled
        candidate only."""
        cfg = self.config
        queries = ranking_queries(dataset.events, since=self.split_time(dataset), max_vip=cfg.max_vip_queries,
                                  max_home=cfg.max_home_queries, horizon=cfg.horizon, seed=cfg.seed)
        available = Availability(dataset.items, dataset.events)
        candidates = self.sources.retrieve(queries.queries, available, per_source=cfg.per_source)
        useful = np.array([any(int(c) in labels for c in cands)
                           for labels, cands in zip(queries.labels, candidates, strict=True)], dtype=bool)
        rows = np.flatnonzero(useful)
        return queries.subset(rows), [candidates[i] for i in rows]

    def fit(self, dataset: Dataset, valid: Dataset | None = None) -> dict[str, Any]:
        events = dataset.events
        if len(events) == 0:
            raise ValueError("Ranker.fit: no events")
        cut = self.split_time(dataset)
        early = Dataset(events=events.select(events.timestamp < cut), items=dataset.items, name=dataset.name,
                        unit_features=dataset.unit_features)
        log = self.fit_components(early)
        started = time.perf_counter()
        queries, candidates = self.training_queries(dataset)
        if not len(queries):
            raise ValueError("Ranker.fit: no training query has a labelled candidate")
        features = self.features(queries.queries, candidates)
        labels = label_rows(queries, candidates)
        log["feature_seconds"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        self.feature_names = self.feature_groups()
        self.booster, log["lightgbm"] = train_lambdarank(
            features, labels, np.array([len(c) for c in candidates]), self.config, self.feature_names)
        log["lightgbm"]["seconds"] = round(time.perf_counter() - started, 1)
        log["queries"] = len(queries)
        # the run's epochs are LightGBM's rounds; a time cap anywhere (SCID, two-tower, LightGBM) is reported
        log["epochs_run"], log["max_epochs"] = log["lightgbm"]["epochs_run"], self.config.epochs
        stages = [log[k].get("stopped_by") for k in ("scid", "two_tower") if k in log] + [log["lightgbm"]["stopped_by"]]
        log["stopped_by"] = STOPPED_BY_TIME_CAP if STOPPED_BY_TIME_CAP in stages else log["lightgbm"]["stopped_by"]
        self.data_window = {"start": float(events.timestamp.min()), "feature_cut": cut,
                            "end": float(events.timestamp.max()), "events": len(events)}
        return log

    # -- scoring ------------------------------------------------------------------------------------------------
    def _require_booster(self) -> Any:
        if self.booster is None:
            raise RuntimeError("Ranker is not trained: call fit() or load a checkpoint")
        return self.booster

    def score_lists(self, queries: list[Query], candidates: list[np.ndarray], *, incremental: bool = False,
                    ) -> list[np.ndarray]:
        """Relevance of each query's candidates (batched feature assembly, one booster call)."""
        booster = self._require_booster()
        features = self.features(queries, candidates, incremental=incremental)
        scores = booster.predict(features, num_threads=1) if len(features) else np.zeros(0)
        bounds = np.cumsum([0] + [len(c) for c in candidates])
        return [np.asarray(scores[a:b], dtype=np.float64) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]

    def score(self, query: Query, candidates: np.ndarray) -> np.ndarray:
        candidates = np.asarray(candidates, dtype=np.int64)
        return self.score_lists([query], [candidates], incremental=query.user_id is not None)[0]

    # -- persistence ----------------------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        booster = self._require_booster()
        return {
            "booster": booster.model_strings(),
            "feature_names": self.feature_names,
            "sources": self.sources.state(),
            "facts": self.facts.state(),
            "scid": None if self.scid is None else {
                "config": dataclasses.asdict(self.scid.config), "state": self.scid.state()},
            "two_tower": None if self.two_tower is None else {
                "config": dataclasses.asdict(self.two_tower.config), "state": self.two_tower.state()},
        }

    def load_state(self, state: dict[str, Any]) -> None:
        self.booster = BoosterBag.from_strings(state["booster"])
        self.feature_names = list(state["feature_names"])
        # checkpoints from before the relative / rank features: serve them with the features they were trained on
        self.config = dataclasses.replace(self.config, relative=any(n.endswith("_rel") for n in self.feature_names),
                                          rank=any(n.endswith("_rank") for n in self.feature_names))
        self.sources.load_state(state["sources"])
        self.facts.load_state(state["facts"])
        self.scid = self.two_tower = None
        if state["scid"] is not None:
            self.scid = SCID(config_from_dict(SCIDConfig, state["scid"]["config"]))
            self.scid.load_state(state["scid"]["state"])
        if state["two_tower"] is not None:
            self.two_tower = RankingTwoTower(config_from_dict(RankingTwoTowerConfig, state["two_tower"]["config"]))
            self.two_tower.load_state(state["two_tower"]["state"])
        self._scid_states.clear()


register("ranker_base", defaults={"use_scid": False, "use_two_tower": False})(Ranker)
