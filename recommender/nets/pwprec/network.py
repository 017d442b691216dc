"""PWPRec's torch network, free of Django: the causal transformer user tower (section 3.3, eq. 1-4, with the
GRU / SASRec ablations of Table 3), Long-Short fusion for the view-item page (section 3.4, eq. 5-6) and
Multi-Interest fusion for the homepage (eq. 7) over the content item tower (section 3.2). Shapes: B users,
L history positions, d the embedding width, K interests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from recommender.data import ACTIONS
from recommender.nets.content_tower import ContentTower, ContentTowerConfig
from recommender.nets.training import TrainingConfig


@dataclass
class PWPRecConfig(TrainingConfig):
    # -- user tower ---------------------------------------------------------------------------------
    user_tower: str = "transformer"  # transformer (PWPRec) | gru (GRU4Rec-Enhanced) | sasrec (last position)
    position: str = "relative"  # relative: embedding of T - i (eq. 1); absolute: index from the oldest (SASRec)
    d: int = 64  # shared user / item dimension (paper: not stated; the serving vector columns hold 64)
    n_layers: int = 2  # transformer blocks (paper: not stated)
    n_heads: int = 2
    dropout: float = 0.2
    vip_max_len: int = 20  # history length for view-item samples (eBay sessions average 15 events)
    home_max_len: int = 50  # history length for homepage samples (paper: all views in 30 days, ~100 on average)
    n_interests: int = 4  # K of eq. 7 (paper: not stated; Figure 8 shows 3, ComiRec uses 4)
    interest_hidden: int = 256  # d_hidden of eq. 7, "several times larger than" d
    use_actions: bool = True  # add an embedding of the action (view / like / cart / ...) to each history item
    # -- item tower ---------------------------------------------------------------------------------
    categorical_dim: int = 16
    item_blocks: int = 2
    use_item_id: bool | None = None  # None: only when the item table has no text vectors (YooChoose)
    # -- training -----------------------------------------------------------------------------------
    n_negatives: int = 10  # global negatives per view-item sample (paper: 10)
    share_negatives: bool = True  # every sample also scores the batch's other negatives (B * 10 instead of 10)
    inverse_temperature: float = 20.0  # eq. 8 logits = inverse_temperature * cosine
    batch_size: int = 128  # view-item samples per step (smaller batches learn faster per CPU second here)
    home_batch_size: int = 256  # homepage samples per step = in-batch negatives (paper: 1000)
    weight_decay: float = 0.0
    # shared training parameters (`TrainingConfig`), with PWPRec's defaults
    epochs: int = 20  # most epochs; early stopping on validation Recall@K ends sooner
    lr: float = 2e-3
    patience: int = 3  # epochs without a better validation Recall@K before stopping
    valid_fraction: float = 0.1  # latest sessions held out for early stopping when fit() gets no `valid`
    train_home: bool = True  # also train the Multi-Interest head on user-based 30-day samples
    home_window_days: float = 30.0  # paper: 30 days
    # Homepage targets: "all" interactions (the Taobao set of Table 4, and the evaluation's home protocol) or only
    # "home"-surface clicks (the eBay set); either way the history is the user's 30 days before the target.
    home_targets: str = "all"
    max_home_samples: int = 100_000  # most recent homepage samples kept
    max_vip_samples: int = 0  # most recent view-item samples kept (0: all)
    # Collapse repeated events on the same item into one (keeping the strongest action). None: collapse on
    # marketplace logs (a view then a like / cart of one listing is one interest) but keep repeats in click logs
    # without content (YooChoose: a quarter of the next clicks repeat the last one, and they are targets too).
    dedupe_consecutive: bool | None = None
    max_valid_samples: int = 5000
    recall_k: int = 20  # K of the validation Recall@K

    # fields of earlier versions: old name -> new name (None: dropped), applied when a checkpoint loads
    renamed_fields: ClassVar[dict[str, str | None]] = {"max_epochs": "epochs", "max_train_seconds": None}


# -- modules ---------------------------------------------------------------------------------------------
class CausalSelfAttentionBlock(nn.Module):
    """Pre-LN transformer block; `allowed` is the lower-triangular mask of eq. 4 (and padding)."""

    def __init__(self, d: int, n_heads: int, dropout: float) -> None:
        super().__init__()
        assert d % n_heads == 0, "d must be divisible by n_heads"
        self.n_heads = n_heads
        self.norm1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.out = nn.Linear(d, d)
        self.norm2 = nn.LayerNorm(d)
        self.ff = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
        b, length, d = x.shape  # x: (B, L, d); allowed: (B, 1, L, L) bool, True = may attend
        q, k, v = self.qkv(self.norm1(x)).split(d, dim=-1)  # 3 x (B, L, d)
        q, k, v = (
            t.view(b, length, self.n_heads, d // self.n_heads).transpose(1, 2) for t in (q, k, v)
        )  # (B, h, L, d/h)
        # Dropout on the residual branches only: attention-weight dropout costs more than it gives on CPU.
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)
        x = x + self.drop(self.out(a.transpose(1, 2).reshape(b, length, d)))  # (B, L, d)
        return x + self.drop(self.ff(self.norm2(x)))


class LongShortFusion(nn.Module):
    """Eq. 5-6: additive attention of every position against the last, then a gate between short and long.

    The paper writes the attention weights as v^T sigmoid(A1 i_k + A2 i_L); we softmax them over the valid
    positions so U_long is a weighted mean (rows sum to 1), and the gate is a d-dimensional sigmoid.
    """

    def __init__(self, d: int) -> None:
        super().__init__()
        self.a1 = nn.Linear(d, d, bias=False)
        self.a2 = nn.Linear(d, d)
        self.v = nn.Linear(d, 1, bias=False)
        self.g1 = nn.Linear(d, d, bias=False)
        self.g2 = nn.Linear(d, d)

    def forward(self, encoded: torch.Tensor, valid: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        short = encoded[:, -1]  # (B, d): the last position (sequences are left-padded)
        e = self.v(torch.sigmoid(self.a1(encoded) + self.a2(short).unsqueeze(1))).squeeze(-1)  # (B, L)
        attention = torch.softmax(e.masked_fill(~valid, float("-inf")), dim=-1)  # (B, L)
        long = torch.einsum("bl,bld->bd", attention, encoded)  # (B, d)
        gate = torch.sigmoid(self.g1(short) + self.g2(long))  # (B, d)
        return (1 - gate) * long + gate * short, attention, gate


class AttentionPooling(nn.Module):
    """GRU4Rec-Enhanced's attention-weighted sum of the GRU outputs (the paper's production baseline)."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.w = nn.Linear(d, d)
        self.v = nn.Linear(d, 1, bias=False)

    def forward(self, encoded: torch.Tensor, valid: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        e = self.v(torch.tanh(self.w(encoded))).squeeze(-1)  # (B, L)
        attention = torch.softmax(e.masked_fill(~valid, float("-inf")), dim=-1)  # (B, L)
        return torch.einsum("bl,bld->bd", attention, encoded), attention  # (B, d), (B, L)


class MultiInterestFusion(nn.Module):
    """Eq. 7 (self-attentive, Lin et al. / ComiRec-SA): A = softmax((tanh(I W1) W2)^T), U = A I."""

    def __init__(self, d: int, hidden: int, n_interests: int) -> None:
        super().__init__()
        self.w1 = nn.Linear(d, hidden, bias=False)
        self.w2 = nn.Linear(hidden, n_interests, bias=False)

    def forward(self, encoded: torch.Tensor, valid: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits = self.w2(torch.tanh(self.w1(encoded))).transpose(1, 2)  # (B, K, L)
        attention = torch.softmax(logits.masked_fill(~valid.unsqueeze(1), float("-inf")), dim=-1)  # (B, K, L)
        return attention @ encoded, attention  # (B, K, d), (B, K, L)


class PWPRecNet(nn.Module):
    """Item tower + user tower (+ both fusion heads). Histories are left-padded: the last column is the newest."""

    def __init__(self, config: PWPRecConfig, sizes: dict[str, int], use_item_id: bool) -> None:
        super().__init__()
        c = config
        if c.user_tower not in ("transformer", "gru", "sasrec"):
            raise ValueError(f"unknown user_tower {c.user_tower!r}")
        if c.position not in ("relative", "absolute"):
            raise ValueError(f"unknown position {c.position!r}")
        self.config = c
        tower = ContentTowerConfig(
            d=c.d, categorical_dim=c.categorical_dim, n_blocks=c.item_blocks, use_item_id=use_item_id, dropout=c.dropout
        )
        self.item_tower = ContentTower(tower, sizes)
        max_len = max(c.vip_max_len, c.home_max_len)
        self.action = nn.Embedding(len(ACTIONS) + 1, c.d, padding_idx=0) if c.use_actions else None  # code + 1
        self.input_drop = nn.Dropout(c.dropout)
        if c.user_tower == "gru":
            self.gru = nn.GRU(c.d, c.d, batch_first=True)
            self.pool = AttentionPooling(c.d)
        else:
            self.position = nn.Embedding(max_len + 1, c.d, padding_idx=0)  # 0 = padding
            self.blocks = nn.ModuleList(CausalSelfAttentionBlock(c.d, c.n_heads, c.dropout) for _ in range(c.n_layers))
            self.final_norm = nn.LayerNorm(c.d)
            if c.user_tower == "transformer":
                self.long_short = LongShortFusion(c.d)
        self.multi_interest = MultiInterestFusion(c.d, c.interest_hidden, c.n_interests)

    # -- user tower ---------------------------------------------------------------------------------
    def positions(self, valid: torch.Tensor) -> torch.Tensor:
        """(B, L) position indices, 0 on padding: T - i (1 = newest) or 1..n from the oldest."""
        b, length = valid.shape
        j = torch.arange(length, device=valid.device).expand(b, length)
        if self.config.position == "relative":
            pos = length - j  # eq. 1 with T = L + 1: the newest history item is 1
        else:
            n = valid.sum(dim=1, keepdim=True)
            pos = j - (length - n) + 1
        return torch.where(valid, pos, torch.zeros_like(pos))

    def encode(self, item_vectors: torch.Tensor, actions: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """History (B, L, d) item vectors, (B, L) action codes + 1, (B, L) bool -> (B, L, d) encoded positions."""
        x = item_vectors
        if self.action is not None:
            x = x + self.action(actions)
        x = x * valid.unsqueeze(-1)
        if self.config.user_tower == "gru":
            return self._encode_gru(self.input_drop(x), valid)
        x = self.input_drop(x + self.position(self.positions(valid)))  # eq. 2
        length = x.shape[1]
        causal = torch.ones(length, length, dtype=torch.bool, device=x.device).tril()  # eq. 4: Tril(Ones(L x L))
        eye = torch.eye(length, dtype=torch.bool, device=x.device)
        # Padding keys are masked too; a padding query still sees itself so its softmax row is never empty.
        allowed = (causal & (valid.unsqueeze(1) | eye)).unsqueeze(1)  # (B, 1, L, L)
        for block in self.blocks:
            x = block(x, allowed)
        return self.final_norm(x)  # (B, L, d)

    def _encode_gru(self, x: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        b, length, d = x.shape
        n = valid.sum(dim=1)  # (B,), >= 1
        shift = (length - n).unsqueeze(1)  # left padding -> move the n real items to the front, run, move back
        j = torch.arange(length, device=x.device).unsqueeze(0)
        front = torch.gather(x, 1, ((j + shift) % length).unsqueeze(-1).expand(b, length, d))  # (B, L, d), right-padded
        packed = nn.utils.rnn.pack_padded_sequence(front, n.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.gru(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=length)  # (B, L, d)
        return torch.gather(out, 1, ((j - shift) % length).unsqueeze(-1).expand(b, length, d))  # (B, L, d), left-padded

    # -- fusion -------------------------------------------------------------------------------------
    def single_vector(self, encoded: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """The view-item page user vector (B, d): Long-Short (PWPRec), attention pooling (GRU) or last (SASRec)."""
        if self.config.user_tower == "transformer":
            return self.long_short(encoded, valid)[0]
        if self.config.user_tower == "gru":
            return self.pool(encoded, valid)[0]
        return encoded[:, -1]

    def interest_vectors(self, encoded: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """The homepage user vectors (B, K, d) of eq. 7."""
        return self.multi_interest(encoded, valid)[0]
