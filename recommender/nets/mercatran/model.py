"""The registered Mercatran recommender (`mercatran`, V2 with the decoder, and `mercatran_v1`): keeps the token
rows of every listing it was given, trains with the shared Trainer, and serves one user vector per predicted step."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from recommender.base import Query, Recommender, pick_device, register
from recommender.data import ACTION_CODE, INTERACTION_CODES, Dataset, EventLog, ItemTable
from recommender.nets.mercatran.network import MercatranConfig, MercatranNet, symmetric_contrastive_loss
from recommender.nets.mercatran.samples import Windows, concat_logs, interaction_log, new_target_rows, window_bounds
from recommender.nets.mercatran.tokenizer import ItemTokenizer, listing_titles
from recommender.nets.training import Monitor, Trainer, seed_everything, time_cutoff
from recommender.sequences import pad_histories, user_sequences

# Score of a candidate whose content the model has never been given (cosines live in [-1, 1]).
UNKNOWN_ITEM_SCORE = -2.0


class Mercatran(Recommender):
    """Three-tower Mercatran (V2); registered as `mercatran`, and as `mercatran_v1` without the decoder.

    The model keeps the token rows of every listing it has been given (`fit`'s item table, `catalog_extend`), so it
    can read histories and score candidates by id alone; `item_vectors` embeds any table from content.
    """

    name = "mercatran"
    config_class = MercatranConfig
    primary_protocol = "multistep"
    primary_metric = "recall@20"
    has_user_vectors_batch = True

    def __init__(self, config: MercatranConfig | dict[str, Any] | None = None) -> None:
        super().__init__(config)
        if self.config.feed_back not in ("vector", "item"):
            raise ValueError(f"feed_back must be 'vector' or 'item', not {self.config.feed_back!r}")
        self.device = pick_device()
        self.tokenizer: ItemTokenizer | None = None
        self.net: MercatranNet | None = None
        self._item_ids = np.zeros(0, dtype=np.int64)  # (n,) sorted listing ids of the item cache
        self._item_tokens = np.zeros((0, 0), dtype=np.int64)  # (n, T) their token rows
        self._item_vectors: np.ndarray | None = None  # (n, d) lazily computed vectors of the cache
        self.training_log: dict[str, Any] = {}
        self._sampling = 0.0  # scheduled-sampling chance of the current training step

    @property
    def n_steps(self) -> int:
        return self.config.n_steps if self.config.use_decoder else 1

    # -- item cache ------------------------------------------------------------------------------------------
    def catalog_extend(self, items: ItemTable) -> None:
        """Remember (or refresh) the content of `items`, e.g. listings posted after training; serving also calls it
        for the listings it indexes, so histories that contain them can be read."""
        assert self.tokenizer is not None, "fit or load the model first"
        ids = np.asarray(items.item_id, dtype=np.int64)
        ids, first = np.unique(ids, return_index=True)
        tokens = self.tokenizer.encode(items)[first]
        keep = ~np.isin(self._item_ids, ids)
        all_ids = np.concatenate([self._item_ids[keep], ids])
        all_tokens = np.concatenate([self._item_tokens[keep].reshape(-1, tokens.shape[1]), tokens])
        order = np.argsort(all_ids, kind="stable")
        self._item_ids, self._item_tokens = all_ids[order], all_tokens[order]
        self._item_vectors = None

    def unknown_items(self, item_ids: list[int]) -> list[int]:
        """The ids the item cache does not hold yet (serving indexes them before reading a history)."""
        ids = np.asarray(item_ids, dtype=np.int64)
        return [int(i) for i in np.unique(ids[self._rows_of(ids) < 0])]

    def _rows_of(self, item_ids: np.ndarray) -> np.ndarray:
        """Item-cache rows of listing ids (same shape), -1 for unknown ids."""
        item_ids = np.asarray(item_ids, dtype=np.int64)
        if len(self._item_ids) == 0:
            return np.full(item_ids.shape, -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self._item_ids, item_ids), len(self._item_ids) - 1)
        return np.where(self._item_ids[pos] == item_ids, pos, -1).astype(np.int64)

    def _encode_tokens(self, tokens: np.ndarray) -> np.ndarray:
        """(n, T) token rows -> (n, d) float32 unit vectors, in eval mode."""
        assert self.net is not None
        self.net.eval()
        out = np.zeros((len(tokens), self.config.d), dtype=np.float32)
        with torch.no_grad():
            for start in range(0, len(tokens), 8192):
                chunk = torch.as_tensor(tokens[start : start + 8192], device=self.device)
                out[start : start + len(chunk)] = self.net.encode_items(chunk).float().cpu().numpy()
        return out

    def _cache_vectors(self) -> np.ndarray:
        if self._item_vectors is None:
            self._item_vectors = self._encode_tokens(self._item_tokens)
        return self._item_vectors

    # -- training --------------------------------------------------------------------------------------------
    def _windows(self, events: EventLog, stride: int, target_rows: np.ndarray | None = None) -> Windows:
        """Windows over the de-duplicated interactions of `events`; `target_rows` (bool over the de-duplicated
        log) keeps only windows whose first target is one of those rows."""
        c = self.config
        seqs = user_sequences(events, INTERACTION_CODES, min_length=c.min_sequence_length)
        sequence, first = window_bounds(seqs.lengths(), seqs.offsets, self.n_steps, stride)
        if target_rows is not None:
            chosen = target_rows[seqs.source_row[first]]
            sequence, first = sequence[chosen], first[chosen]
        history_items, history_actions, _ = pad_histories(seqs, seqs.offsets[sequence], first, c.max_history)
        history = np.where(history_items >= 0, self._rows_of(history_items), -1)
        actions = np.where(history >= 0, history_actions.astype(np.int64), -1)
        if c.new_targets and c.use_decoder:
            ends = seqs.offsets[sequence + 1]
            flat = new_target_rows(seqs.item, history_items, first, ends, self.n_steps)
            targets = np.where(flat >= 0, self._rows_of(seqs.item[np.maximum(flat, 0)]), -1)
        else:
            targets = self._rows_of(seqs.item[first[:, None] + np.arange(self.n_steps)[None, :]])
        # Windows need every target's content and at least one readable history event.
        ok = (targets >= 0).all(axis=1) & (history >= 0).any(axis=1)
        return Windows(history[ok], actions[ok], targets[ok])

    def _batch_loss(self, windows: Windows, index: np.ndarray, item_tokens: torch.Tensor) -> torch.Tensor:
        assert self.net is not None
        history, actions = windows.history[index], windows.actions[index]  # (B, L)
        # Drop the columns that are padding in every row (short histories): attention cost follows L.
        used = int((history >= 0).any(axis=0).argmax())
        history = torch.as_tensor(history[:, used:], device=self.device)  # (B, L')
        actions = torch.as_tensor(actions[:, used:], device=self.device)  # (B, L')
        targets = torch.as_tensor(windows.targets[index], device=self.device)  # (B, S)
        pad = history < 0  # (B, L)
        # Encode every distinct listing of the batch once.
        rows = torch.cat([history[~pad], targets.reshape(-1)])
        unique, inverse = torch.unique(rows, return_inverse=True)
        vectors = self.net.encode_items(item_tokens[unique])  # (U, d)
        n_history = int((~pad).sum())
        history_vectors = vectors.new_zeros(*history.shape, vectors.shape[1])  # (B, L, d)
        history_vectors[~pad] = vectors[inverse[:n_history]]
        target_vectors = vectors[inverse[n_history:]].view(*targets.shape, -1)  # (B, S, d)
        memory = self.net.encode_history(history_vectors, actions, pad)  # (B, L, d)
        predictions = self.net.predict(memory, pad, target_vectors, sampling=self._sampling)  # (B, S, d)
        return symmetric_contrastive_loss(
            predictions, target_vectors, targets, self.config.temperature, self.config.step_negatives
        )

    def fit(self, dataset: Dataset, valid: Dataset | None = None) -> dict[str, Any]:
        c = self.config
        rng = seed_everything(c.seed)
        items = dataset.items
        has_content = any(listing_titles(items)) or bool(np.any(items.brand)) or bool(np.any(items.category))
        if not has_content:
            raise ValueError("mercatran embeds listings from their title, brand and category; these items have none")
        self.tokenizer = ItemTokenizer.train(
            items, c.vocab_size, c.max_attribute_tokens, c.max_title_tokens, c.item_features
        )
        self._item_ids = np.zeros(0, dtype=np.int64)
        self._item_tokens = np.zeros((0, self.tokenizer.width), dtype=np.int64)
        self.catalog_extend(items)
        if valid is not None:
            self.catalog_extend(valid.items)

        windows, valid_windows = self._train_valid_windows(interaction_log(dataset.events), valid)
        if len(windows) == 0:
            raise ValueError(
                f"no training windows: need users with >= {c.min_sequence_length} de-duplicated interactions"
            )

        self.net = MercatranNet(len(self.tokenizer), c).to(self.device)
        item_tokens = torch.as_tensor(self._item_tokens, device=self.device)  # (n, T)
        optimizer = torch.optim.AdamW(self.net.parameters(), lr=c.lr, weight_decay=c.weight_decay)
        n_windows = min(len(windows), c.max_train_windows) if c.max_train_windows else len(windows)
        batch = min(c.batch_size, n_windows)
        steps_per_epoch = max(n_windows // batch, 1)
        total_steps = steps_per_epoch * c.epochs
        warmup = max(min(c.warmup_steps, total_steps // 10), 1)

        def schedule(step: int) -> float:
            if step < warmup:
                return (step + 1) / warmup
            progress = (step - warmup) / max(total_steps - warmup, 1)
            return 0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))

        def epoch_batches(epoch: int) -> Iterator[tuple[np.ndarray, int]]:
            """(window rows, global step) of each step of the epoch: a fresh random subset / order each epoch."""
            order = rng.permutation(len(windows))[:n_windows]
            for step in range(steps_per_epoch):
                yield order[step * batch : (step + 1) * batch], epoch * steps_per_epoch + step

        def batch_loss(step_batch: tuple[np.ndarray, int]) -> torch.Tensor:
            index, step = step_batch
            # Scheduled sampling ramps linearly over the planned steps (early stopping may end sooner).
            self._sampling = c.scheduled_sampling * min(step / total_steps, 1.0)
            return self._batch_loss(windows, index, item_tokens)

        def validate() -> dict[str, float]:
            assert valid_windows is not None
            return {"valid_loss": self._evaluate_loss(valid_windows, item_tokens, batch)}

        trainer = Trainer(
            self.net, optimizer, epochs=c.epochs, patience=c.patience, time_cap_seconds=c.time_cap_seconds,
            monitor=Monitor("valid_loss", higher_is_better=False), grad_clip=c.grad_clip,
            scheduler=torch.optim.lr_scheduler.LambdaLR(optimizer, schedule), name=self.name, rng=rng,
        )  # fmt: skip
        fit_log = trainer.fit(epoch_batches, batch_loss, validate if valid_windows is not None else None)
        self._sampling = 0.0
        self._item_vectors = None
        log = {
            "windows": len(windows),
            "valid_windows": 0 if valid_windows is None else len(valid_windows),
            **fit_log.as_dict(),
        }
        self.training_log = log
        self.data_window = {
            "first_event": float(dataset.events.timestamp.min()) if len(dataset.events) else None,
            "last_event": float(dataset.events.timestamp.max()) if len(dataset.events) else None,
            "n_events": len(dataset.events),
        }
        return log

    def _train_valid_windows(self, train_log: EventLog, valid: Dataset | None) -> tuple[Windows, Windows | None]:
        """Training windows and validation windows (None when there are none). Validation windows have their first
        target in `valid`, or without it in the latest `valid_fraction` of the training period (then training
        windows come from the events before it); their histories may reach back into the training events."""
        c = self.config
        if valid is not None and len(valid.events):
            joined = concat_logs(train_log, interaction_log(valid.events))
            is_valid = np.r_[np.zeros(len(train_log), bool), np.ones(len(joined) - len(train_log), bool)]
            order = np.argsort(joined.timestamp, kind="stable")
            held_out = self._windows(joined.select(order), c.window_stride, is_valid[order])
            return self._windows(train_log, c.window_stride), held_out if len(held_out) else None
        cutoff = time_cutoff(train_log.timestamp, c.valid_fraction)
        if cutoff is None:
            return self._windows(train_log, c.window_stride), None
        later = train_log.timestamp >= cutoff
        held_out = self._windows(train_log, c.window_stride, later)
        return self._windows(train_log.select(~later), c.window_stride), held_out if len(held_out) else None

    def _evaluate_loss(self, windows: Windows, item_tokens: torch.Tensor, batch: int) -> float:
        """Mean in-batch loss over `windows` in fixed batches (dropout off)."""
        assert self.net is not None
        self.net.eval()
        losses, weights = [], []
        with torch.no_grad():
            for start in range(0, len(windows), batch):
                index = np.arange(start, min(start + batch, len(windows)))
                if len(index) < 2:
                    continue
                losses.append(float(self._batch_loss(windows, index, item_tokens)))
                weights.append(len(index))
        self.net.train()
        return float(np.average(losses, weights=weights)) if losses else math.nan

    # -- user vectors ----------------------------------------------------------------------------------------
    def _history_rows(self, items: np.ndarray, actions: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """One user's readable history: interactions with known listings, consecutive repeats removed, last
        max_history kept. Returns (rows, actions), oldest first."""
        items = np.asarray(items, dtype=np.int64)
        if actions is None or len(actions) != len(items):
            actions = np.full(len(items), ACTION_CODE["item_view"], dtype=np.int64)
        actions = np.asarray(actions, dtype=np.int64)
        rows = self._rows_of(items)
        keep = (rows >= 0) & np.isin(actions, np.fromiter(INTERACTION_CODES, dtype=np.int64))
        rows, actions, items = rows[keep], actions[keep], items[keep]
        if len(rows) > 1:
            repeat = np.r_[False, (items[1:] == items[:-1]) & (actions[1:] == actions[:-1])]
            rows, actions = rows[~repeat], actions[~repeat]
        return rows[-self.config.max_history :], actions[-self.config.max_history :]

    def user_vectors_batch(self, histories: list[np.ndarray], actions: list[np.ndarray] | None = None) -> np.ndarray:
        """(B, n_steps, d) float32 unit vectors for many users' histories (item ids, oldest first).

        A user with no readable history gets zero vectors (every candidate then scores 0).
        """
        assert self.net is not None, "fit or load the model first"
        c = self.config
        out = np.zeros((len(histories), self.n_steps, c.d), dtype=np.float32)
        parsed = [self._history_rows(h, None if actions is None else actions[i]) for i, h in enumerate(histories)]
        readable = np.array([len(rows) > 0 for rows, _ in parsed], dtype=bool)
        index = np.flatnonzero(readable)
        self.net.eval()
        cache = torch.as_tensor(self._cache_vectors(), device=self.device)  # (n, d)
        with torch.no_grad():
            for start in range(0, len(index), c.eval_batch_size):
                chunk = index[start : start + c.eval_batch_size]
                width = max(len(parsed[i][0]) for i in chunk)
                rows = np.full((len(chunk), width), -1, dtype=np.int64)
                acts = np.full((len(chunk), width), -1, dtype=np.int64)
                for j, i in enumerate(chunk):
                    r, a = parsed[i]
                    rows[j, width - len(r) :], acts[j, width - len(r) :] = r, a
                rows_t = torch.as_tensor(rows, device=self.device)
                pad = rows_t < 0  # (b, L)
                history_vectors = torch.where(pad[..., None], 0.0, cache[rows_t.clamp(min=0)])  # (b, L, d)
                memory = self.net.encode_history(history_vectors, torch.as_tensor(acts, device=self.device), pad)
                vocabulary = cache if c.feed_back == "item" else None
                out[chunk] = self.net.predict(memory, pad, items=vocabulary).float().cpu().numpy()  # (b, S, d)
        return out

    def user_vectors(self, query: Query) -> np.ndarray:
        """(n_steps, d) float32: one l2-normalised vector per predicted step (1 for V1)."""
        return self.user_vectors_batch(
            [np.asarray(query.history, dtype=np.int64)], [np.asarray(query.history_actions)]
        )[0]

    def item_vectors(self, items: ItemTable) -> np.ndarray:
        """(len(items), d) float32 unit vectors from content alone (any listing, trained on or not)."""
        assert self.tokenizer is not None and self.net is not None, "fit or load the model first"
        return self._encode_tokens(self.tokenizer.encode(items))

    # -- scoring ---------------------------------------------------------------------------------------------
    def score_steps(self, query: Query, candidates: np.ndarray) -> np.ndarray:
        """(n_steps, len(candidates)) cosine per predicted step; unknown candidates get UNKNOWN_ITEM_SCORE."""
        candidates = np.asarray(candidates, dtype=np.int64)
        users = self.user_vectors(query)  # (S, d)
        rows = self._rows_of(candidates)
        known = rows >= 0
        scores = np.full((users.shape[0], len(candidates)), UNKNOWN_ITEM_SCORE, dtype=np.float32)
        scores[:, known] = users @ self._cache_vectors()[rows[known]].T
        return scores

    def score(self, query: Query, candidates: np.ndarray) -> np.ndarray:
        """Max cosine over the user's step vectors: an item close to any predicted step ranks high."""
        return self.score_steps(query, candidates).max(axis=0)

    # -- persistence -----------------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        assert self.net is not None and self.tokenizer is not None, "nothing to save before fit"
        return {
            "tokenizer": self.tokenizer.to_json(),
            "vocab_size": len(self.tokenizer),
            "net": {k: v.detach().cpu() for k, v in self.net.state_dict().items()},
            "item_ids": self._item_ids.copy(),
            "item_tokens": self._item_tokens.astype(np.int32),
            "training_log": self.training_log,
        }

    def load_state(self, state: dict[str, Any]) -> None:
        c = self.config
        self.tokenizer = ItemTokenizer.from_json(state["tokenizer"], c.max_title_tokens, c.item_features)
        self.net = MercatranNet(int(state["vocab_size"]), c).to(self.device)
        self.net.load_state_dict(state["net"])
        self.net.eval()
        self._item_ids = np.asarray(state["item_ids"], dtype=np.int64)
        self._item_tokens = np.asarray(state["item_tokens"], dtype=np.int64)
        self._item_vectors = None
        self.training_log = state.get("training_log", {})


register("mercatran")(Mercatran)
register("mercatran_v1", defaults={"use_decoder": False, "n_steps": 1})(Mercatran)
