"""SCID's torch network, free of Django (seed 001, sections 4 and 6.2): a GRU (or moving-average) encoder over
a session's item attribute embeddings with the pre-training heads, their losses weighted by learned uncertainty.
Shapes: B segments, T steps, d the GRU state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from recommender.nets.training import TrainingConfig

HEADS: tuple[str, ...] = ("next", "purchase")
TASKS: tuple[str, ...] = (
    "buy_item",
    "buy_session",
    "next_title",
    "next_product",
    "next_price",
    "purchase_title",
    "purchase_product",
    "purchase_price",
)


TEXT_DIM = 384  # all-MiniLM-L6-v2


@dataclass
class SCIDConfig(TrainingConfig):
    hidden: int = 256  # GRU state (paper §6.2)
    encoder: str = "gru"  # "gru" | "ma": the paper's moving-average encoder baseline (end of §5)
    encoder_ma_decay: float = 0.3  # "ma" encoder: weight of the newest step
    product_dim: int = 32  # product_id embedding: input attribute and target of the product heads
    max_products: int = 50_000  # most frequent product ids get an embedding; the rest share row 0 (OOV / unknown)
    min_product_count: int = 2  # a product needs this many items to get its own row
    product_temperature: float = 0.1  # softmax over cosine similarities with the batch's products
    head_layers: int = 1  # 1 = linear heads (paper, MeLi-Sessions); 2 = two-layer ReLU MLPs (paper, CDC)
    collapse_repeats: bool = True  # consecutive events on one item form one step
    max_len: int = 50  # steps per training segment (the latest are kept) and per query session
    min_len: int = 2  # shorter segments have no next-item target and are skipped
    mean_statistic: str = "mean"  # "mean" (eq. 6) | "ema": the MA variant, an exponential moving average
    ema_alpha: float = 0.3  # weight of the newest similarity in the "ema" statistic
    session_gap_s: float = 1800.0  # a query's session = its trailing history events with gaps under this
    epochs: int = 20  # upper bound; early stopping usually ends sooner
    patience: int = 4  # epochs without a better validation loss before stopping (paper §6.2)
    batch_size: int = 128  # segments per step
    lr: float = 1e-3  # Adam (paper §6.2)
    valid_fraction: float = 0.1  # the latest segments, for early stopping when `fit` gets no `valid`
    max_segments: int | None = None  # cap on training segments (the latest are kept); None = all


def _head(hidden: int, out: int, layers: int) -> nn.Module:
    if layers <= 1:
        return nn.Linear(hidden, out)
    return nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, out))


class ScidNet(nn.Module):
    """Attribute embedding -> GRU (or moving average) -> eight heads, plus the learned task log-variances."""

    def __init__(self, config: SCIDConfig, n_products: int, text_dim: int = TEXT_DIM) -> None:
        super().__init__()
        self.config = config
        self.text_dim = text_dim
        self.product = nn.Embedding(n_products, config.product_dim)  # row 0 = OOV / unknown product
        in_dim = text_dim + config.product_dim + 1
        if config.encoder == "gru":
            self.rnn = nn.GRU(in_dim, config.hidden, num_layers=1, batch_first=True)
        elif config.encoder == "ma":
            self.ma_proj = nn.Linear(in_dim, config.hidden)
        else:
            raise ValueError(f"unknown SCID encoder {config.encoder!r}; use 'gru' or 'ma'")
        layers = config.head_layers
        self.buy_item = _head(config.hidden, 1, layers)
        self.buy_session = _head(config.hidden, 1, layers)
        self.title = nn.ModuleList([_head(config.hidden, text_dim, layers) for _ in HEADS])
        self.product_head = nn.ModuleList([_head(config.hidden, config.product_dim, layers) for _ in HEADS])
        self.price = nn.ModuleList([_head(config.hidden, 1, layers) for _ in HEADS])
        self.log_vars = nn.Parameter(torch.zeros(len(TASKS)))  # uncertainty weights, one per task

    def inputs(self, text: torch.Tensor, product: torch.Tensor, price: torch.Tensor) -> torch.Tensor:
        # text (..., 384), product (...) long, price (...) normalised log price -> (..., 384 + product_dim + 1)
        return torch.cat([text, self.product(product), price.unsqueeze(-1)], dim=-1)

    def encode(self, x: torch.Tensor, h0: torch.Tensor | None = None) -> torch.Tensor:
        """x (B, T, in) -> hidden states (B, T, hidden); h0 (B, hidden) continues a session."""
        if self.config.encoder == "gru":
            out, _ = self.rnn(x, None if h0 is None else h0.unsqueeze(0).contiguous())
            return out
        a = self.config.encoder_ma_decay
        z = torch.tanh(self.ma_proj(x))  # (B, T, hidden)
        h = torch.zeros_like(z[:, 0]) if h0 is None else h0
        steps = []
        for t in range(z.shape[1]):
            h = (1 - a) * h + a * z[:, t]
            steps.append(h)
        return torch.stack(steps, dim=1)

    def predict(self, h: torch.Tensor) -> dict[str, Any]:
        """h (..., hidden) -> per-head logits and attribute predictions."""
        return {
            "buy_item": self.buy_item(h).squeeze(-1),  # (...)
            "buy_session": self.buy_session(h).squeeze(-1),  # (...)
            "title": [head(h) for head in self.title],  # per head (..., 384)
            "product": [head(h) for head in self.product_head],  # per head (..., product_dim)
            "price": [head(h).squeeze(-1) for head in self.price],  # per head (...)
        }

    def prediction_features(self, h: torch.Tensor) -> list[torch.Tensor]:
        """h (..., hidden) -> per head (..., D): [unit title | unit product | 1 - p^2, 2p, -1], D = 384 + dp + 3.

        Dotted with `candidate_features` this gives cosine, cosine and 1 - (p - c)^2 per attribute block.
        """
        out = self.predict(h)
        features = []
        for k in range(len(HEADS)):
            p = out["price"][k]
            price = torch.stack([1 - p * p, 2 * p, -torch.ones_like(p)], dim=-1)
            title, product = F.normalize(out["title"][k], dim=-1), F.normalize(out["product"][k], dim=-1)
            features.append(torch.cat([title, product, price], dim=-1))
        return features

    def candidate_features(self, text: torch.Tensor, product: torch.Tensor, price: torch.Tensor) -> torch.Tensor:
        """(k, 384), (k,), (k,) -> (k, D): [unit title | unit product embedding | 1, c, c^2]."""
        price_block = torch.stack([torch.ones_like(price), price, price * price], dim=-1)
        return torch.cat([F.normalize(text, dim=-1), F.normalize(self.product(product), dim=-1), price_block], -1)
