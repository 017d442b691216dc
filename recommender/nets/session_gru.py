"""`session_gru`: a GRU next-item model over session prefixes with a full softmax over the catalogue.

Paper: Hidasi et al., "Session-based Recommendations with Recurrent Neural Networks" (GRU4Rec, ICLR 2016), section
3.1: the session's items, one at a time, through a GRU whose hidden state scores every item for the next click;
with the cross-entropy over all items of Hidasi & Karatzoglou, "Recurrent Neural Networks with Top-k Gains"
(CIKM 2018), section 3, affordable when the catalogue has a few thousand items. Item embeddings are tied between
input and output (as in NARM / SASRec), with dropout on the input embeddings and weight decay, so the net holds
on small data.

Training: every session's clicks from the second on are targets of the prefix before them (a long session is cut
into windows of `max_len` targets, each seeing the `max_len` clicks before its targets); the sessions that start in
the latest `valid_fraction` of the training period validate, and the shared `Trainer` stops on their HR@20.
`session_hybrid` uses this net as its neural signal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from recommender.base import Query, Recommender, register
from recommender.baselines import history_of, index_of, interaction_rows
from recommender.data import INTERACTION_CODES, Dataset
from recommender.nets.training import Monitor, Trainer, TrainingConfig, batches_of, seed_everything, time_cutoff
from recommender.sequences import session_sequences

VALID_K = 20  # early stopping watches HR@20, the headline metric of the session benchmarks


@dataclass
class SessionGruConfig(TrainingConfig):
    # shared training parameters
    epochs: int = 30  # most epochs; early stopping on the latest sessions' HR@20 ends sooner (5-15 on YooChoose)
    lr: float = 1e-2  # Adam
    patience: int = 3
    valid_fraction: float = 0.1  # sessions starting in the latest 10% of the training period validate
    # the net
    dim: int = 64  # item embedding and GRU hidden size
    max_len: int = 20  # targets per training window, and clicks of a query's session read at scoring
    dropout: float = 0.25  # on input item embeddings: holds the net on small data
    weight_decay: float = 1e-5
    batch_size: int = 512  # windows per step
    negatives: int = 512  # uniform negatives shared by a batch (sampled softmax); >= catalogue: full softmax
    score_batch_size: int = 512  # queries per forward pass at scoring


class SessionGruNet(nn.Module):
    """Item rows 1..n (0 = padding) -> GRU -> logits over the n items, input and output embeddings tied."""

    def __init__(self, n_items: int, dim: int, dropout: float) -> None:
        super().__init__()
        self.items = nn.Embedding(n_items + 1, dim, padding_idx=0)
        nn.init.normal_(self.items.weight, std=0.05)
        self.dropout = nn.Dropout(dropout)
        self.gru = nn.GRU(dim, dim, batch_first=True)
        self.bias = nn.Parameter(torch.zeros(n_items))

    def hidden(self, rows: torch.Tensor) -> torch.Tensor:
        """(B, L) right-padded item rows -> (B, L, d) the GRU's state after each click."""
        return self.gru(self.dropout(self.items(rows)))[0]

    def logits(self, hidden: torch.Tensor, items: torch.Tensor | None = None) -> torch.Tensor:
        """(..., d) states -> (..., n) next-item logits, or (..., len(items)) for the item positions `items`."""
        if items is None:
            return hidden @ self.items.weight[1:].T + self.bias
        return hidden @ self.items.weight[items + 1].T + self.bias[items]

    def forward(self, rows: torch.Tensor) -> torch.Tensor:
        """(B, L) right-padded item rows -> (B, L, n) next-item logits at every position."""
        return self.logits(self.hidden(rows))


def _windows(item_rows: np.ndarray, offsets: np.ndarray, sessions: np.ndarray, max_len: int) -> np.ndarray:
    """(w, max_len + 1) right-padded windows of the given sessions: up to `max_len` targets each, plus the click
    before its first target; windows of one session cover disjoint targets. (Padding after the clicks leaves the
    GRU's states at the clicks as they are without it.)"""
    out: list[np.ndarray] = []
    for s in sessions:
        items = item_rows[offsets[s] : offsets[s + 1]]
        for end in range(len(items), 1, -max_len):
            window = items[max(0, end - max_len - 1) : end]
            out.append(np.r_[window, np.zeros(max_len + 1 - len(window), np.int64)])
    return np.stack(out) if out else np.zeros((0, max_len + 1), np.int64)


