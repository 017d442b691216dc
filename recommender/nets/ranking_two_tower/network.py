"""The ranking two-tower's torch network, free of Django (Yandex, seed 002, section 3): the content embedding
shared by both towers, the residual item tower (3.1), the transformer user tower with a [CLS] output (3.2), and the
training-only context tower (3.4). Shapes: B users or impressions, L events, d = `dim`."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from recommender.data import ACTION_CODE, ACTIONS
from recommender.nets.training import TrainingConfig

SEARCH = ACTION_CODE["search"]
# Fine-tuning signals: name -> the action that marks an impression positive (click comes from `clicked`).
SIGNALS: tuple[str, ...] = ("click", "cart", "like", "purchase")
N_SURFACES = 8  # EventLog.surface codes 0..5, with room


@dataclass
class RankingTwoTowerConfig(TrainingConfig):
    dim: int = 64  # width of both towers (paper: 256)
    item_blocks: int = 3  # residual blocks in the item tower (paper: 4, width 1024)
    layers: int = 2  # transformer encoder layers (paper: 4)
    heads: int = 4  # attention heads (paper: 4)
    ff_dim: int = 128  # transformer feed-forward width
    dropout: float = 0.1
    max_history: int = 32  # latest events the user tower reads (paper: 1024)
    history_delay_s: float = 0.0  # history ends this long before the target (paper: one day, batch serving)
    max_vocab: int = 20_000  # per categorical column, most frequent ids; the rest share row 0 (OOV / missing)
    price_buckets: int = 16  # log-price quantile buckets, one categorical feature
    # pre-training (sampled softmax, in-batch negatives): the shared `epochs`, `lr`, `patience`, `valid_fraction`
    epochs: int = 2  # pre-training epochs at most; early stopping on the held-out positives' loss
    lr: float = 1e-3
    patience: int = 1  # pre-training epochs without a lower validation loss before stopping
    valid_fraction: float = 0.1  # the latest positives (by time) validate pre-training
    max_valid_samples: int = 5_000  # the latest of them, at most
    pretrain_samples: int = 100_000  # positives drawn per epoch (all when fewer)
    batch_size: int = 256
    init_temperature: float = 20.0  # tau multiplies the cosine; learnable, clamped to [1, 100]
    # fine-tuning (impression groups)
    fine_tune: bool = True  # False = the retrieval-only model (ablation)
    finetune_epochs: int = 1  # paper: one epoch, more overfits
    finetune_lr: float = 3e-4
    group_batch_size: int = 64  # impression groups per step
    max_group_size: int = 20  # impressions per group (positives kept first)
    label_window_s: float = 3600.0  # a cart / like / purchase within this after the impression is positive
    pointwise_weight: float = 0.1  # weight of BCE_click (paper Table 1, L6)
    context_debiasing: bool = True  # learn the context tower during fine-tuning (never used in serving)
    context_position: bool = True  # the context tower also gets the impression position (position bias)
    max_position: int = 50  # positions beyond share the last bucket
    grad_clip: float = 1.0

    # fields of earlier versions: old name -> new name, applied when a checkpoint loads
    renamed_fields: ClassVar[dict[str, str | None]] = {"pretrain_epochs": "epochs"}


# -- towers ----------------------------------------------------------------------------------------------------
class ContentEmbedding(nn.Module):
    """Title text vector and categorical ids -> one content vector; shared by item and user towers."""

    def __init__(self, text_dim: int, dim: int, vocab_sizes: list[int]) -> None:
        super().__init__()
        self.text = nn.Linear(text_dim, dim)
        self.categorical = nn.ModuleList([nn.Embedding(size, dim) for size in vocab_sizes])

    def forward(self, text: torch.Tensor, cats: torch.Tensor) -> torch.Tensor:
        # text (..., text_dim), cats (..., C) long -> (..., dim)
        out = self.text(text)
        for c, embedding in enumerate(self.categorical):
            out = out + embedding(cats[..., c])
        return out


class ResidualBlock(nn.Module):
    """x_{k+1} = LayerNorm(ReLU(Linear(x_k)) + x_k) (§3.1)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.linear = nn.Linear(dim, dim)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(F.relu(self.linear(x)) + x)


