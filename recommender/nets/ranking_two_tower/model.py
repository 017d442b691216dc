"""The registered ranking two-tower recommender (`ranking_two_tower`): builds the vocabularies and the item
lookup, trains in two stages with the shared Trainer (3.5), and serves cosine(user vector, item vector)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from recommender.base import Query, Recommender, pick_device, register
from recommender.data import ACTION_CODE, INTERACTION_CODES, Dataset, EventLog, ItemTable
from recommender.nets.item_lookup import lookup_extend
from recommender.nets.ranking_two_tower.network import (
    N_SURFACES,
    SEARCH,
    SIGNALS,
    RankingTwoTowerConfig,
    RankingTwoTowerNet,
)
from recommender.nets.training import Monitor, Trainer, batches_of, seed_everything, time_cutoff

TEXT_DIM = 384
IMPRESSION = ACTION_CODE["impression"]
HISTORY_CODES: frozenset[int] = INTERACTION_CODES | {SEARCH}  # what the user tower reads
PRETRAIN_POSITIVES: tuple[int, ...] = tuple(
    ACTION_CODE[a] for a in ("item_view", "item_like", "item_add_to_cart_tap", "buy_comp")
)
SIGNAL_ACTION = {"click": "item_view", "cart": "item_add_to_cart_tap", "like": "item_like", "purchase": "buy_comp"}
CATEGORICAL: tuple[str, ...] = ("c0", "c1", "c2", "brand", "condition", "price_bucket")


@register("ranking_two_tower")
class RankingTwoTower(Recommender):
    """Serving score = cosine(user vector, item vector); the context tower is training-only."""

    name = "ranking_two_tower"
    config_class = RankingTwoTowerConfig
    primary_protocol = "ctr"
    primary_metric = "auc"

    def __init__(self, config: RankingTwoTowerConfig | dict | None = None) -> None:
        super().__init__(config)
        self.device = pick_device()
        self.net: RankingTwoTowerNet | None = None
        self.text_dim = TEXT_DIM
        self.vocabularies: list[np.ndarray] = []  # per CATEGORICAL column (price bucket excluded): sorted raw ids
        self.price_edges = np.zeros(0, dtype=np.float64)  # log-price bucket edges
        self.device_ids = np.zeros(0, dtype=np.int64)  # raw device ids seen in training (row 0 = unknown)
        self._item_ids = np.zeros(0, dtype=np.int64)  # sorted
        self._item_text = np.zeros((1, TEXT_DIM), dtype=np.float16)  # + one all-missing row
        self._item_cats = np.zeros((1, len(CATEGORICAL)), dtype=np.int64)
        self._item_vectors: torch.Tensor | None = None  # serving cache over the lookup table

    # -- item content ---------------------------------------------------------------------------------------
    def _columns(self, items: ItemTable) -> list[np.ndarray]:
        return [items.category[:, 0], items.category[:, 1], items.category[:, 2], items.brand, items.condition]

    def _build_vocabularies(self, items: ItemTable) -> None:
        self.vocabularies = []
        for column in self._columns(items):
            values, counts = np.unique(column[column != 0], return_counts=True)
            if len(values) > self.config.max_vocab:
                values = values[np.argsort(-counts, kind="stable")[: self.config.max_vocab]]
            self.vocabularies.append(np.sort(values).astype(np.int64))
        log_price = np.log1p(np.maximum(items.price.astype(np.float64), 0.0))
        qs = np.linspace(0, 1, self.config.price_buckets + 1)[1:-1]
        self.price_edges = np.unique(np.quantile(log_price, qs)) if len(log_price) else np.zeros(0)

    def _vocab_sizes(self) -> list[int]:
        return [len(v) + 1 for v in self.vocabularies] + [len(self.price_edges) + 2]

    def catalog_extend(self, items: ItemTable) -> None:
        """New listings join the content lookup; a listing it holds already gets its new row, the others stay."""
        old = self._item_ids, (self._item_text, self._item_cats)
        self._items_encode(items)
        new = self._item_ids, (self._item_text, self._item_cats)
        self._item_ids, (self._item_text, self._item_cats) = lookup_extend(*old, *new)

    def _items_encode(self, items: ItemTable) -> None:
        """Replace the content lookup (new listings are embedded inductively; vocabularies stay fixed)."""
        order = np.argsort(items.item_id, kind="stable")
        m = len(items)
        text = np.zeros((m + 1, self.text_dim), dtype=np.float16)
        if items.text_vector is not None and items.text_vector.shape[1] == self.text_dim:
            text[:m] = items.text_vector[order]
        cats = np.zeros((m + 1, len(CATEGORICAL)), dtype=np.int64)
        for c, (vocab, column) in enumerate(zip(self.vocabularies, self._columns(items), strict=True)):
            column = column[order]
            if len(vocab):
                pos = np.clip(np.searchsorted(vocab, column), 0, len(vocab) - 1)
                cats[:m, c] = np.where((vocab[pos] == column) & (column != 0), pos + 1, 0)
        log_price = np.log1p(np.maximum(items.price[order].astype(np.float64), 0.0))
        cats[:m, -1] = np.searchsorted(self.price_edges, log_price) + 1  # 0 stays for unknown items
        self._item_ids = items.item_id[order].astype(np.int64)
        self._item_text, self._item_cats = text, cats
        self._item_vectors = None

    def _rows(self, item_ids: np.ndarray) -> np.ndarray:
        """Lookup rows for item ids; unknown ids (and -1) get the last, all-missing row."""
        item_ids = np.asarray(item_ids, dtype=np.int64)
        n = len(self._item_ids)
        if n == 0:
            return np.zeros(item_ids.shape, dtype=np.int64)
        pos = np.clip(np.searchsorted(self._item_ids, item_ids), 0, n - 1)
        return np.where(self._item_ids[pos] == item_ids, pos, n)

    def _item_inputs(self, rows: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        text = torch.from_numpy(self._item_text[rows].astype(np.float32)).to(self.device)
        return text, torch.from_numpy(self._item_cats[rows]).to(self.device)

    def _device_rows(self, device: np.ndarray | None, n: int) -> np.ndarray:
        if device is None or len(self.device_ids) == 0:
            return np.zeros(n, dtype=np.int64)
        device = np.asarray(device, dtype=np.int64)
        pos = np.clip(np.searchsorted(self.device_ids, device), 0, len(self.device_ids) - 1)
        return np.where(self.device_ids[pos] == device, pos + 1, 0)

    # -- histories ---------------------------------------------------------------------------------------------
    def _history_index(self, events: EventLog) -> dict[str, Any]:
        """History events (interactions + searches) sorted by (user, time), with a key for segmented search."""
        keep = np.flatnonzero(np.isin(events.action, list(HISTORY_CODES)))
        keep = keep[np.lexsort((events.timestamp[keep], events.user[keep]))]
        users, rank = np.unique(events.user[keep], return_inverse=True)
        t0 = float(events.timestamp.min()) if len(events) else 0.0
        span = float(events.timestamp.max() - t0) + abs(self.config.history_delay_s) + 10.0 if len(events) else 10.0
        ts = events.timestamp[keep] - t0
        query = getattr(events, "query_vector", None)  # optional (n, text_dim): search query text vectors
        return {
            "users": users,  # sorted raw user ids
            "block_start": np.searchsorted(rank, np.arange(len(users))),  # first row of each user
            "key": rank * span + ts,  # non-decreasing in the sorted order: user blocks, then time (float64)
            "time": events.timestamp[keep],  # unix seconds
            "t0": t0,
            "span": span,
            "row": self._rows(np.where(events.item[keep] >= 0, events.item[keep], -1)),
            "action": events.action[keep].astype(np.int64),
            "query": None if query is None else np.asarray(query)[keep],
        }

    def _history_ends(self, index: dict[str, Any], user: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """[start, end) rows of each user's history strictly before t - history_delay_s."""
        users = index["users"]
        if len(users) == 0:
            zeros = np.zeros(len(user), dtype=np.int64)
            return zeros, zeros
        pos = np.clip(np.searchsorted(users, user), 0, len(users) - 1)
        known = users[pos] == user
        cutoff = pos * index["span"] + (t - self.config.history_delay_s - index["t0"])
        return self._history_window(index, pos, cutoff, known)

    def _history_window(
        self, index: dict[str, Any], pos: np.ndarray, cutoff: np.ndarray, known: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """[start, end) of user `pos`'s rows with key < cutoff, at most `max_history` of them."""
        end = np.searchsorted(index["key"], cutoff, side="left")
        start = np.minimum(np.maximum(index["block_start"][pos], end - self.config.max_history), end)
        if known is not None:
            end, start = np.where(known, end, 0), np.where(known, start, 0)
        return start, end

    def _history_batch(self, index: dict[str, Any], start: np.ndarray, end: np.ndarray) -> dict[str, torch.Tensor]:
        L = self.config.max_history
        idx = end[:, None] - L + np.arange(L)[None, :]  # (B, L), latest last
        valid = idx >= start[:, None]
        idx = np.where(valid, idx, 0)
        pad = len(self._item_ids)
        rows = np.where(valid, index["row"][idx] if len(index["row"]) else pad, pad)
        action = np.where(valid, index["action"][idx] if len(index["action"]) else 0, 0)
        text, cats = self._item_inputs(rows)
        has_query = np.zeros(valid.shape, dtype=bool)
        if index["query"] is not None and len(index["row"]):
            q = index["query"][idx].astype(np.float32)  # (B, L, text_dim)
            has_query = valid & (action == SEARCH) & (np.abs(q).sum(-1) > 0)
            text = torch.where(
                torch.from_numpy(has_query).to(self.device)[..., None], torch.from_numpy(q).to(self.device), text
            )
        position = np.clip(end[:, None] - 1 - idx, 0, L - 1)  # reversed: latest = 0
        return {
            "text": text,  # (B, L, text_dim)
            "cats": cats,  # (B, L, C)
            "action": torch.from_numpy(action.astype(np.int64)).to(self.device),  # (B, L)
            "position": torch.from_numpy(position.astype(np.int64)).to(self.device),  # (B, L)
            "valid": torch.from_numpy(valid).to(self.device),  # (B, L)
            "has_query": torch.from_numpy(has_query).to(self.device),  # (B, L)
        }

    # -- impression groups ------------------------------------------------------------------------------------
    def _impression_groups(self, events: EventLog) -> dict[str, Any] | None:
        """Impressions grouped by request, with per-signal labels; groups without a positive are dropped."""
        if events.request is None:
            return None
        imp = np.flatnonzero((events.action == IMPRESSION) & (events.request >= 0) & (events.item >= 0))
        if len(imp) == 0:
            return None
        position = events.position[imp] if events.position is not None else np.zeros(len(imp), dtype=np.int64)
        order = np.lexsort((position, events.request[imp]))
        imp = imp[order]
        labels = np.zeros((len(imp), len(SIGNALS)), dtype=bool)
        for s, signal in enumerate(SIGNALS):
            if signal == "click" and events.clicked is not None:
                labels[:, s] = events.clicked[imp]
            else:
                labels[:, s] = self._followed_by(events, imp, ACTION_CODE[SIGNAL_ACTION[signal]])
        request = events.request[imp]
        bounds = np.flatnonzero(np.diff(request)) + 1
        starts = np.concatenate([[0], bounds])
        stops = np.concatenate([bounds, [len(imp)]])
        positive = np.add.reduceat(labels.any(axis=1).astype(np.int64), starts) > 0
        starts, stops = starts[positive], stops[positive]
        device = getattr(events, "device", None)
        first = imp[starts]
        surface = (
            np.zeros(len(first), dtype=np.int64) if events.surface is None else events.surface[first].astype(np.int64)
        )
        return {
            "rows": imp,  # event rows, grouped
            "item": events.item[imp],
            "starts": starts,
            "stops": stops,
            "labels": labels,  # (len(rows), 4)
            "user": events.user[first],
            "time": np.minimum.reduceat(events.timestamp[imp], np.concatenate([[0], bounds]))[positive],
            "surface": surface,
            "device": self._device_rows(None if device is None else np.asarray(device)[first], len(first)),
            "position": np.clip(position[order], 0, self.config.max_position).astype(np.int64),
        }

    def _followed_by(self, events: EventLog, imp: np.ndarray, action: int) -> np.ndarray:
        """Whether the user did `action` on the impressed item within `label_window_s` after the impression."""
        hits = np.flatnonzero(events.action == action)
        out = np.zeros(len(imp), dtype=bool)
        if len(hits) == 0:
            return out
        times: dict[tuple[int, int], list[float]] = {}
        for u, i, t in zip(
            events.user[hits].tolist(), events.item[hits].tolist(), events.timestamp[hits].tolist(), strict=True
        ):
            times.setdefault((u, i), []).append(t)
        window = self.config.label_window_s
        for j, (u, i, t) in enumerate(
            zip(events.user[imp].tolist(), events.item[imp].tolist(), events.timestamp[imp].tolist(), strict=True)
        ):
            for hit in times.get((u, i), ()):
                if t <= hit <= t + window:
                    out[j] = True
                    break
        return out

    def _group_batch(self, groups: dict[str, Any], chosen: np.ndarray) -> dict[str, torch.Tensor]:
        G = self.config.max_group_size
        B = len(chosen)
        rows = np.full((B, G), -1, dtype=np.int64)  # indices into groups["rows"]
        for b, g in enumerate(chosen):
            members = np.arange(groups["starts"][g], groups["stops"][g])
            if len(members) > G:  # keep positives first, then the top positions
                pos_first = np.argsort(~groups["labels"][members].any(axis=1), kind="stable")
                members = np.sort(members[pos_first[:G]])
            rows[b, : len(members)] = members
        valid = rows >= 0
        safe = np.where(valid, rows, 0)
        item_rows = np.where(valid, self._rows(groups["item"][safe]), len(self._item_ids))
        text, cats = self._item_inputs(item_rows)
        return {
            "text": text,  # (B, G, text_dim)
            "cats": cats,  # (B, G, C)
            "valid": torch.from_numpy(valid).to(self.device),  # (B, G)
            "labels": torch.from_numpy(groups["labels"][safe] & valid[..., None]).to(self.device),  # (B, G, 4)
            "position": torch.from_numpy(np.where(valid, groups["position"][safe], 0)).to(self.device),  # (B, G)
            "surface": torch.from_numpy(np.clip(groups["surface"][chosen], 0, N_SURFACES - 1)).to(self.device),  # (B,)
            "device": torch.from_numpy(groups["device"][chosen]).to(self.device),  # (B,)
        }

    # -- losses ---------------------------------------------------------------------------------------------------
    def _pretrain_loss(self, users: torch.Tensor, items: torch.Tensor, item_rows: np.ndarray) -> torch.Tensor:
        """Sampled softmax over in-batch negatives: users, items (B, d); same-item negatives are masked."""
        assert self.net is not None
        tau = self.net.log_temperature.exp().clamp(1.0, 100.0)
        logits = tau * users @ items.T  # (B, B)
        rows = torch.from_numpy(item_rows).to(self.device)
        same = (rows[:, None] == rows[None, :]) & ~torch.eye(len(rows), dtype=torch.bool, device=self.device)
        logits = logits.masked_fill(same, float("-inf"))
        return F.cross_entropy(logits, torch.arange(len(rows), device=self.device))

    def finetune_losses(self, r: torch.Tensor, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Eq. 2: calibrated BPR per signal over ordered (positive, negative) pairs + pointwise click BCE.

        r (B, G) user-item cosines of the impressed items.
        """
        assert self.net is not None
        net = self.net
        valid, labels = batch["valid"], batch["labels"]
        if self.config.context_debiasing:
            r_ctx = net.context_tower(batch["surface"], batch["device"], batch["position"])  # (B, G)
        else:
            r_ctx = torch.zeros_like(r)
        losses: dict[str, torch.Tensor] = {}
        for k, signal in enumerate(SIGNALS):
            y = labels[..., k]  # (B, G)
            pairs = y[:, :, None] & (~y & valid)[:, None, :]  # (B, G_pos, G_neg)
            if not bool(pairs.any()):
                continue
            log_f = F.logsigmoid(net.gamma[k] * r + net.gamma_ctx[k] * r_ctx + net.beta[k])  # (B, G)
            # -log f_p / (f_p + f_n) = -log f_p + log(f_p + f_n)
            pair_loss = -log_f[:, :, None] + torch.logaddexp(log_f[:, :, None], log_f[:, None, :])
            losses[f"bpr_{signal}"] = pair_loss[pairs].mean()
        logit = net.alpha_click * r + net.alpha_ctx * r_ctx + net.beta_click
        losses["bce_click"] = F.binary_cross_entropy_with_logits(logit[valid], labels[..., 0][valid].float())
        return losses

    def _finetune_total(self, losses: dict[str, torch.Tensor]) -> torch.Tensor:
        return sum((v for k, v in losses.items() if k.startswith("bpr_")), torch.zeros((), device=self.device)) + (
            self.config.pointwise_weight * losses["bce_click"]
        )

    def _group_similarities(self, index: dict[str, Any], groups: dict[str, Any], chosen: np.ndarray) -> tuple:
        assert self.net is not None
        start, end = self._history_ends(index, groups["user"][chosen], groups["time"][chosen])
        users = self.net.user_tower(self._history_batch(index, start, end))  # (B, d)
        batch = self._group_batch(groups, chosen)
        items = self.net.item_tower(batch["text"], batch["cats"])  # (B, G, d)
        return (items * users[:, None, :]).sum(-1), batch  # (B, G)

    @torch.no_grad()
    def finetune_loss(self, dataset: Dataset, max_groups: int = 2000) -> float:
        """Mean fine-tuning objective (eq. 2) on the data set's impression groups (for monitoring and tests)."""
        net = self._require_net()
        net.eval()
        groups = self._impression_groups(dataset.events)
        if groups is None or len(groups["starts"]) == 0:
            return float("nan")
        index = self._history_index(dataset.events)
        chosen_all = np.arange(min(len(groups["starts"]), max_groups))
        total, n = 0.0, 0
        for s in range(0, len(chosen_all), self.config.group_batch_size):
            chosen = chosen_all[s : s + self.config.group_batch_size]
            r, batch = self._group_similarities(index, groups, chosen)
            total += float(self._finetune_total(self.finetune_losses(r, batch))) * len(chosen)
            n += len(chosen)
        return total / n

    # -- training ------------------------------------------------------------------------------------------------
    def fit(self, dataset: Dataset, valid: Dataset | None = None) -> dict[str, Any]:
        cfg = self.config
        rng = seed_everything(cfg.seed)
        events, items = dataset.events, dataset.items
        self.text_dim = items.text_vector.shape[1] if items.text_vector is not None else TEXT_DIM
        self._build_vocabularies(items)
        device = getattr(events, "device", None)
        self.device_ids = np.zeros(0, np.int64) if device is None else np.unique(np.asarray(device)).astype(np.int64)
        self._items_encode(items)
        self.net = RankingTwoTowerNet(cfg, self.text_dim, self._vocab_sizes(), len(self.device_ids) + 1).to(self.device)

        # stage 1: retrieval pre-training
        index = self._history_index(events)
        positive = np.isin(index["action"], PRETRAIN_POSITIVES) & (index["row"] < len(self._item_ids))
        user_of_row = np.searchsorted(index["block_start"], np.arange(len(index["row"])), side="right") - 1
        repeat = np.zeros(len(positive), dtype=bool)  # the same item as the user's previous event
        repeat[1:] = (index["row"][1:] == index["row"][:-1]) & (user_of_row[1:] == user_of_row[:-1])
        samples = np.flatnonzero(positive & ~repeat)
        cutoff = time_cutoff(index["time"][samples], cfg.valid_fraction)
        held_out = np.zeros(0, np.int64)
        if cutoff is not None:  # the latest positives validate; their histories may reach back into training
            later = index["time"][samples] >= cutoff
            held_out = samples[later][np.argsort(index["time"][samples[later]], kind="stable")]
            samples, held_out = samples[~later], held_out[-cfg.max_valid_samples :]

        def pretrain_loss(chosen: np.ndarray) -> torch.Tensor:
            assert self.net is not None
            # history: the user's rows keyed strictly before the positive's own key (minus the delay)
            start, end = self._history_window(index, user_of_row[chosen], index["key"][chosen] - cfg.history_delay_s)
            users = self.net.user_tower(self._history_batch(index, start, end))  # (B, d)
            item_rows = index["row"][chosen]
            items_v = self.net.item_tower(*self._item_inputs(item_rows))  # (B, d)
            return self._pretrain_loss(users, items_v, item_rows)

        def epoch_batches(epoch: int) -> list[np.ndarray]:
            drawn = rng.permutation(samples)[: cfg.pretrain_samples]
            return [chosen for chosen in batches_of(drawn, cfg.batch_size) if len(chosen) >= 2]

        @torch.no_grad()
        def validate() -> dict[str, float]:
            assert self.net is not None
            self.net.eval()
            chunks = [chosen for chosen in batches_of(held_out, cfg.batch_size) if len(chosen) >= 2]
            losses = [float(pretrain_loss(chosen)) * len(chosen) for chosen in chunks]
            return {"valid_loss": sum(losses) / max(sum(len(c) for c in chunks), 1)}

        params = [p for n, p in self.net.named_parameters() if not n.startswith("context_tower")]
        trainer = Trainer(
            self.net, torch.optim.Adam(params, lr=cfg.lr), epochs=cfg.epochs if len(samples) else 0,
            patience=cfg.patience, time_cap_seconds=cfg.time_cap_seconds, grad_clip=cfg.grad_clip,
            monitor=Monitor("valid_loss", higher_is_better=False), name=f"{self.name} pre-training", rng=rng,
        )  # fmt: skip
        fit_log = trainer.fit(epoch_batches, pretrain_loss, validate if len(held_out) >= 2 else None)
        log: dict[str, Any] = {
            **fit_log.as_dict(),
            "pretrain_samples": int(len(samples)),
            "pretrain_valid_samples": int(len(held_out)),
            "pretrain_loss": [record["loss"] for record in fit_log.epochs if "loss" in record],
            "seconds": {"pretrain": fit_log.seconds},
        }

        # stage 2: ranking fine-tuning on impression groups
        if cfg.fine_tune:
            stage = self.finetune(dataset, epochs=cfg.finetune_epochs, seed=cfg.seed + 1, index=index)
            log["finetune_loss"], log["finetune_groups"] = stage["finetune_loss"], stage["finetune_groups"]
            log["finetune_stopped_by"] = stage["stopped_by"]
            log["seconds"]["finetune"] = stage["seconds"]
        else:
            log["finetune_loss"], log["finetune_groups"] = [], 0
        log["temperature"] = float(self.net.log_temperature.detach().exp())
        self.net.eval()
        self._item_vectors = None
        if valid is not None:
            log["valid_finetune_loss"] = self.finetune_loss(valid)
        return log

    def finetune(
        self, dataset: Dataset, epochs: int = 1, seed: int = 0, index: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The ranking stage alone (eq. 2) on `dataset`'s impression groups: also the paper's continuous weekly
        fine-tuning on new data (§4.2). Trains the context tower only when `context_debiasing` is set. A fixed
        number of epochs, no early stopping: the paper fine-tunes one epoch because more overfits."""
        net = self._require_net()
        cfg = self.config
        started = time.perf_counter()
        rng = np.random.default_rng(seed)
        groups = self._impression_groups(dataset.events)
        log: dict[str, Any] = {"finetune_loss": [], "finetune_groups": 0 if groups is None else len(groups["starts"]),
                               "stopped_by": None}
        if groups is not None and len(groups["starts"]):
            index = self._history_index(dataset.events) if index is None else index

            def group_loss(chosen: np.ndarray) -> torch.Tensor:
                r, batch = self._group_similarities(index, groups, chosen)
                return self._finetune_total(self.finetune_losses(r, batch))

            params = [
                p for n, p in net.named_parameters() if cfg.context_debiasing or not n.startswith("context_tower")
            ]
            trainer = Trainer(
                net, torch.optim.Adam(params, lr=cfg.finetune_lr), epochs=epochs, patience=cfg.patience,
                time_cap_seconds=cfg.time_cap_seconds, grad_clip=cfg.grad_clip, name=f"{self.name} fine-tuning",
                rng=rng,
            )  # fmt: skip
            stage = trainer.fit(
                lambda epoch: batches_of(rng.permutation(len(groups["starts"])), cfg.group_batch_size), group_loss
            )
            log["finetune_loss"] = [record["loss"] for record in stage.epochs if "loss" in record]
            log["stopped_by"] = stage.stopped_by
        net.eval()
        self._item_vectors = None
        log["seconds"] = time.perf_counter() - started
        return log

    # -- serving -------------------------------------------------------------------------------------------------
    def _require_net(self) -> RankingTwoTowerNet:
        if self.net is None:
            raise RuntimeError("RankingTwoTower is not trained: call fit() or load a checkpoint")
        return self.net

    def _query_history(self, query: Query) -> dict[str, torch.Tensor]:
        items = np.asarray(query.history, dtype=np.int64)
        actions = np.asarray(query.history_actions or [ACTION_CODE["item_view"]] * len(items), dtype=np.int64)
        queries = getattr(query, "history_query_vectors", None)  # optional (n, text_dim), zeros off search events
        keep = np.isin(actions, list(HISTORY_CODES))
        items, actions = items[keep], actions[keep]
        index = {
            "row": self._rows(items),
            "action": actions,
            "query": None if queries is None else np.asarray(queries, dtype=np.float32)[keep],
        }
        end = np.array([len(items)])
        return self._history_batch(index, np.maximum(end - self.config.max_history, 0), end)

    @torch.no_grad()
    def user_vectors(self, query: Query) -> np.ndarray:
        """(1, dim) unit user vector from the query's history (the context is not an input)."""
        net = self._require_net()
        net.eval()
        return net.user_tower(self._query_history(query)).cpu().numpy().astype(np.float32)

    @torch.no_grad()
    def item_vectors(self, items: ItemTable) -> np.ndarray:
        """(len(items), dim) unit item vectors computed from the table's content."""
        net = self._require_net()
        net.eval()
        saved = (self._item_ids, self._item_text, self._item_cats, self._item_vectors)
        try:
            self._items_encode(items)
            order = np.argsort(items.item_id, kind="stable")
            vectors = np.empty((len(items), self.config.dim), dtype=np.float32)
            vectors[order] = self._all_item_vectors()[: len(items)].cpu().numpy()
        finally:
            self._item_ids, self._item_text, self._item_cats, self._item_vectors = saved
        return vectors

    @torch.no_grad()
    def _all_item_vectors(self) -> torch.Tensor:
        """(m + 1, dim) vectors of the lookup table (last row: an unknown item), cached for serving."""
        if self._item_vectors is None:
            net = self._require_net()
            net.eval()
            chunks = []
            for s in range(0, len(self._item_text), 8192):
                rows = np.arange(s, min(s + 8192, len(self._item_text)))
                chunks.append(net.item_tower(*self._item_inputs(rows)))
            self._item_vectors = torch.cat(chunks)
        return self._item_vectors

    @torch.no_grad()
    def score(self, query: Query, candidates: np.ndarray) -> np.ndarray:
        """Cosine r_ui per candidate; serving never calls the context tower (§3.4)."""
        user = torch.from_numpy(self.user_vectors(query)).to(self.device)[0]  # (d,)
        items = self._all_item_vectors()[torch.from_numpy(self._rows(candidates)).to(self.device)]  # (k, d)
        return (items @ user).cpu().numpy().astype(np.float32)

    @torch.no_grad()
    def impression_scores(self, dataset: Dataset, batch_size: int = 512) -> np.ndarray:
        """r_ui for every impression row of `dataset.events` (NaN elsewhere), each from the user's history before
        the impression; for offline evaluation and ranker features."""
        net = self._require_net()
        net.eval()
        events = dataset.events
        out = np.full(len(events), np.nan, dtype=np.float32)
        imp = np.flatnonzero((events.action == IMPRESSION) & (events.item >= 0))
        if len(imp) == 0:
            return out
        # one user vector per request (history before its first impression), as in fine-tuning
        request = events.request[imp] if events.request is not None else np.full(len(imp), -1)
        group_key = np.where(request >= 0, request, -2 - imp)
        keys, first, group = np.unique(group_key, return_index=True, return_inverse=True)
        group_time = np.full(len(keys), np.inf)
        np.minimum.at(group_time, group, events.timestamp[imp])
        group_user = events.user[imp[first]]
        index = self._history_index(events)
        users = torch.empty(len(keys), self.config.dim, device=self.device)
        for s in range(0, len(keys), batch_size):
            start, end = self._history_ends(index, group_user[s : s + batch_size], group_time[s : s + batch_size])
            users[s : s + batch_size] = net.user_tower(self._history_batch(index, start, end))  # (B, d)
        items = self._all_item_vectors()[torch.from_numpy(self._rows(events.item[imp])).to(self.device)]  # (n, d)
        out[imp] = (users[torch.from_numpy(group).to(self.device)] * items).sum(-1).cpu().numpy()
        return out

    # -- persistence ---------------------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        net = self._require_net()
        return {
            "net": {k: v.detach().cpu() for k, v in net.state_dict().items()},
            "text_dim": self.text_dim,
            "vocabularies": self.vocabularies,
            "price_edges": self.price_edges,
            "device_ids": self.device_ids,
            "item_ids": self._item_ids,
            "item_text": self._item_text,
            "item_cats": self._item_cats,
        }

    def load_state(self, state: dict[str, Any]) -> None:
        self.text_dim = int(state["text_dim"])
        self.vocabularies = list(state["vocabularies"])
        self.price_edges = np.asarray(state["price_edges"])
        self.device_ids = np.asarray(state["device_ids"], dtype=np.int64)
        self._item_ids, self._item_text, self._item_cats = state["item_ids"], state["item_text"], state["item_cats"]
        self._item_vectors = None
        self.net = RankingTwoTowerNet(self.config, self.text_dim, self._vocab_sizes(), len(self.device_ids) + 1)
        self.net.load_state_dict(state["net"])
        self.net.to(self.device).eval()