@register("session_gru")
class SessionGru(Recommender):
    """GRU4Rec with a full softmax: scores every training item for the session's next click."""

    name = "session_gru"
    config_class = SessionGruConfig

    def __init__(self, config: Any = None) -> None:
        super().__init__(config)
        self.item_ids = np.zeros(0, dtype=np.int64)  # (n,) sorted vocabulary; net row = position + 1
        self.net: SessionGruNet | None = None

    def fit(self, dataset: Dataset, valid: Dataset | None = None) -> dict[str, Any]:
        c = self.config
        rng = seed_everything(c.seed)
        events = dataset.events
        rows = interaction_rows(events)
        if len(rows) == 0:
            raise ValueError("SessionGru.fit: no interactions")
        self.item_ids = np.unique(events.item[rows]).astype(np.int64)
        seqs = session_sequences(events, INTERACTION_CODES, min_length=2)
        item_rows = index_of(self.item_ids, seqs.item) + 1
        starts = seqs.timestamp[seqs.offsets[:-1]]
        cutoff = time_cutoff(np.unique(starts), c.valid_fraction) if valid is None else None
        in_valid = starts >= cutoff if cutoff is not None else np.zeros(len(seqs), bool)
        train = _windows(item_rows, seqs.offsets, np.flatnonzero(~in_valid), c.max_len)
        if valid is not None:
            vseqs = session_sequences(valid.events, INTERACTION_CODES, min_length=2)
            vrows = index_of(self.item_ids, vseqs.item)
            held = _windows(np.where(vrows >= 0, vrows + 1, -1), vseqs.offsets, np.arange(len(vseqs)), c.max_len)
        else:
            held = _windows(item_rows, seqs.offsets, np.flatnonzero(in_valid), c.max_len)
        if len(train) == 0:
            raise ValueError("SessionGru.fit: no session of two or more clicks to train on")
        self.net = SessionGruNet(len(self.item_ids), c.dim, c.dropout)
        net = self.net
        train_t, held_t = torch.as_tensor(train), torch.as_tensor(held)

        lengths = (train != 0).sum(axis=1)

        def batches(epoch: int) -> list[np.ndarray]:
            """Windows of about one length together (little padding to run through the GRU), batches shuffled."""
            chunks = batches_of(np.lexsort((rng.random(len(train)), lengths)), c.batch_size)
            return [chunks[i] for i in rng.permutation(len(chunks))]

        def loss(index: np.ndarray) -> torch.Tensor:
            width = int(lengths[index].max())
            window = train_t[index, :width]  # (B, w): the batch's longest window, no all-padding column
            hidden = net.hidden(window[:, :-1])  # (B, w - 1, d)
            targets = window[:, 1:] - 1
            known = (targets >= 0) & (window[:, :-1] > 0)  # real clicks after a real click
            target = targets[known]  # (N,)
            if c.negatives >= len(self.item_ids):
                return F.cross_entropy(net.logits(hidden[known]), target)
            # sampled softmax: the batch's targets and uniform negatives, one shared set for the batch
            negatives = torch.as_tensor(rng.integers(0, len(self.item_ids), c.negatives))
            rows, position = torch.unique(torch.cat([target, negatives]), return_inverse=True)
            return F.cross_entropy(net.logits(hidden[known], rows), position[: len(target)])

        def validate() -> dict[str, float]:
            return self._held_out_metrics(held_t)

        trainer = Trainer(
            net, torch.optim.Adam(net.parameters(), lr=c.lr, weight_decay=c.weight_decay),
            epochs=c.epochs, patience=c.patience, time_cap_seconds=c.time_cap_seconds,
            monitor=Monitor(f"valid_hr@{VALID_K}"), grad_clip=5.0, name=self.name, rng=rng,
        )  # fmt: skip
        fit_log = trainer.fit(batches, loss, validate if len(held) else None)
        self.data_window = {"start": float(events.timestamp.min()), "end": float(events.timestamp.max()),
                            "events": len(events)}
        return {"train_windows": len(train), "valid_windows": len(held), **fit_log.as_dict()}

    @torch.no_grad()
    def _held_out_metrics(self, held: torch.Tensor) -> dict[str, float]:
        """HR@20 and MRR@20 over every target of the held-out windows (rows -1: items unknown in training, misses)."""
        assert self.net is not None
        self.net.eval()
        ranks = []
        for index in batches_of(np.arange(len(held)), self.config.score_batch_size):
            window = held[index]
            inputs, targets = window[:, :-1], window[:, 1:]
            logits = self.net(inputs.clamp(min=0))  # (B, L, n); an unknown click reads as padding
            target_logit = logits.gather(2, (targets - 1).clamp(min=0).unsqueeze(2)).squeeze(2)  # (B, L)
            rank = 1 + (logits > target_logit.unsqueeze(2)).sum(dim=2).float()
            asked = (targets != 0) & (inputs != 0)
            ranks.append(torch.where(targets > 0, rank, torch.inf)[asked])
        all_ranks = torch.cat(ranks) if ranks else torch.zeros(0)
        if not len(all_ranks):
            return {}
        hit = all_ranks <= VALID_K
        return {f"valid_hr@{VALID_K}": float(hit.float().mean()),
                f"valid_mrr@{VALID_K}": float(torch.where(hit, 1.0 / all_ranks, 0.0).mean())}

    # -- scoring --------------------------------------------------------------------------------------------------
    @torch.no_grad()
    def item_probabilities(self, histories: list[np.ndarray]) -> np.ndarray:
        """(len(histories), n) next-click probabilities over the vocabulary from each history of item ids (oldest
        first; unknown items skipped); an empty history gets zeros."""
        if self.net is None:
            raise RuntimeError("SessionGru is not trained: call fit() or load a checkpoint")
        self.net.eval()
        n, c = len(self.item_ids), self.config
        out = np.zeros((len(histories), n), dtype=np.float64)
        rows = [index_of(self.item_ids, h) + 1 for h in histories]
        rows = [r[r > 0][-c.max_len :] for r in rows]
        asked = np.flatnonzero([len(r) > 0 for r in rows])
        for index in batches_of(asked, c.score_batch_size):
            lengths = np.array([len(rows[i]) for i in index])
            padded = np.zeros((len(index), lengths.max()), dtype=np.int64)
            for j, i in enumerate(index):
                padded[j, : lengths[j]] = rows[i]
            hidden = self.net.hidden(torch.as_tensor(padded))[np.arange(len(index)), lengths - 1]  # (b, d)
            logits = self.net.logits(hidden)  # (b, n)
            out[index] = torch.softmax(logits, dim=1).double().numpy()
        return out

    def score_batch(self, queries: list[Query], candidates: np.ndarray) -> np.ndarray:
        """(len(queries), len(candidates)) probabilities; unknown candidates score -1."""
        idx = index_of(self.item_ids, np.asarray(candidates, dtype=np.int64))
        probabilities = self.item_probabilities([history_of(q) for q in queries])
        return np.where(idx[None, :] >= 0, probabilities[:, np.maximum(idx, 0)], -1.0)

    def score(self, query: Query, candidates: np.ndarray) -> np.ndarray:
        return self.score_batch([query], candidates)[0]

    # -- persistence ----------------------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        if self.net is None:
            raise RuntimeError("SessionGru is not trained: call fit() or load a checkpoint")
        return {"item_ids": self.item_ids, "net": self.net.state_dict()}

    def load_state(self, state: dict[str, Any]) -> None:
        self.item_ids = np.asarray(state["item_ids"], dtype=np.int64)
        self.net = SessionGruNet(len(self.item_ids), self.config.dim, self.config.dropout)
        self.net.load_state_dict(state["net"])
        self.net.eval()
