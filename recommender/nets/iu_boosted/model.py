"""The registered IU-Boosted recommender (`iu_boosted`, with `din` and `dnn` as configurations of it): builds the
features and samples, trains the network with the shared Trainer (eq. 2), scores candidates, saves and loads."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import torch
from torch import nn

from recommender.base import Query, Recommender, pick_device, register
from recommender.data import Dataset, EventLog, ItemTable
from recommender.metrics import auc
from recommender.nets.iu_boosted.features import CLICK, DAY, CTRFeaturizer, UnitDayTable, unit_columns, unit_day_table
from recommender.nets.iu_boosted.network import UNIT_MODULES, IUBoostedConfig, IUBoostedNet
from recommender.nets.iu_boosted.samples import (
    CTRBatch,
    CTRSamples,
    assemble_samples,
    build_ctr_samples,
    merge_click_history,
)
from recommender.nets.training import Monitor, Trainer, seed_everything, time_cutoff


@register("iu_boosted")
class IUBoosted(Recommender):
    """CTR ranker over impressions; `score` returns click probabilities of candidates for a query's history."""

    name = "iu_boosted"
    config_class = IUBoostedConfig
    primary_protocol = "ctr"
    primary_metric = "auc"
    predicts_impressions = True

    def __init__(self, config: IUBoostedConfig | dict | None = None) -> None:
        super().__init__(config)
        self.device = pick_device()
        self.featurizer: CTRFeaturizer | None = None
        self.net: IUBoostedNet | None = None
        self.catalog: ItemTable | None = None
        self.unit_features: dict[int, np.ndarray] = {}

    # -- data ---------------------------------------------------------------------------------------------------
    def _model_items(self, items: ItemTable) -> ItemTable:
        """`items` with `interest_unit` holding the unit kind this model reads (`unit_kind`); tables without SPU
        units (toy and file data sets) keep their primary unit."""
        if self.config.unit_kind not in ("spu", "semantic"):
            raise ValueError(f"unit_kind must be 'spu' or 'semantic', not {self.config.unit_kind!r}")
        if self.config.unit_kind == "spu" and items.spu_unit is not None:
            return dataclasses.replace(items, interest_unit=items.spu_unit)
        return items

    def _model_dataset(self, dataset: Dataset) -> Dataset:
        return dataclasses.replace(dataset, items=self._model_items(dataset.items))

    def build_samples(
        self,
        dataset: Dataset,
        history: EventLog | tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
        unit_days: UnitDayTable | None = None,
    ) -> CTRSamples:
        """`build_ctr_samples` with this model's featurizer and sequence limits (`unit_days`: point-in-time unit
        statistics, for training)."""
        assert self.featurizer is not None, "fit the model first"
        c = self.config
        dataset = self._model_dataset(dataset)
        if not c.unit_stats:
            dataset = dataclasses.replace(dataset, unit_features={})
        return build_ctr_samples(
            dataset,
            self.featurizer,
            history=history,
            max_history=c.max_history,
            window_days=c.window_days,
            max_units=c.max_units,
            max_unit_items=c.max_unit_items,
            unit_days=unit_days if c.unit_stats else None,
            content=c.content_sim,
        )

    def training_samples(self, dataset: Dataset, unit_days: UnitDayTable | None = None) -> CTRSamples:
        """Samples of `dataset`'s impressions as `fit` trains on them: each reads its unit's statistics as of the
        start of its day (`unit_days`, default: counted from `dataset.events`), never its own day's clicks."""
        if unit_days is None and self.config.unit_stats:
            unit_days = self.training_unit_days(dataset)
        return self.build_samples(dataset, unit_days=unit_days)

    def training_unit_days(self, dataset: Dataset) -> UnitDayTable:
        """`unit_day_table` of `dataset`'s events, without statistics on the days whose longest `unit_windows`
        window reaches back before the data starts: cut-short counts are not what the split / serving read."""
        table = unit_day_table(dataset.events, self._model_items(dataset.items))
        table.present[: max(self.config.unit_windows)] = False
        return table

    def catalog_extend(self, items: ItemTable, unit_features: dict[int, np.ndarray] | None = None) -> None:
        """Listings (and unit statistics) `score` looks candidates and history up in; rows of `items` replace
        earlier rows with the same id, other rows stay. Call when new listings go live or unit stats refresh."""
        self.catalog = _merge_items(self.catalog, self._model_items(items))  # sorted by id: lookups skip a sort
        if unit_features is not None:
            self.unit_features = {**self.unit_features, **{int(k): np.asarray(v) for k, v in unit_features.items()}}

    def set_unit_features(self, unit_features: dict[int, np.ndarray]) -> None:
        """Fresh unit statistics (serving: units keep accumulating after training); other units keep theirs."""
        if not self.config.unit_stats:
            return
        self.unit_features = {**self.unit_features, **{int(k): np.asarray(v) for k, v in unit_features.items()}}

    # -- training -----------------------------------------------------------------------------------------------
    def fit(self, dataset: Dataset, valid: Dataset | None = None) -> dict[str, Any]:
        c = self.config
        rng = seed_everything(c.seed)
        dataset = self._model_dataset(dataset)
        # Training impressions read their unit's statistics as of the start of their day, counted from the
        # training events (the stored counters cover the training days: an impression's own click would be in
        # its unit's CTR); validation / test / serving read `unit_features`, counted up to the split or now.
        unit_days = self.training_unit_days(dataset) if c.unit_stats else None
        if not c.unit_stats:
            dataset = dataclasses.replace(dataset, unit_features={})
        self.featurizer = CTRFeaturizer.fit(
            dataset, c.min_count, c.max_items, c.log_unit_features, c.item_min_count,
            unit_stats=None if unit_days is None else unit_days.stats[unit_days.present],
            unit_columns=unit_columns(c.unit_windows) if c.unit_stats else None,
        )
        self.net = IUBoostedNet(c, self.featurizer.sizes(), self.featurizer.unit_dim).to(self.device)
        self.catalog, self.unit_features = None, {}
        self.catalog_extend(dataset.items, dataset.unit_features)
        samples = self.training_samples(dataset, unit_days)
        if valid is not None:
            valid_samples = self.build_samples(valid, history=merge_click_history(dataset.events, valid.events))
            train_rows = np.arange(len(samples))
        else:  # the latest impressions validate
            cut = time_cutoff(samples.timestamp, c.valid_fraction)
            cut = np.inf if cut is None else cut
            train_rows = np.flatnonzero(samples.timestamp < cut)
            valid_samples = samples.select(np.flatnonzero(samples.timestamp >= cut))
        events = dataset.events
        self.data_window = {
            "start": float(events.timestamp.min()) if len(events) else None,
            "end": float(events.timestamp.max()) if len(events) else None,
            "impressions": int(len(samples)),
        }
        unit_params = [p for name, p in self.net.named_parameters() if name.startswith(UNIT_MODULES)]
        other_params = [p for name, p in self.net.named_parameters() if not name.startswith(UNIT_MODULES)]
        groups = [{"params": other_params}]
        if unit_params:
            groups.append({"params": unit_params, "weight_decay": c.weight_decay + c.unit_weight_decay})
        optimizer = torch.optim.Adam(groups, lr=c.lr, weight_decay=c.weight_decay)
        loss_fn = nn.BCEWithLogitsLoss()
        lengths = samples.hist_end - samples.hist_start

        def batch_loss(rows: np.ndarray) -> torch.Tensor:
            assert self.net is not None
            batch = samples.batch(rows, self.device)
            return loss_fn(self.net(batch), batch.label)  # eq. 2

        def validate() -> dict[str, float]:
            return {"valid_auc": _auc(valid_samples.label, self.predict_samples(valid_samples))}

        trainer = Trainer(
            self.net, optimizer, epochs=c.epochs, patience=c.patience, time_cap_seconds=c.time_cap_seconds,
            monitor=Monitor("valid_auc"), name=self.name, rng=rng,
        )  # fmt: skip
        fit_log = trainer.fit(
            lambda epoch: _length_batches(train_rows, lengths, c.batch_size, rng), batch_loss,
            validate if len(valid_samples) else None,
        )  # fmt: skip
        return {
            "n_train": int(len(train_rows)),
            "n_valid": int(len(valid_samples)),
            **fit_log.as_dict(),
            "best_valid_auc": fit_log.best_valid,
        }

    # -- prediction ---------------------------------------------------------------------------------------------
    @torch.no_grad()
    def predict_ctr(self, batch: CTRBatch, shared_history: bool = False) -> np.ndarray:
        """(B,) float32 click probabilities (`shared_history`: every row has the same history)."""
        assert self.net is not None, "fit the model first"
        self.net.eval()
        return torch.sigmoid(self.net(batch.to(self.device), shared_history)).float().cpu().numpy()

    def predict_samples(self, samples: CTRSamples, batch_size: int = 2048) -> np.ndarray:
        """(n,) float32 click probabilities of every sample (batched by history length: less padding)."""
        order = np.argsort(samples.hist_end - samples.hist_start, kind="stable")
        shared = len(samples) > 0 and bool(
            np.all(samples.hist_start == samples.hist_start[0]) and np.all(samples.hist_end == samples.hist_end[0])
        )
        out = np.zeros(len(samples), dtype=np.float32)
        for first in range(0, len(samples), batch_size):
            rows = order[first : first + batch_size]
            out[rows] = self.predict_ctr(samples.batch(rows), shared_history=shared)
        return out

    def predict_impressions(self, dataset: Dataset, history: EventLog | None = None) -> tuple[CTRSamples, np.ndarray]:
        """Samples of `dataset`'s impressions (history: its clicks plus `history`'s) and their probabilities."""
        samples = self.build_samples(dataset, history=merge_click_history(history, dataset.events))
        return samples, self.predict_samples(samples)

    def score(self, query: Query, candidates: np.ndarray) -> np.ndarray:
        assert self.featurizer is not None and self.catalog is not None, "fit the model first"
        c = self.config
        candidates = np.asarray(candidates, dtype=np.int64)
        history = np.asarray(query.history, dtype=np.int64)
        keep = history >= 0
        if len(query.history_actions) == len(history):
            keep &= np.asarray(query.history_actions) == CLICK
        if len(query.history_timestamps) == len(history) and len(history):
            stamps = np.asarray(query.history_timestamps, dtype=np.float64)
            now = query.timestamp if query.timestamp is not None else float(stamps.max()) + 1.0
            keep &= (stamps < now) & (stamps >= now - c.window_days * DAY)
        clicks = history[keep][-c.max_history :]
        n = len(candidates)
        samples = assemble_samples(
            self.featurizer,
            self.catalog,
            self.unit_features,
            user=np.full(n, -1 if query.user_id is None else query.user_id, dtype=np.int64),
            request=np.full(n, -1, dtype=np.int64),
            timestamp=np.full(n, query.timestamp or 0.0, dtype=np.float64),
            item_id=candidates,
            label=np.zeros(n, dtype=np.float32),
            click_item=clicks,
            hist_start=np.zeros(n, dtype=np.int64),
            hist_end=np.full(n, len(clicks), dtype=np.int64),
            max_units=c.max_units,
            max_unit_items=c.max_unit_items,
            content=c.content_sim,
        )
        return self.predict_samples(samples).astype(np.float64)

    # -- persistence --------------------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        assert self.net is not None and self.featurizer is not None and self.catalog is not None
        items = self.catalog
        return {
            "net": {k: v.detach().cpu() for k, v in self.net.state_dict().items()},
            "featurizer": self.featurizer.state(),
            "catalog": {
                "item_id": items.item_id,
                "category": items.category,
                "brand": items.brand,
                "product": items.product,
                "condition": items.condition,
                "price": items.price,
                "created_at": items.created_at,
                "interest_unit": items.interest_unit,  # the unit kind the model reads
                "spu_unit": items.spu_unit,
                "text_vector": items.text_vector,
            },
            "unit_features": {int(k): np.asarray(v) for k, v in self.unit_features.items()},
        }

    def load_state(self, state: dict[str, Any]) -> None:
        if "text_vector" not in state["catalog"]:  # saved before the content features existed
            self.config = dataclasses.replace(self.config, content_sim=False)
        if "spu_unit" not in state["catalog"]:  # saved before `unit_kind`: trained on the primary units
            self.config = dataclasses.replace(self.config, unit_kind="semantic")
        self.featurizer = CTRFeaturizer.from_state(state["featurizer"])
        self.net = IUBoostedNet(self.config, self.featurizer.sizes(), self.featurizer.unit_dim)
        self.net.load_state_dict(state["net"])
        self.net.to(self.device)
        self.catalog = ItemTable(**state["catalog"])
        self.unit_features = dict(state["unit_features"])


