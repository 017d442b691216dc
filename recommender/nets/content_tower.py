"""Item tower over listing content, shared by the two-tower models.

The item tower of PWPRec (Wang et al., "Page-Wise Personalized Recommendations in an Industrial e-Commerce
Setting", eBay, section 3.2 / Figure 3) keeps the structure of the authors' earlier eBay two-tower model: an item
is embedded from its content (title, aspects, categories), not from its id, so a listing posted a minute ago gets
a vector. Here the content is the listing's 384-d text vector, its category path (c0/c1/c2), brand, product,
condition and log price, mixed by a small residual MLP. For data sets without content (YooChoose, section 4.1) an
item-id embedding is added, as the paper does there.

Every categorical column goes through a `Vocabulary` that maps raw ids to dense indices with 0 reserved for
"missing or never seen", so new listings and new brands land in a learned bucket instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from recommender.data import ItemTable

TEXT_DIM = 384
CATEGORICAL_COLUMNS: tuple[str, ...] = ("c0", "c1", "c2", "brand", "product", "condition")


class Vocabulary:
    """Raw id -> dense index; 0 is the out-of-vocabulary / missing bucket (raw 0 always maps to 0).

    Picklable through `state()` / `from_state()` (two numpy arrays), so a checkpoint rebuilds it exactly.
    """

    def __init__(self, values: np.ndarray | None = None) -> None:
        # Sorted known raw ids; dense index of values[j] is j + 1.
        self.values = np.zeros(0, dtype=np.int64) if values is None else np.asarray(values, dtype=np.int64)

    @classmethod
    def fit(cls, raw: np.ndarray, min_count: int = 1, max_size: int | None = None) -> Vocabulary:
        """Keep raw ids seen at least `min_count` times (the `max_size` most frequent); raw 0 stays missing."""
        raw = np.asarray(raw, dtype=np.int64).ravel()
        raw = raw[raw != 0]
        values, counts = np.unique(raw, return_counts=True)
        keep = counts >= min_count
        values, counts = values[keep], counts[keep]
        if max_size is not None and len(values) > max_size:
            top = np.argsort(-counts, kind="stable")[:max_size]
            values = np.sort(values[top])
        return cls(values)

    def __len__(self) -> int:
        """Number of indices including the OOV bucket (the embedding table size)."""
        return int(self.values.shape[0]) + 1

    def lookup(self, raw: np.ndarray) -> np.ndarray:
        """Dense indices (same shape as `raw`), 0 for unknown or missing."""
        raw = np.asarray(raw, dtype=np.int64)
        if len(self.values) == 0:
            return np.zeros(raw.shape, dtype=np.int64)
        pos = np.searchsorted(self.values, raw)
        pos_clipped = np.minimum(pos, len(self.values) - 1)
        found = (self.values[pos_clipped] == raw) & (raw != 0)
        return np.where(found, pos_clipped + 1, 0).astype(np.int64)

    def state(self) -> dict[str, Any]:
        return {"values": self.values.copy()}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Vocabulary:
        return cls(np.asarray(state["values"], dtype=np.int64))


class ItemFeatureEncoder:
    """Turns an `ItemTable` into the index / float arrays `ContentTower` reads. Fit once on the training items."""

    def __init__(
        self,
        vocabularies: dict[str, Vocabulary] | None = None,
        price_mean: float = 0.0,
        price_std: float = 1.0,
    ) -> None:
        self.vocabularies = vocabularies or {name: Vocabulary() for name in (*CATEGORICAL_COLUMNS, "item")}
        self.price_mean = price_mean
        self.price_std = price_std

    @classmethod
    def fit(cls, items: ItemTable, item_ids: np.ndarray | None = None, min_count: int = 1) -> ItemFeatureEncoder:
        """Vocabularies from `items`; the item-id vocabulary from `item_ids` (e.g. the items that occur in events)."""
        columns = _raw_columns(items)
        vocabularies = {name: Vocabulary.fit(columns[name], min_count=min_count) for name in CATEGORICAL_COLUMNS}
        vocabularies["item"] = Vocabulary.fit(items.item_id if item_ids is None else item_ids)
        log_price = np.log1p(np.maximum(np.asarray(items.price, dtype=np.float64), 0.0))
        std = float(log_price.std()) if len(log_price) else 1.0
        return cls(vocabularies, float(log_price.mean()) if len(log_price) else 0.0, std if std > 1e-6 else 1.0)

    def encode(self, items: ItemTable) -> dict[str, np.ndarray]:
        """Arrays aligned with `items` rows: dense indices per column, normalised log price, text + its mask."""
        columns = _raw_columns(items)
        m = len(items)
        out: dict[str, np.ndarray] = {
            name: self.vocabularies[name].lookup(columns[name]) for name in CATEGORICAL_COLUMNS
        }
        out["item"] = self.vocabularies["item"].lookup(items.item_id)
        log_price = np.log1p(np.maximum(np.asarray(items.price, dtype=np.float64), 0.0))
        out["price"] = ((log_price - self.price_mean) / self.price_std).astype(np.float32)  # (m,)
        if items.text_vector is not None:
            text = np.asarray(items.text_vector, dtype=np.float32)  # (m, 384)
            has_text = np.abs(text).sum(axis=1) > 0
        else:
            text = np.zeros((m, TEXT_DIM), dtype=np.float32)
            has_text = np.zeros(m, dtype=bool)
        out["text"] = text
        out["has_text"] = has_text.astype(np.float32)  # (m,)
        return out

    @staticmethod
    def missing(m: int) -> dict[str, np.ndarray]:
        """Features of `m` items we know nothing about (every column in its OOV bucket)."""
        out: dict[str, np.ndarray] = {name: np.zeros(m, dtype=np.int64) for name in (*CATEGORICAL_COLUMNS, "item")}
        out["price"] = np.zeros(m, dtype=np.float32)
        out["text"] = np.zeros((m, TEXT_DIM), dtype=np.float32)
        out["has_text"] = np.zeros(m, dtype=np.float32)
        return out

    def sizes(self) -> dict[str, int]:
        return {name: len(vocab) for name, vocab in self.vocabularies.items()}

    def state(self) -> dict[str, Any]:
        return {
            "vocabularies": {name: vocab.state() for name, vocab in self.vocabularies.items()},
            "price_mean": self.price_mean,
            "price_std": self.price_std,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> ItemFeatureEncoder:
        vocabularies = {name: Vocabulary.from_state(s) for name, s in state["vocabularies"].items()}
        return cls(vocabularies, float(state["price_mean"]), float(state["price_std"]))


def _raw_columns(items: ItemTable) -> dict[str, np.ndarray]:
    category = np.asarray(items.category, dtype=np.int64).reshape(len(items), 3)
    return {
        "c0": category[:, 0],
        "c1": category[:, 1],
        "c2": category[:, 2],
        "brand": np.asarray(items.brand, dtype=np.int64),
        "product": np.asarray(items.product, dtype=np.int64),
        "condition": np.asarray(items.condition, dtype=np.int64),
    }


def features_to_tensors(features: dict[str, np.ndarray], device: str | torch.device = "cpu") -> dict[str, torch.Tensor]:
    return {name: torch.as_tensor(value, device=device) for name, value in features.items()}


@dataclass
class ContentTowerConfig:
    d: int = 64  # output dimension (the shared user / item space)
    categorical_dim: int = 16  # embedding size of each categorical column
    n_blocks: int = 2  # residual MLP blocks after the input projection
    use_text: bool = True  # read the 384-d text vector when the table has one
    use_item_id: bool = False  # add an item-id embedding (data sets without content, e.g. YooChoose)
    item_id_init_std: float = 0.1  # initial scale of the id embedding, relative to LayerNorm-ed content
    dropout: float = 0.1


class _ResidualBlock(nn.Module):
    def __init__(self, d: int, dropout: float) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(d)
        self.ff = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Dropout(dropout), nn.Linear(2 * d, d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, d) -> (N, d)
        return x + self.ff(self.norm(x))


class ContentTower(nn.Module):
    """Content features (+ optional item id) -> (N, d) item vectors. `sizes` comes from `ItemFeatureEncoder`."""

    def __init__(self, config: ContentTowerConfig, sizes: dict[str, int]) -> None:
        super().__init__()
        self.config = config
        c = config
        self.categorical = nn.ModuleDict(
            {name: nn.Embedding(sizes[name], c.categorical_dim) for name in CATEGORICAL_COLUMNS}
        )
        n_in = len(CATEGORICAL_COLUMNS) * c.categorical_dim + 2  # + normalised log price + has_text flag
        self.text = nn.Linear(TEXT_DIM, c.d) if c.use_text else None
        self.project = nn.Linear(n_in, c.d)
        # Index 0 (unknown item) stays a zero vector: a new listing is its content alone.
        self.item = nn.Embedding(sizes["item"], c.d, padding_idx=0) if c.use_item_id else None
        if self.item is not None:
            nn.init.normal_(self.item.weight, std=c.item_id_init_std)
            with torch.no_grad():
                self.item.weight[0].zero_()
        self.blocks = nn.Sequential(*[_ResidualBlock(c.d, c.dropout) for _ in range(c.n_blocks)])
        self.norm = nn.LayerNorm(c.d)

    def forward(self, features: dict[str, torch.Tensor]) -> torch.Tensor:
        parts = [self.categorical[name](features[name]) for name in CATEGORICAL_COLUMNS]  # 6 x (N, categorical_dim)
        parts.append(features["price"].unsqueeze(-1))  # (N, 1)
        parts.append(features["has_text"].unsqueeze(-1))  # (N, 1)
        h = self.project(torch.cat(parts, dim=-1))  # (N, d)
        if self.text is not None:
            h = h + self.text(features["text"])  # (N, 384) -> (N, d); zero text adds only the bias
        if self.item is not None:
            h = h + self.item(features["item"])  # (N, d)
        h = self.blocks(h)  # (N, d)
        return self.norm(h)
