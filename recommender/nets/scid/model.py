"""The registered SCID recommender (`scid`): pre-trains the network with the shared Trainer and turns a session's
head predictions into the 18 candidate coefficients of section 5 (`FEATURE_NAMES`), incrementally (`ScidState`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from recommender.base import Query, Recommender, pick_device, register
from recommender.data import ACTION_CODE, INTERACTION_CODES, Dataset, ItemTable
from recommender.nets.item_lookup import lookup_extend
from recommender.nets.scid.network import HEADS, TASKS, TEXT_DIM, SCIDConfig, ScidNet
from recommender.nets.training import Monitor, Trainer, seed_everything

ATTRIBUTES: tuple[str, ...] = ("title", "product", "price")
STATISTICS: tuple[str, ...] = ("max", "mean", "last")
FEATURE_NAMES: tuple[str, ...] = tuple(
    f"scid_{head}_{attribute}_{statistic}" for head in HEADS for attribute in ATTRIBUTES for statistic in STATISTICS
)
BUY = ACTION_CODE["buy_comp"]


@dataclass
class ScidState:
    """One session's SCID state, updated one event at a time (`SCID.state_update`).

    `history[h]` stacks the per-step prediction features of head h (eq. 5 takes its max against each candidate);
    `total[h]` / `count` give the mean (eq. 6), `ema[h]` its MA variant, `last[h]` eq. 7.
    """

    hidden: np.ndarray  # (hidden,) encoder state after the last step
    count: int = 0  # steps taken
    last_item: int | None = None  # item of the last step (repeats are collapsed into it)
    ended: bool = False  # the last step was a purchase: the next new item starts a new session
    history: list[np.ndarray] = field(default_factory=list)  # per head: (count, D) prediction features
    total: list[np.ndarray] = field(default_factory=list)  # per head: (D,) running sum
    ema: list[np.ndarray] = field(default_factory=list)  # per head: (D,) exponential moving average
    last: list[np.ndarray] = field(default_factory=list)  # per head: (D,) features of the last step


@register("scid")
class SCID(Recommender):
    """SCID features for ranking; `score` is the mean of the nine next-item coefficients."""

    name = "scid"
    config_class = SCIDConfig
    primary_protocol = "ctr"
    primary_metric = "auc"
    feature_names = FEATURE_NAMES

    def __init__(self, config: SCIDConfig | dict | None = None) -> None:
        super().__init__(config)
        self.device = pick_device()
        self.net: ScidNet | None = None
        self.product_ids = np.zeros(0, dtype=np.int64)  # raw product id of embedding row r + 1 (sorted)
        self.price_mean = 0.0
        self.price_std = 1.0
        self.text_dim = TEXT_DIM
        self._item_ids = np.zeros(0, dtype=np.int64)  # sorted
        self._item_text = np.zeros((1, TEXT_DIM), dtype=np.float16)  # rows aligned with _item_ids, + unknown row
        self._item_product = np.zeros(1, dtype=np.int64)
        self._item_price = np.zeros(1, dtype=np.float32)

    # -- item attributes -----------------------------------------------------------------------------
    def _build_product_vocab(self, items: ItemTable) -> None:
        values, counts = np.unique(items.product[items.product != 0], return_counts=True)
        keep = counts >= self.config.min_product_count
        values, counts = values[keep], counts[keep]
        if len(values) > self.config.max_products:
            values = values[np.argsort(-counts, kind="stable")[: self.config.max_products]]
        self.product_ids = np.sort(values).astype(np.int64)

    def _product_rows(self, product: np.ndarray) -> np.ndarray:
        if len(self.product_ids) == 0:
            return np.zeros(len(product), dtype=np.int64)
        pos = np.clip(np.searchsorted(self.product_ids, product), 0, len(self.product_ids) - 1)
        return np.where(self.product_ids[pos] == product, pos + 1, 0).astype(np.int64)

    def catalog_extend(self, items: ItemTable) -> None:
        """New listings join the attribute lookup; a listing it holds already gets its new row, the others stay."""
        old = self._item_ids, (self._item_text, self._item_product, self._item_price)
        self._items_encode(items)
        new = self._item_ids, (self._item_text, self._item_product, self._item_price)
        self._item_ids, (self._item_text, self._item_product, self._item_price) = lookup_extend(*old, *new)

    def _items_encode(self, items: ItemTable) -> None:
        """Replace the attribute lookup (new listings arrive all the time; the vocabularies stay fixed)."""
        order = np.argsort(items.item_id, kind="stable")
        m = len(items)
        text = np.zeros((m + 1, self.text_dim), dtype=np.float16)
        if items.text_vector is not None and items.text_vector.shape[1] == self.text_dim:
            text[:m] = items.text_vector[order]
        log_price = np.log1p(np.maximum(items.price[order].astype(np.float64), 0.0))
        self._item_ids = items.item_id[order].astype(np.int64)
        self._item_text = text
        self._item_product = np.append(self._product_rows(items.product[order]), 0)
        self._item_price = np.append((log_price - self.price_mean) / self.price_std, 0.0).astype(np.float32)

    def _rows(self, item_ids: np.ndarray) -> np.ndarray:
        """Lookup rows for item ids; unknown ids get the last (all-missing) row."""
        item_ids = np.asarray(item_ids, dtype=np.int64)
        n = len(self._item_ids)
        if n == 0:
            return np.zeros(len(item_ids), dtype=np.int64)
        pos = np.clip(np.searchsorted(self._item_ids, item_ids), 0, n - 1)
        return np.where(self._item_ids[pos] == item_ids, pos, n)

    def _attributes(self, rows: np.ndarray) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        text = torch.from_numpy(self._item_text[rows].astype(np.float32)).to(self.device)
        product = torch.from_numpy(self._item_product[rows]).to(self.device)
        price = torch.from_numpy(self._item_price[rows]).to(self.device)
        return text, product, price

    # -- sessions -------------------------------------------------------------------------------------
    def _steps(self, items: np.ndarray, actions: np.ndarray) -> list[tuple[list[int], list[bool]]]:
        """One session's events -> segments of (item ids, bought flags), split after each purchase."""
        segments: list[tuple[list[int], list[bool]]] = []
        seg_items: list[int] = []
        seg_bought: list[bool] = []
        for item, action in zip(items.tolist(), actions.tolist(), strict=True):
            bought = action == BUY
            if self.config.collapse_repeats and seg_items and seg_items[-1] == item and not seg_bought[-1]:
                seg_bought[-1] = bought
            elif self.config.collapse_repeats and seg_items and seg_items[-1] == item:
                continue  # a repeat of a purchased step
            else:
                if seg_bought and seg_bought[-1]:
                    segments.append((seg_items, seg_bought))
                    seg_items, seg_bought = [], []
                seg_items.append(item)
                seg_bought.append(bought)
        if seg_items:
            segments.append((seg_items, seg_bought))
        return segments

    def _training_segments(self, dataset: Dataset) -> list[tuple[np.ndarray, np.ndarray, float]]:
        events = dataset.events
        keep = np.isin(events.action, list(INTERACTION_CODES)) & (events.item >= 0)
        idx = np.flatnonzero(keep)
        idx = idx[np.lexsort((events.timestamp[idx], events.session[idx]))]
        sessions = events.session[idx]
        bounds = np.flatnonzero(np.diff(sessions)) + 1
        out: list[tuple[np.ndarray, np.ndarray, float]] = []
        for chunk in np.split(idx, bounds):
            if len(chunk) == 0:
                continue
            for seg_items, seg_bought in self._steps(events.item[chunk], events.action[chunk]):
                if len(seg_items) < self.config.min_len:
                    continue
                seg_items, seg_bought = seg_items[-self.config.max_len :], seg_bought[-self.config.max_len :]
                out.append((self._rows(np.array(seg_items)), np.array(seg_bought), float(events.timestamp[chunk[0]])))
        out.sort(key=lambda s: s[2])  # chronological: validation takes the latest
        if self.config.max_segments is not None:
            out = out[-self.config.max_segments :]
        return out

    def _query_session(self, query: Query) -> tuple[np.ndarray, np.ndarray]:
        """The query's current session: trailing interaction events within `session_gap_s`, the VIP item last."""
        items = np.asarray(query.history, dtype=np.int64)
        actions = np.asarray(query.history_actions or [ACTION_CODE["item_view"]] * len(items), dtype=np.int64)
        if len(query.history_timestamps) == len(items) and len(items):
            ts = np.asarray(query.history_timestamps, dtype=np.float64)
            gaps = np.flatnonzero(np.diff(ts) > self.config.session_gap_s)
            start = gaps[-1] + 1 if len(gaps) else 0
            items, actions = items[start:], actions[start:]
        keep = np.isin(actions, list(INTERACTION_CODES)) & (items >= 0)
        items, actions = items[keep], actions[keep]
        if query.current_item is not None and (len(items) == 0 or items[-1] != query.current_item):
            items = np.append(items, query.current_item)
            actions = np.append(actions, ACTION_CODE["item_view"])
        return items, actions

    # -- training ----------------------------------------------------------------------------------------
    def _batch(self, segments: list) -> dict[str, torch.Tensor]:
        lengths = [len(s[0]) for s in segments]
        T = max(lengths)
        pad = len(self._item_ids)  # the all-missing row
        rows = np.full((len(segments), T), pad, dtype=np.int64)
        bought = np.zeros((len(segments), T), dtype=np.float32)
        for b, (r, y, _) in enumerate(segments):
            rows[b, : len(r)] = r
            bought[b, : len(y)] = y
        length = torch.tensor(lengths, device=self.device)
        text, product, price = self._attributes(rows)
        return {
            "text": text,  # (B, T, 384)
            "product": product,  # (B, T)
            "price": price,  # (B, T)
            "bought": torch.from_numpy(bought).to(self.device),  # (B, T)
            "valid": torch.arange(T, device=self.device)[None, :] < length[:, None],  # (B, T)
            "length": length,  # (B,)
        }

    def _length_batches(self, segments: list, rng: np.random.Generator) -> list[np.ndarray]:
        """Shuffled batches of similar-length segments (less padding for the GRU)."""
        size = self.config.batch_size
        order = rng.permutation(len(segments))
        lengths = np.array([len(segments[i][0]) for i in order])
        batches = []
        for s in range(0, len(order), size * 32):
            chunk = order[s : s + size * 32][np.argsort(lengths[s : s + size * 32], kind="stable")]
            batches += [chunk[b : b + size] for b in range(0, len(chunk), size)]
        return [batches[i] for i in rng.permutation(len(batches))]

    def _product_loss(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor | None:
        """pred (N, dp), target (N,) product rows (0 = OOV, skipped): softmax over the batch's products."""
        keep = target > 0
        if not bool(keep.any()):
            return None
        pred, target = pred[keep], target[keep]
        classes, labels = torch.unique(target, return_inverse=True)
        assert self.net is not None
        logits = F.normalize(pred, dim=-1) @ F.normalize(self.net.product(classes), dim=-1).T
        return F.cross_entropy(logits / self.config.product_temperature, labels)

    def _losses(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        assert self.net is not None
        net = self.net
        x = net.inputs(batch["text"], batch["product"], batch["price"])  # (B, T, in)
        h = net.encode(x)  # (B, T, hidden)
        out = net.predict(h)
        valid, bought, length = batch["valid"], batch["bought"], batch["length"]
        B, T = valid.shape
        ar = torch.arange(B, device=self.device)
        session_bought = bought[ar, length - 1]  # (B,)
        losses: dict[str, torch.Tensor] = {
            "buy_item": F.binary_cross_entropy_with_logits(out["buy_item"][valid], bought[valid]),
            "buy_session": F.binary_cross_entropy_with_logits(
                out["buy_session"][valid], session_bought[:, None].expand(B, T)[valid]
            ),
        }
        # steps with a next step: i < length - 1                                     (B, T - 1)
        has_next = valid[:, 1:]
        last = length - 1
        targets = {
            "next": (batch["text"][:, 1:], batch["product"][:, 1:], batch["price"][:, 1:], has_next),
            "purchase": (
                batch["text"][ar, last][:, None].expand(B, T - 1, -1),
                batch["product"][ar, last][:, None].expand(B, T - 1),
                batch["price"][ar, last][:, None].expand(B, T - 1),
                has_next & (session_bought[:, None] > 0),
            ),
        }
        for k, head in enumerate(HEADS):
            text_t, product_t, price_t, mask = targets[head]
            if not bool(mask.any()):
                continue
            has_text = mask & (text_t.abs().sum(-1) > 0)
            if bool(has_text.any()):
                cos = F.cosine_similarity(out["title"][k][:, :-1][has_text], text_t[has_text], dim=-1)
                losses[f"{head}_title"] = (1 - cos).mean()
            product_loss = self._product_loss(out["product"][k][:, :-1][mask], product_t[mask])
            if product_loss is not None:
                losses[f"{head}_product"] = product_loss
            losses[f"{head}_price"] = F.mse_loss(out["price"][k][:, :-1][mask], price_t[mask])
        return losses

    def _weighted(self, losses: dict[str, torch.Tensor]) -> torch.Tensor:
        """Uncertainty weighting (Kendall et al.): sum_t exp(-s_t) L_t + s_t, s_t learned."""
        assert self.net is not None
        total = torch.zeros((), device=self.device)
        for t, task in enumerate(TASKS):
            if task in losses:
                s = self.net.log_vars[t]
                total = total + torch.exp(-s) * losses[task] + s
        return total

    @torch.no_grad()
    def evaluate_losses(self, segments: list, batch_size: int = 512) -> dict[str, float]:
        """Mean per-task losses (unweighted) over `segments`, and their sum under "total"."""
        assert self.net is not None
        self.net.eval()
        sums: dict[str, float] = {}
        weights: dict[str, int] = {}
        for start in range(0, len(segments), batch_size):
            chunk = segments[start : start + batch_size]
            for task, value in self._losses(self._batch(chunk)).items():
                sums[task] = sums.get(task, 0.0) + float(value) * len(chunk)
                weights[task] = weights.get(task, 0) + len(chunk)
        means = {task: sums[task] / weights[task] for task in sums}
        means["total"] = float(sum(means.values()))
        return means

    def fit(self, dataset: Dataset, valid: Dataset | None = None) -> dict[str, Any]:
        cfg = self.config
        rng = seed_everything(cfg.seed)
        items = dataset.items
        log_price = np.log1p(np.maximum(items.price.astype(np.float64), 0.0))
        self.price_mean = float(log_price.mean()) if len(log_price) else 0.0
        self.price_std = float(log_price.std()) if len(log_price) and log_price.std() > 0 else 1.0
        self.text_dim = items.text_vector.shape[1] if items.text_vector is not None else TEXT_DIM
        self._build_product_vocab(items)
        self._items_encode(items)
        self.net = ScidNet(cfg, len(self.product_ids) + 1, self.text_dim).to(self.device)

        segments = self._training_segments(dataset)
        if valid is not None:
            valid_segments = self._training_segments(valid)
            train_segments = segments
        else:
            n_valid = int(len(segments) * cfg.valid_fraction) if len(segments) >= 10 else 0
            train_segments, valid_segments = segments[: len(segments) - n_valid], segments[len(segments) - n_valid :]
        if not train_segments:
            raise ValueError("SCID.fit: no session with at least two steps in the data set")

        def batch_loss(chosen: np.ndarray) -> tuple[torch.Tensor, dict[str, float]]:
            losses = self._losses(self._batch([train_segments[i] for i in chosen]))
            # the uncertainty-weighted objective is optimised; the plain sum of the task losses is logged too
            return self._weighted(losses), {"task_loss": float(sum(v.detach() for v in losses.values()))}

        def validate() -> dict[str, float]:
            tasks = self.evaluate_losses(valid_segments)
            return {"valid_loss": tasks.pop("total"), **{f"valid_{task}": value for task, value in tasks.items()}}

        trainer = Trainer(
            self.net, torch.optim.Adam(self.net.parameters(), lr=cfg.lr), epochs=cfg.epochs, patience=cfg.patience,
            time_cap_seconds=cfg.time_cap_seconds, name=self.name, rng=rng,
            monitor=Monitor("valid_loss", higher_is_better=False, min_delta=1e-6),
        )  # fmt: skip
        fit_log = trainer.fit(
            lambda epoch: self._length_batches(train_segments, rng), batch_loss, validate if valid_segments else None
        )
        return {
            "train_segments": len(train_segments),
            "valid_segments": len(valid_segments),
            **fit_log.as_dict(),
            "task_weights": dict(zip(TASKS, torch.exp(-self.net.log_vars).tolist(), strict=True)),
        }

    # -- SCID features -----------------------------------------------------------------------------------
    def _require_net(self) -> ScidNet:
        if self.net is None:
            raise RuntimeError("SCID is not trained: call fit() or load a checkpoint")
        return self.net

    @torch.no_grad()
    def _candidate_features(self, candidates: np.ndarray) -> torch.Tensor:
        return self._require_net().candidate_features(*self._attributes(self._rows(candidates)))  # (k, D)

    def _blocks(self) -> list[slice]:
        t, dp = self.text_dim, self.config.product_dim
        return [slice(0, t), slice(t, t + dp), slice(t + dp, t + dp + 3)]

    def _statistics(self, history: list[torch.Tensor], mean: list[torch.Tensor], candidate: torch.Tensor) -> np.ndarray:
        """history per head (n, D), mean per head (D,), candidate (k, D) -> (k, 18)."""
        columns = []
        for k in range(len(HEADS)):
            for block in self._blocks():
                sims = history[k][:, block] @ candidate[:, block].T  # (n, k)
                columns += [sims.max(dim=0).values, mean[k][block] @ candidate[:, block].T, sims[-1]]
        return torch.stack(columns, dim=1).cpu().numpy().astype(np.float32)

    def _mean_features(self, history: torch.Tensor) -> torch.Tensor:
        """history (n, D) -> (D,): the plain mean, or the exponential moving average (MA variant)."""
        if self.config.mean_statistic == "mean":
            return history.mean(dim=0)
        if self.config.mean_statistic != "ema":
            raise ValueError(f"unknown mean_statistic {self.config.mean_statistic!r}; use 'mean' or 'ema'")
        a = self.config.ema_alpha
        n = history.shape[0]
        # m_1 = g_1, m_i = (1 - a) m_{i-1} + a g_i  ->  weights (1-a)^(n-1) for g_1, a (1-a)^(n-i) for i > 1
        w = a * (1 - a) ** torch.arange(n - 1, -1, -1, device=history.device, dtype=history.dtype)
        w[0] = (1 - a) ** (n - 1)
        return w @ history

    @torch.no_grad()
    def features(self, query: Query, candidates: np.ndarray) -> np.ndarray:
        """(len(candidates), 18) SCID coefficients in `FEATURE_NAMES` order; zeros for an empty session."""
        net = self._require_net()
        net.eval()
        candidates = np.asarray(candidates, dtype=np.int64)
        items, actions = self._query_session(query)
        segments = self._steps(items, actions)
        if not segments or len(candidates) == 0:
            return np.zeros((len(candidates), len(FEATURE_NAMES)), dtype=np.float32)
        seg_items = segments[-1][0]
        if segments[-1][1][-1]:  # the session just ended in a purchase: SCID of a fresh session
            return np.zeros((len(candidates), len(FEATURE_NAMES)), dtype=np.float32)
        rows = self._rows(np.array(seg_items[-self.config.max_len :]))
        text, product, price = self._attributes(rows[None, :])
        h = net.encode(net.inputs(text, product, price))[0]  # (n, hidden)
        history = net.prediction_features(h)  # per head (n, D)
        mean = [self._mean_features(g) for g in history]
        return self._statistics(history, mean, self._candidate_features(candidates))

    def score(self, query: Query, candidates: np.ndarray) -> np.ndarray:
        """Mean of the nine next-item coefficients (max / mean / last x title / product / price)."""
        return self.features(query, candidates)[:, :9].mean(axis=1)

    # -- incremental ---------------------------------------------------------------------------------------
    def state_init(self) -> ScidState:
        """The state of an empty session."""
        return ScidState(hidden=np.zeros(self.config.hidden, dtype=np.float32))

    @torch.no_grad()
    def state_update(self, state: ScidState, item: int, action: int = ACTION_CODE["item_view"]) -> ScidState:
        """Fold one event into `state` (in place, also returned): at most one encoder step."""
        net = self._require_net()
        net.eval()
        if action not in INTERACTION_CODES or item < 0:
            return state
        bought = action == BUY
        if self.config.collapse_repeats and state.count and state.last_item == item:
            state.ended = state.ended or bought  # same step: the input (attributes only) is unchanged
            return state
        if state.ended:
            fresh = self.state_init()
            state.__dict__.update(fresh.__dict__)
        text, product, price = self._attributes(self._rows(np.array([item]))[None, :])
        h0 = None if state.count == 0 else torch.from_numpy(state.hidden).to(self.device)[None, :]
        h = net.encode(net.inputs(text, product, price), h0)[0, -1]  # (hidden,)
        features = [g.cpu().numpy() for g in net.prediction_features(h)]  # per head (D,)
        a = self.config.ema_alpha
        for k, g in enumerate(features):
            if state.count == 0:
                state.history.append(g[None, :])
                state.total.append(g.copy())
                state.ema.append(g.copy())
                state.last.append(g)
            else:
                state.history[k] = np.concatenate([state.history[k], g[None, :]])
                state.total[k] = state.total[k] + g
                state.ema[k] = (1 - a) * state.ema[k] + a * g
                state.last[k] = g
        state.hidden = h.cpu().numpy()
        state.count += 1
        state.last_item = int(item)
        state.ended = bought
        return state

    @torch.no_grad()
    def state_features(self, state: ScidState, candidates: np.ndarray) -> np.ndarray:
        """(len(candidates), 18) from an incremental state; equals `features` on the same session."""
        candidates = np.asarray(candidates, dtype=np.int64)
        if state.count == 0 or state.ended or len(candidates) == 0:
            return np.zeros((len(candidates), len(FEATURE_NAMES)), dtype=np.float32)
        history = [torch.from_numpy(h).to(self.device) for h in state.history]
        if self.config.mean_statistic == "ema":
            mean = [torch.from_numpy(m).to(self.device) for m in state.ema]
        else:
            mean = [torch.from_numpy(t / state.count).to(self.device) for t in state.total]
        return self._statistics(history, mean, self._candidate_features(candidates))

    # -- persistence -----------------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        net = self._require_net()
        return {
            "net": {k: v.detach().cpu() for k, v in net.state_dict().items()},
            "text_dim": self.text_dim,
            "product_ids": self.product_ids,
            "price_mean": self.price_mean,
            "price_std": self.price_std,
            "item_ids": self._item_ids,
            "item_text": self._item_text,
            "item_product": self._item_product,
            "item_price": self._item_price,
        }

    def load_state(self, state: dict[str, Any]) -> None:
        self.product_ids = np.asarray(state["product_ids"], dtype=np.int64)
        self.price_mean, self.price_std = float(state["price_mean"]), float(state["price_std"])
        self.text_dim = int(state["text_dim"])
        self._item_ids = state["item_ids"]
        self._item_text = state["item_text"]
        self._item_product = state["item_product"]
        self._item_price = state["item_price"]
        self.net = ScidNet(self.config, len(self.product_ids) + 1, self.text_dim).to(self.device)
        self.net.load_state_dict(state["net"])
        self.net.eval()