register("din", defaults={"use_units": False})(IUBoosted)
register("dnn", defaults={"use_units": False, "use_attention": False})(IUBoosted)


def _merge_items(old: ItemTable | None, new: ItemTable) -> ItemTable:
    """`old` rows whose id is not in `new` plus every row of `new` (the columns the CTR model reads), sorted by id.
    A listing that appears twice in `new` keeps its last row."""
    if old is None:
        old = ItemTable.ids_only(np.zeros(0, dtype=np.int64))
    keep = ~np.isin(old.item_id, new.item_id)
    m_new = len(new)

    def units(column: np.ndarray | None, n: int) -> np.ndarray:
        return np.zeros(n, np.int64) if column is None else np.asarray(column, np.int64)

    merged = ItemTable(
        item_id=np.r_[old.item_id[keep], new.item_id].astype(np.int64),
        category=np.concatenate(
            [np.asarray(old.category).reshape(-1, 3)[keep], np.asarray(new.category).reshape(-1, 3)]
        ),
        brand=np.r_[old.brand[keep], new.brand],
        product=np.r_[old.product[keep], new.product],
        condition=np.r_[old.condition[keep], new.condition],
        price=np.r_[old.price[keep], new.price].astype(np.float32),
        created_at=np.r_[old.created_at[keep], new.created_at],
        interest_unit=np.r_[units(old.interest_unit, len(old))[keep], units(new.interest_unit, m_new)],
        spu_unit=np.r_[units(old.spu_unit, len(old))[keep], units(new.spu_unit, m_new)],
        text_vector=_merge_vectors(old, keep, new),
    )
    ids = merged.item_id[::-1]
    _, last = np.unique(ids, return_index=True)  # unique sorts by id; index of each id's last row
    rows = len(ids) - 1 - last
    return merged.subset(rows)


