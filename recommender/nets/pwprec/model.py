"""The registered PWPRec recommender (`pwprec`, with the `pwprec_gru` and `pwprec_sasrec` ablations): builds
samples, trains with the shared Trainer (eq. 8-10), scores, and serves l2-normalised user / item vectors."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from recommender.base import Query, Recommender, pick_device, register
from recommender.data import INTERACTION_CODES, Dataset, EventLog, ItemTable
from recommender.nets.content_tower import ItemFeatureEncoder, features_to_tensors
from recommender.nets.pwprec.network import PWPRecConfig, PWPRecNet
from recommender.nets.pwprec.samples import (
    DAY,
    HOME_SURFACE_CODE,
    SessionSamples,
    collapse_runs,
    empty_samples,
    history_windows,
)
from recommender.nets.training import Monitor, Trainer, batches_of, seed_everything, time_cutoff


@register("pwprec")
class PWPRec(Recommender):
    """PWPRec two-tower model; `surface` "home" uses the K multi-interest vectors, other surfaces one vector."""

    name = "pwprec"
    config_class = PWPRecConfig

    def __init__(self, config: PWPRecConfig | dict | None = None) -> None:
        super().__init__(config)
        self.device = pick_device()
        self.net: PWPRecNet | None = None
        self.encoder: ItemFeatureEncoder | None = None
        self.use_item_id = False
        self.item_ids = np.zeros(0, dtype=np.int64)  # sorted known item ids; dense row = position + 1
        self.item_table = np.zeros((1, self.config.d), dtype=np.float32)  # (n + 1, d) tower outputs, row 0 = unknown
        self.item_counts = np.zeros(1, dtype=np.float32)  # (n + 1,) training interactions, for the no-history case
        self.home_trained = False  # False when training had no homepage samples: home then uses the VIP vector
        self._item_table_t: torch.Tensor | None = None  # cached torch copy of item_table

    @property
    def dedupe(self) -> bool:
        """Whether consecutive events on one item collapse; see `PWPRecConfig.dedupe_consecutive`."""
        c = self.config.dedupe_consecutive
        return (not self.use_item_id) if c is None else bool(c)

    # -- id <-> row -----------------------------------------------------------------------------------
    def rows_of(self, item_ids: np.ndarray) -> np.ndarray:
        """Dense rows for raw item ids; 0 for items the model has no vector for."""
        item_ids = np.asarray(item_ids, dtype=np.int64)
        if len(self.item_ids) == 0:
            return np.zeros(item_ids.shape, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.item_ids, item_ids), len(self.item_ids) - 1)
        return np.where(self.item_ids[pos] == item_ids, pos + 1, 0).astype(np.int64)

    # -- samples --------------------------------------------------------------------------------------
    def _interactions(self, events: EventLog, by: str) -> dict[str, np.ndarray]:
        """Interaction events sorted by (`by` = session or user, time), collapsed, mapped to rows."""
        keep = np.isin(events.action, list(INTERACTION_CODES)) & (events.item >= 0)
        group_col = events.session if by == "session" else events.user
        group = group_col[keep]
        ts = events.timestamp[keep]
        order = np.lexsort((ts, group))
        group, ts = group[order], ts[order]
        items = events.item[keep][order]
        actions = events.action[keep][order].astype(np.int64)
        session = events.session[keep][order]
        surface = events.surface[keep][order] if events.surface is not None else np.zeros(len(items), np.int8)
        starts, actions = collapse_runs(group, items, actions, self.dedupe)
        group, ts, items, session, surface = group[starts], ts[starts], items[starts], session[starts], surface[starts]
        rows = self.rows_of(items)
        n = len(rows)
        first = np.ones(n, dtype=bool)
        first[1:] = group[1:] != group[:-1]
        group_first = np.maximum.accumulate(np.where(first, np.arange(n), 0)) if n else np.zeros(0, np.int64)
        new_session = np.ones(n, dtype=bool)
        new_session[1:] = session[1:] != session[:-1]
        session_first = np.maximum.accumulate(np.where(new_session, np.arange(n), 0)) if n else np.zeros(0, np.int64)
        return {
            "rows": rows,
            "actions": actions,
            "ts": ts,
            "group_first": group_first,
            "first": first,
            "new_session": new_session,
            "session_start": ts[session_first] if n else ts,
            "surface": surface,
        }

    def _vip_samples(self, events: EventLog) -> SessionSamples:
        """Section 4.1: within a session, every prefix -> the next item."""
        c = self.config
        s = self._interactions(events, by="session")
        targets = np.flatnonzero(~s["first"] & (s["rows"] > 0))
        if len(targets) == 0:
            return empty_samples(c.vip_max_len)
        rows, actions = history_windows(s["rows"], s["actions"], s["group_first"], targets, c.vip_max_len)
        keep = (rows > 0).any(axis=1)
        targets, rows, actions = targets[keep], rows[keep], actions[keep]
        samples = SessionSamples(rows, actions, s["rows"][targets], s["ts"][targets], s["session_start"][targets])
        if c.max_vip_samples and len(samples) > c.max_vip_samples:
            samples = samples.subset(np.argsort(samples.timestamp, kind="stable")[-c.max_vip_samples :])
        return samples

    def _home_samples(self, events: EventLog) -> SessionSamples:
        """Section 4.2: a user's events in the 30 days before a homepage target.

        Targets are every interaction with a prior one (`home_targets="all"`), or homepage events when the log
        records surfaces, else the first event of each session (where a visit lands on the homepage). A log where
        no user comes back (YooChoose: a user is a session) has none; the homepage then uses the view-item vector.
        """
        c = self.config
        s = self._interactions(events, by="user")
        has_prior = ~s["first"] & (s["rows"] > 0)
        if not (s["new_session"] & ~s["first"]).any():
            return empty_samples(c.home_max_len)  # no user comes back: user-based samples = session-based ones
        if c.home_targets == "all":
            candidates = has_prior
        else:
            candidates = has_prior & (s["surface"] == HOME_SURFACE_CODE)
            if not candidates.any():
                candidates = has_prior & s["new_session"]
        targets = np.flatnonzero(candidates)
        if len(targets) == 0:
            return empty_samples(c.home_max_len)
        min_ts = s["ts"][targets] - c.home_window_days * DAY
        rows, actions = history_windows(
            s["rows"], s["actions"], s["group_first"], targets, c.home_max_len, s["ts"], min_ts
        )
        keep = (rows > 0).any(axis=1)
        targets, rows, actions = targets[keep], rows[keep], actions[keep]
        samples = SessionSamples(rows, actions, s["rows"][targets], s["ts"][targets], s["session_start"][targets])
        if c.max_home_samples and len(samples) > c.max_home_samples:
            samples = samples.subset(np.argsort(samples.timestamp, kind="stable")[-c.max_home_samples :])
        return samples

    # -- training -------------------------------------------------------------------------------------
    def fit(self, dataset: Dataset, valid: Dataset | None = None) -> dict[str, Any]:
        c = self.config
        rng = seed_everything(c.seed)
        events, items = dataset.events, dataset.items

        # Known items: the table plus anything the events mention; id embeddings only for items seen in events.
        event_items = np.unique(events.item[events.item >= 0])
        self.item_ids = np.union1d(np.asarray(items.item_id, dtype=np.int64), event_items)
        self.use_item_id = c.use_item_id if c.use_item_id is not None else items.text_vector is None
        self.encoder = ItemFeatureEncoder.fit(items, item_ids=event_items)
        features = self._features_for_known(items)  # (n + 1) rows, row 0 = unknown
        features_t = features_to_tensors(features, self.device)
        self.net = PWPRecNet(c, self.encoder.sizes(), self.use_item_id).to(self.device)
        self._item_table_t = None

        vip = self._vip_samples(events)
        home = self._home_samples(events) if c.train_home else empty_samples(c.home_max_len)
        vip, home, vip_valid, home_valid = self._validation_split(vip, home, valid, rng)

        interacted = np.isin(events.action, list(INTERACTION_CODES)) & (events.item >= 0)
        counts = np.bincount(self.rows_of(events.item[interacted]), minlength=len(self.item_ids) + 1)
        self.item_counts = counts.astype(np.float32)
        self.item_counts[0] = 0
        negative_pool = torch.as_tensor(self.rows_of(event_items), device=self.device)  # global negatives

        def epoch_batches(epoch: int) -> list[tuple[str, np.ndarray]]:
            """Every view-item and homepage batch of the epoch, the two kinds shuffled together."""
            batches = [("vip", b) for b in batches_of(rng.permutation(len(vip)), c.batch_size)]
            batches += [("home", b) for b in batches_of(rng.permutation(len(home)), c.home_batch_size)]
            return [batches[i] for i in rng.permutation(len(batches))]

        def batch_loss(batch: tuple[str, np.ndarray]) -> tuple[torch.Tensor, dict[str, float]]:
            kind, index = batch
            if kind == "vip":
                loss = self._vip_loss(vip.subset(index).cropped(), features_t, negative_pool)
            else:
                loss = self._home_loss(home.subset(index).cropped(), features_t)
            return loss, {f"{kind}_loss": float(loss.detach())}

        has_valid = len(vip_valid) > 0 or len(home_valid) >= 2
        trainer = Trainer(
            self.net, torch.optim.AdamW(self.net.parameters(), lr=c.lr, weight_decay=c.weight_decay),
            epochs=c.epochs, patience=c.patience, time_cap_seconds=c.time_cap_seconds,
            monitor=Monitor(f"valid_recall@{c.recall_k}"), grad_clip=5.0, name=self.name, rng=rng,
        )  # fmt: skip
        validate = (lambda: self._validate(vip_valid, home_valid, features_t)) if has_valid else None
        fit_log = trainer.fit(epoch_batches, batch_loss, validate)
        self.home_trained = len(home) > 0
        self._refresh_item_table(features_t)
        self.data_window = {
            "dataset": dataset.name,
            "events": len(events),
            "from": float(events.timestamp.min()) if len(events) else None,
            "to": float(events.timestamp.max()) if len(events) else None,
        }
        return {
            "vip_samples": len(vip),
            "home_samples": len(home),
            "vip_valid_samples": len(vip_valid),
            "home_valid_samples": len(home_valid),
            **fit_log.as_dict(),
        }

    def _validation_split(
        self, vip: SessionSamples, home: SessionSamples, valid: Dataset | None, rng: np.random.Generator
    ) -> tuple[SessionSamples, SessionSamples, SessionSamples, SessionSamples]:
        """(vip, home, vip_valid, home_valid): samples of `valid` when given, else the sessions that start in the
        latest `valid_fraction` of the training period (and the homepage targets after that time)."""
        c = self.config
        if valid is not None:
            vip_valid, home_valid = self._vip_samples(valid.events), self._home_samples(valid.events)
            vip_valid = vip_valid.subset(np.flatnonzero(vip_valid.target > 0))
            home_valid = home_valid.subset(np.flatnonzero(home_valid.target > 0))
        elif len(vip) > 0 and (cutoff := time_cutoff(np.unique(vip.session_start), c.valid_fraction)) is not None:
            in_valid = vip.session_start >= cutoff
            vip, vip_valid = vip.subset(np.flatnonzero(~in_valid)), vip.subset(np.flatnonzero(in_valid))
            home_in_valid = home.timestamp >= cutoff
            home, home_valid = home.subset(np.flatnonzero(~home_in_valid)), home.subset(np.flatnonzero(home_in_valid))
        else:
            vip_valid, home_valid = empty_samples(c.vip_max_len), empty_samples(c.home_max_len)
        if c.max_valid_samples:
            vip_valid = vip_valid.subset(rng.permutation(len(vip_valid))[: c.max_valid_samples])
            home_valid = home_valid.subset(rng.permutation(len(home_valid))[: c.max_valid_samples])
        return vip, home, vip_valid, home_valid

    def _features_for_known(self, items: ItemTable) -> dict[str, np.ndarray]:
        assert self.encoder is not None
        table = self.encoder.encode(items)
        out = ItemFeatureEncoder.missing(len(self.item_ids) + 1)
        out["item"] = np.concatenate([[0], self.encoder.vocabularies["item"].lookup(self.item_ids)])
        rows = self.rows_of(items.item_id)
        for name, value in table.items():
            if name != "item":
                out[name][rows] = value
        return out

    def _item_vectors_for(
        self, rows: torch.Tensor, features_t: dict[str, torch.Tensor]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Run the item tower once per distinct row; returns (vectors of the distinct rows, inverse index)."""
        assert self.net is not None
        unique, inverse = torch.unique(rows, return_inverse=True)
        vectors = self.net.item_tower({name: value[unique] for name, value in features_t.items()})  # (U, d)
        return vectors, inverse

    def _encode_batch(self, samples: SessionSamples, extra_rows: torch.Tensor, features_t: dict[str, torch.Tensor]):
        """Encode histories; also returns the item vectors of `extra_rows` (targets, negatives)."""
        assert self.net is not None
        rows = torch.as_tensor(samples.rows, dtype=torch.int64, device=self.device)  # (B, L)
        actions = torch.as_tensor(samples.actions, dtype=torch.int64, device=self.device)  # (B, L)
        all_rows = torch.cat([rows.flatten(), extra_rows.flatten()])
        vectors, inverse = self._item_vectors_for(all_rows, features_t)
        history = vectors[inverse[: rows.numel()]].view(*rows.shape, -1)  # (B, L, d)
        extra = vectors[inverse[rows.numel() :]].view(*extra_rows.shape, -1)  # (*extra, d)
        valid = rows > 0
        return self.net.encode(history, actions, valid), valid, extra

    def _vip_loss(self, batch: SessionSamples, features_t: dict[str, torch.Tensor], pool: torch.Tensor) -> torch.Tensor:
        """Eq. 8 with 1 positive + `n_negatives` global negatives (shared across the batch when configured)."""
        assert self.net is not None
        c = self.config
        b = len(batch)
        target = torch.as_tensor(batch.target, device=self.device)  # (B,)
        negatives = pool[torch.randint(len(pool), (b, c.n_negatives), device=self.device)]  # (B, n)
        encoded, valid, extra = self._encode_batch(batch, torch.cat([target[:, None], negatives], 1), features_t)
        user = F.normalize(self.net.single_vector(encoded, valid), dim=-1)  # (B, d)
        items = F.normalize(extra, dim=-1)  # (B, 1 + n, d)
        positive = (user * items[:, 0]).sum(-1, keepdim=True)  # (B, 1)
        if c.share_negatives:
            negative_vectors = items[:, 1:].reshape(-1, items.shape[-1])  # (B * n, d)
            negative_scores = user @ negative_vectors.T  # (B, B * n)
            accidental = negatives.reshape(1, -1) == target[:, None]  # (B, B * n)
        else:
            negative_scores = torch.einsum("bd,bnd->bn", user, items[:, 1:])  # (B, n)
            accidental = negatives == target[:, None]
        negative_scores = negative_scores.masked_fill(accidental, float("-inf"))
        logits = c.inverse_temperature * torch.cat([positive, negative_scores], dim=1)
        return F.cross_entropy(logits, torch.zeros(b, dtype=torch.int64, device=self.device))

    def _home_loss(self, batch: SessionSamples, features_t: dict[str, torch.Tensor]) -> torch.Tensor:
        """Eq. 8 with in-batch negatives; the interest vector closest to the positive is the user (eq. 9)."""
        assert self.net is not None
        b = len(batch)
        target = torch.as_tensor(batch.target, device=self.device)  # (B,)
        encoded, valid, positives = self._encode_batch(batch, target, features_t)
        interests = F.normalize(self.net.interest_vectors(encoded, valid), dim=-1)  # (B, K, d)
        positives = F.normalize(positives, dim=-1)  # (B, d)
        chosen = torch.einsum("bkd,bd->bk", interests, positives).argmax(dim=1)  # eq. 9, (B,)
        user = interests[torch.arange(b, device=self.device), chosen]  # (B, d)
        logits = self.config.inverse_temperature * (user @ positives.T)  # (B, B)
        duplicate = (target[None, :] == target[:, None]) & ~torch.eye(b, dtype=torch.bool, device=self.device)
        logits = logits.masked_fill(duplicate, float("-inf"))
        return F.cross_entropy(logits, torch.arange(b, device=self.device))

    @torch.no_grad()
    def _validate(
        self, vip: SessionSamples, home: SessionSamples, features_t: dict[str, torch.Tensor]
    ) -> dict[str, float] | None:
        """Recall@K per surface (view-item against every known item; homepage against the batch with eq. 10) and
        their mean, `valid_recall@K`, which early stopping watches (a share of samples: never above 1)."""
        assert self.net is not None
        c = self.config
        k = c.recall_k
        self.net.eval()
        raw = self._compute_item_table(features_t)  # (n + 1, d)
        table = F.normalize(raw, dim=-1)
        table[0] = 0
        metrics: dict[str, float] = {}
        if len(vip):
            hits = 0
            for index in batches_of(np.arange(len(vip)), 512):
                batch = vip.subset(index).cropped()
                user = F.normalize(self._user_from_table(batch.rows, batch.actions, raw, "vip"), dim=-1)  # (B, d)
                scores = user @ table.T  # (B, n + 1)
                scores[:, 0] = float("-inf")
                target = torch.as_tensor(batch.target, device=self.device)
                own = scores.gather(1, target[:, None])  # (B, 1)
                hits += int(((scores > own).sum(1) < k).sum())
            metrics[f"vip_valid_recall@{k}"] = hits / len(vip)
        if len(home) >= 2:
            hits, seen = 0, 0
            for index in batches_of(np.arange(len(home)), c.home_batch_size):
                if len(index) < 2:
                    continue
                batch = home.subset(index).cropped()
                interests = F.normalize(
                    self._user_from_table(batch.rows, batch.actions, raw, "home"), dim=-1
                )  # (B, K, d)
                target = torch.as_tensor(batch.target, device=self.device)
                candidates = table[target]  # (B, d): the batch's positives are the candidate set
                summed = torch.einsum("bkd,cd->bk", interests, candidates)  # eq. 10, (B, K)
                user = interests[torch.arange(len(index), device=self.device), summed.argmax(dim=1)]  # (B, d)
                scores = user @ candidates.T  # (B, B)
                own = scores.diagonal().unsqueeze(1)
                duplicate = target[None, :] == target[:, None]
                better = (scores > own) & ~duplicate
                hits += int((better.sum(1) < k).sum())
                seen += len(index)
            metrics[f"home_valid_recall@{k}"] = hits / max(seen, 1)
        if not metrics:
            return None
        metrics[f"valid_recall@{k}"] = float(np.mean(list(metrics.values())))
        return metrics

    # -- inference ------------------------------------------------------------------------------------
    def _compute_item_table(self, features_t: dict[str, torch.Tensor]) -> torch.Tensor:
        assert self.net is not None
        n = features_t["item"].shape[0]
        parts = []
        for start in range(0, n, 8192):
            parts.append(self.net.item_tower({k: v[start : start + 8192] for k, v in features_t.items()}))
        return torch.cat(parts)  # (n + 1, d)

    @torch.no_grad()
    def _refresh_item_table(self, features_t: dict[str, torch.Tensor]) -> None:
        assert self.net is not None
        self.net.eval()
        self.item_table = self._compute_item_table(features_t).float().cpu().numpy()
        self._item_table_t = None

    def _table_tensor(self) -> torch.Tensor:
        if self._item_table_t is None:
            self._item_table_t = torch.as_tensor(self.item_table, device=self.device)
        return self._item_table_t

    def _user_from_table(
        self,
        rows: np.ndarray,
        actions: np.ndarray,
        table_raw: torch.Tensor | None,
        surface: str,
    ) -> torch.Tensor:
        """(B, d) for view-item surfaces or (B, K, d) for home, from left-padded rows; eval mode only."""
        assert self.net is not None
        rows_t = torch.as_tensor(rows, dtype=torch.int64, device=self.device)
        actions_t = torch.as_tensor(actions, dtype=torch.int64, device=self.device)
        history = (table_raw if table_raw is not None else self._table_tensor())[rows_t]  # (B, L, d)
        valid = rows_t > 0
        encoded = self.net.encode(history, actions_t, valid)
        if surface == "home":
            return self.net.interest_vectors(encoded, valid)
        return self.net.single_vector(encoded, valid)

    def _is_home(self, query: Query) -> bool:
        """Homepage queries get the K multi-interest vectors, when the Multi-Interest head was trained."""
        return query.surface == "home" and self.home_trained

    def _query_history(self, query: Query) -> tuple[np.ndarray, np.ndarray]:
        """The query's history as (rows, action codes), oldest first, the way training built it."""
        c = self.config
        items = np.asarray(query.history, dtype=np.int64)
        n = len(items)
        actions = (
            np.asarray(query.history_actions, dtype=np.int64)
            if len(query.history_actions) == n
            else np.zeros(n, np.int64)
        )
        keep = np.isin(actions, list(INTERACTION_CODES)) & (items >= 0)
        if self._is_home(query) and query.timestamp is not None and len(query.history_timestamps) == n:
            recent = (
                np.asarray(query.history_timestamps, dtype=np.float64) >= query.timestamp - c.home_window_days * DAY
            )
            if (keep & recent).any():
                keep &= recent
        items, actions = items[keep], actions[keep]
        if (
            not self._is_home(query)
            and query.current_item is not None
            and (len(items) == 0 or items[-1] != query.current_item)
        ):
            items = np.append(items, query.current_item)
            actions = np.append(actions, 0)
        rows = self.rows_of(items)
        items, actions, rows = items[rows > 0], actions[rows > 0], rows[rows > 0]
        if len(rows):
            starts, actions = collapse_runs(np.zeros(len(rows), np.int64), rows, actions, self.dedupe)
            rows = rows[starts]
        max_len = c.home_max_len if self._is_home(query) else c.vip_max_len
        return rows[-max_len:], actions[-max_len:]

    @torch.no_grad()
    def _batch_vectors(
        self, queries: list[Query], histories: list[tuple[np.ndarray, np.ndarray]] | None = None
    ) -> list[np.ndarray | None]:
        """Per query: (n_vectors, d) l2-normalised user vectors, or None when no history item is known.

        Queries of one kind (home / view-item) run through the user tower together, left-padded.
        """
        if self.net is None:
            raise RuntimeError("PWPRec is not trained")
        self.net.eval()
        out: list[np.ndarray | None] = [None] * len(queries)
        if histories is None:
            histories = [self._query_history(q) for q in queries]
        for surface in ("home", "vip"):
            index = [
                i for i, q in enumerate(queries) if len(histories[i][0]) and self._is_home(q) == (surface == "home")
            ]
            for begin in range(0, len(index), 1024):
                chunk = index[begin : begin + 1024]
                length = max(len(histories[i][0]) for i in chunk)
                rows = np.zeros((len(chunk), length), dtype=np.int64)  # left-padded
                actions = np.zeros((len(chunk), length), dtype=np.int64)
                for j, i in enumerate(chunk):
                    r, a = histories[i]
                    rows[j, length - len(r) :], actions[j, length - len(r) :] = r, a + 1
                user = self._user_from_table(rows, actions, None, surface)  # (B, d) or (B, K, d)
                vectors = F.normalize(user.reshape(len(chunk), -1, user.shape[-1]), dim=-1).float().cpu().numpy()
                for j, i in enumerate(chunk):
                    out[i] = vectors[j]  # (1 or K, d)
        return out

    def _candidate_table(self, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rows = self.rows_of(np.asarray(candidates, dtype=np.int64))
        table = self.item_table[rows]  # (C, d); unknown ids use row 0, the vector of an item without features
        return rows, table / np.maximum(np.linalg.norm(table, axis=1, keepdims=True), 1e-12)

    def score(self, query: Query, candidates: np.ndarray) -> np.ndarray:
        return self.score_batch([query], candidates)[0]

    def score_batch(self, queries: list[Query], candidates: np.ndarray) -> np.ndarray:
        """(len(queries), len(candidates)) scores; `recommender.evaluation` uses this when present."""
        rows, table = self._candidate_table(candidates)
        popularity = np.log1p(self.item_counts[rows]).astype(np.float32)  # for queries without usable history
        scores = np.empty((len(queries), len(rows)), dtype=np.float32)
        histories = [self._query_history(q) for q in queries]
        for i, user in enumerate(self._batch_vectors(queries, histories)):
            # Home: the best of the K interests; other surfaces have one vector.
            scores[i] = popularity if user is None else (table @ user.T).max(axis=1)
            if self.dedupe and len(histories[i][0]):
                # Trained on collapsed runs, the model never saw a target repeat the latest item (the page the
                # user is on): that item goes last, below every cosine.
                scores[i, rows == histories[i][0][-1]] = -2.0
        return scores

    def user_vectors(self, query: Query) -> np.ndarray | None:
        return self._batch_vectors([query])[0]

    @torch.no_grad()
    def item_vectors(self, items: ItemTable) -> np.ndarray | None:
        """l2-normalised (len(items), d) vectors from content (+ id when trained with ids); new listings included."""
        if self.net is None or self.encoder is None:
            raise RuntimeError("PWPRec is not trained")
        self.net.eval()
        features_t = features_to_tensors(self.encoder.encode(items), self.device)
        vectors = self._compute_item_table(features_t)
        return F.normalize(vectors, dim=-1).float().cpu().numpy()

    @torch.no_grad()
    def catalog_extend(self, items: ItemTable) -> None:
        """Add or refresh item vectors from `items` (e.g. listings posted after training) so `score` sees them."""
        if self.net is None or self.encoder is None:
            raise RuntimeError("PWPRec is not trained")
        self.net.eval()
        vectors = (
            self._compute_item_table(features_to_tensors(self.encoder.encode(items), self.device)).float().cpu().numpy()
        )
        ids = np.union1d(self.item_ids, np.asarray(items.item_id, dtype=np.int64))
        table = np.zeros((len(ids) + 1, self.item_table.shape[1]), dtype=np.float32)
        counts = np.zeros(len(ids) + 1, dtype=np.float32)
        old_rows = np.searchsorted(ids, self.item_ids) + 1
        table[0] = self.item_table[0]
        table[old_rows] = self.item_table[1:]
        counts[old_rows] = self.item_counts[1:]
        table[np.searchsorted(ids, items.item_id) + 1] = vectors
        self.item_ids, self.item_table, self.item_counts = ids, table, counts
        self._item_table_t = None

    # -- persistence ----------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        if self.net is None or self.encoder is None:
            raise RuntimeError("PWPRec is not trained")
        return {
            "net": {k: v.detach().cpu() for k, v in self.net.state_dict().items()},
            "encoder": self.encoder.state(),
            "use_item_id": self.use_item_id,
            "item_ids": self.item_ids,
            "item_table": self.item_table,
            "item_counts": self.item_counts,
            "home_trained": self.home_trained,
        }

    def load_state(self, state: dict[str, Any]) -> None:
        self.encoder = ItemFeatureEncoder.from_state(state["encoder"])
        self.use_item_id = bool(state["use_item_id"])
        self.net = PWPRecNet(self.config, self.encoder.sizes(), self.use_item_id)
        self.net.load_state_dict(state["net"])
        self.net.to(self.device).eval()
        self.item_ids = np.asarray(state["item_ids"], dtype=np.int64)
        self.item_table = np.asarray(state["item_table"], dtype=np.float32)
        self.item_counts = np.asarray(state["item_counts"], dtype=np.float32)
        self.home_trained = bool(state.get("home_trained", True))
        self._item_table_t = None


# Ablations of Table 3, sharing the code above.
register("pwprec_gru", defaults={"user_tower": "gru"})(PWPRec)
register("pwprec_sasrec", defaults={"user_tower": "sasrec", "position": "absolute"})(PWPRec)