class ItemTower(nn.Module):
    def __init__(self, content: ContentEmbedding, dim: int, blocks: int) -> None:
        super().__init__()
        self.content = content
        self.blocks = nn.Sequential(*[ResidualBlock(dim) for _ in range(blocks)])

    def forward(self, text: torch.Tensor, cats: torch.Tensor) -> torch.Tensor:
        # (..., text_dim), (..., C) -> (..., dim), unit length
        return F.normalize(self.blocks(self.content(text, cats)), dim=-1)


class UserTower(nn.Module):
    def __init__(self, content: ContentEmbedding, config: RankingTwoTowerConfig) -> None:
        super().__init__()
        d = config.dim
        self.content = content
        self.search_token = nn.Parameter(torch.randn(d) * 0.02)  # content of a search without a query vector
        self.position = nn.Embedding(config.max_history, d)  # reversed: latest event = 0
        self.event_type = nn.Embedding(len(ACTIONS), d)
        self.norm = nn.LayerNorm(d)
        self.cls = nn.Parameter(torch.randn(d) * 0.02)
        layer = nn.TransformerEncoderLayer(
            d, config.heads, config.ff_dim, config.dropout, batch_first=True, norm_first=False
        )
        self.encoder = nn.TransformerEncoder(layer, config.layers, enable_nested_tensor=False)

    def forward(self, events: dict[str, torch.Tensor]) -> torch.Tensor:
        """events: text (B, L, text_dim), cats (B, L, C), action (B, L), position (B, L), valid (B, L),
        has_query (B, L) -> (B, dim) unit user vectors."""
        item_content = self.content(events["text"], events["cats"])  # (B, L, d)
        query_content = self.content.text(events["text"])  # (B, L, d): a search query's text vector
        search = (events["action"] == SEARCH).unsqueeze(-1)
        has_query = events["has_query"].unsqueeze(-1)
        content = torch.where(search, torch.where(has_query, query_content, self.search_token), item_content)
        x = self.norm(content + self.position(events["position"]) + self.event_type(events["action"]))
        B = x.shape[0]
        x = torch.cat([self.cls.expand(B, 1, -1), x], dim=1)  # (B, 1 + L, d)
        pad = torch.cat([torch.zeros(B, 1, dtype=torch.bool, device=x.device), ~events["valid"]], dim=1)
        out = self.encoder(x, src_key_padding_mask=pad)  # (B, 1 + L, d)
        return F.normalize(out[:, 0], dim=-1)


class ContextTower(nn.Module):
    """r_ctx = w_surface + w_device (+ w_position): one learned scalar per value (§3.4, §4.1)."""

    def __init__(self, n_devices: int, max_position: int, use_position: bool) -> None:
        super().__init__()
        self.surface = nn.Embedding(N_SURFACES, 1)
        self.device = nn.Embedding(max(n_devices, 1), 1)
        self.position = nn.Embedding(max_position + 1, 1) if use_position else None
        for embedding in (self.surface, self.device, self.position):
            if embedding is not None:
                nn.init.zeros_(embedding.weight)

    def forward(self, surface: torch.Tensor, device: torch.Tensor, position: torch.Tensor) -> torch.Tensor:
        # surface (B,), device (B,), position (B, G) -> (B, G)
        r = (self.surface(surface) + self.device(device)).expand(-1, position.shape[1])
        if self.position is not None:
            r = r + self.position(position).squeeze(-1)
        return r


class RankingTwoTowerNet(nn.Module):
    def __init__(self, config: RankingTwoTowerConfig, text_dim: int, vocab_sizes: list[int], n_devices: int) -> None:
        super().__init__()
        self.content = ContentEmbedding(text_dim, config.dim, vocab_sizes)
        self.item_tower = ItemTower(self.content, config.dim, config.item_blocks)
        self.user_tower = UserTower(self.content, config)
        self.context_tower = ContextTower(n_devices, config.max_position, config.context_position)
        self.log_temperature = nn.Parameter(torch.tensor(math.log(config.init_temperature)))
        k = len(SIGNALS)
        # calibrated pairwise sigmoids f = sigmoid(gamma_k r + gamma_ctx_k r_ctx + beta_k), and the click BCE's
        self.gamma = nn.Parameter(torch.full((k,), 5.0))
        self.gamma_ctx = nn.Parameter(torch.ones(k))
        self.beta = nn.Parameter(torch.zeros(k))
        self.alpha_click = nn.Parameter(torch.tensor(5.0))
        self.alpha_ctx = nn.Parameter(torch.tensor(1.0))
        self.beta_click = nn.Parameter(torch.tensor(0.0))