def _merge_vectors(old: ItemTable, keep: np.ndarray, new: ItemTable) -> np.ndarray | None:
    """float16 text vectors of `old` rows `keep` then `new` (zeros where a table has none); None when neither has."""
    present = [t.text_vector for t in (new, old) if t.text_vector is not None]
    if not present:
        return None
    dim = present[0].shape[1]

    def vectors(table: ItemTable) -> np.ndarray:
        v = table.text_vector
        return np.zeros((len(table), dim), np.float16) if v is None else np.asarray(v, np.float16)

    return np.concatenate([vectors(old)[keep], vectors(new)])


def _length_batches(
    rows: np.ndarray, lengths: np.ndarray, batch_size: int, rng: np.random.Generator, window: int = 50
) -> list[np.ndarray]:
    """Minibatches of `rows` in random order, each of rows with similar history lengths: shuffled rows are cut
    into windows of `window` batches and sorted by length inside each window. A batch is padded to its longest
    history, so this cuts the padding (most users have a few clicks, some have 150) without changing the loss."""
    perm = rng.permutation(rows)
    span = batch_size * window
    batches: list[np.ndarray] = []
    for first in range(0, len(perm), span):
        chunk = perm[first : first + span]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def _auc(labels: np.ndarray, scores: np.ndarray) -> float:
    value = auc(labels, scores)
    return 0.0 if math.isnan(value) else float(value)
