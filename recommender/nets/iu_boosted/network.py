"""IU-Boosted's torch network, free of Django: the DIN base (section 3.2, eq. 1, the MLP of 5.1.4) and the IU
components of section 4.2 (4.2.1 IU features, 4.2.2 the hierarchical IU sequence of eq. 3-6, 4.2.3 the IU-id
attention). Shapes: B impressions, L history clicks, U units, K clicks per unit, as in `CTRBatch`."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from recommender.nets.iu_boosted.features import CONTENT_FEATURES, ITEM_COLUMNS
from recommender.nets.iu_boosted.samples import CTRBatch
from recommender.nets.training import TrainingConfig

UNIT_MODULES = ("unit_embedding", "inner_attention", "unit_attention", "unit_id_attention")  # the IU components


@dataclass
class IUBoostedConfig(TrainingConfig):
    use_attention: bool = True  # DIN's multi-head target attention over the item clicks (False: sum pooling = DNN)
    use_units: bool = True  # IU-level features, hierarchical IU click sequence and IU attention (section 4.2)
    unit_kind: str = "spu"  # which interest unit the model reads: "spu" (the SPU unit: one brand / leaf product,
    # 4.1) or "semantic" (the listing's primary unit: its semantic unit, else its SPU unit). Demo Table 2, seed 0:
    # IU-Boosted with SPU units AUC 0.6376 vs 0.6326 with semantic ones (docs/evaluation/iu_boosted/README.md)
    unit_stats: bool = False  # the unit's statistics (4.2.1 (1)) as an input, point in time in training
    # (unit_day_table). Off: even so they cost AUC on the demo data (Table-2 run, without / with: 0.5864 / 0.5761;
    # with content_sim 0.6356 / 0.6255, 1 / 7-day windows 0.6306); the unit id and the IU click sequence carry the unit.
    unit_windows: tuple[int, ...] = (1, 7)  # windows (days) of the statistics read, with their CTRs; training
    # impressions of days whose longest window is cut short by the start of the data get none (the 30-day counts of
    # a 30-day log double between training and the split)
    content_sim: bool = True  # user x target text similarities (content_similarity) into the shared base's MLP,
    # for DNN, DIN and IU-Boosted alike (demo Table-2 run, AUC without / with: DIN 0.5747 / 0.6362, IU-Boosted
    # 0.5864 / 0.6356)
    embed_dim: int = 16  # embedding size of each categorical field (item id, product, c2, brand, condition, IU id)
    attention_dim: int = 128  # hidden units of every attention layer (5.1.4)
    heads: int = 4  # heads of the multi-head target attention
    null_slot: bool = True  # attention may put its mass on a learned zero-value slot ("no click matches");
    # neutral on the synthetic market (DIN, 2 epochs: 0.641 with, 0.644 without)
    mlp: tuple[int, ...] = (512, 256, 128)  # hidden layers of the prediction MLP (5.1.4)
    dropout: float = 0.1  # dropout after each MLP layer
    item_id_dropout: float = 0.0  # training-time share of item ids replaced by the OOV bucket (new-listing practice)
    max_history: int = 150  # clicks kept per impression, the most recent (5.1.4)
    window_days: float = 30.0  # history window before the impression (5.1.4)
    max_units: int = 30  # IUs in the hierarchical sequence, the most recently clicked
    max_unit_items: int = 5  # clicks kept inside each IU of the sequence (5.1.4)
    min_count: int = 2  # vocabulary of side features: values seen fewer times in training events share the OOV bucket
    item_min_count: int = 20  # the same for item ids: single-stock listings rarely gather enough events, and
    # memorising a few impressions per id overfits (synthetic market, test AUC at 1 vs 20: DIN 0.664 vs 0.711)
    max_items: int = 1_000_000  # cap on the item-id vocabulary (most frequent kept)
    log_unit_features: bool = True  # signed log1p of unit statistics before standardising
    batch_size: int = 256  # small batches: ~100k impressions give ~400 steps an epoch (the paper's 4096 is for 10^10)
    lr: float = 3e-3  # Adam (the paper's AdagradDecay at 1e-4 is tuned for 10^10 samples)
    weight_decay: float = 0.0
    unit_weight_decay: float = 1e-3  # extra L2 (Adam) on the IU components' weights: unit embedding, IU attentions
    # (demo Table-2 run, AUC / GAUC 0 -> 1e-3: 0.6356 / 0.6226 -> 0.6372 / 0.6254; dropout 0.5 on them: 0.6350)
    epochs: int = 6  # maximum epochs; early stopping on validation AUC
    patience: int = 2  # epochs without a better validation AUC before stopping
    valid_fraction: float = 0.1  # without a `valid` set, the latest share of impressions validates


class TargetAttention(nn.Module):
    """Multi-head target attention (eq. 1): softmax(Q K^T / sqrt(d)) V with the target as the single query.

    Masked positions get weight exactly 0; a row with no valid position returns a zero vector (no NaN).
    `keys` / `values` / `attend` are split so the clicks are projected once and shared by the IU attentions.
    """

    def __init__(
        self,
        query_dim: int,
        key_dim: int | None,
        value_dim: int | None,
        hidden: int,
        heads: int,
        null_slot: bool = True,
    ) -> None:
        super().__init__()
        if hidden % heads:
            raise ValueError("attention_dim must be divisible by heads")
        self.heads, self.head_dim = heads, hidden // heads
        self.q = nn.Linear(query_dim, hidden)
        # None: keys / values are projected by another attention and passed in
        self.k = nn.Linear(key_dim, hidden) if key_dim is not None else None
        self.v = nn.Linear(value_dim, hidden) if value_dim is not None else None
        # A learned key with a zero value: mass on it means "nothing in the history matches the target".
        self.null_key = nn.Parameter(torch.zeros(heads, self.head_dim)) if null_slot else None
        self.null_bias = nn.Parameter(torch.zeros(heads)) if null_slot else None

    def null_scores(self, query: torch.Tensor) -> torch.Tensor | None:
        # query (N, H, dh) from `query` -> (N, H) score of the null slot, or None without one
        if self.null_key is None or self.null_bias is None:
            return None
        return torch.einsum("nhd,hd->nh", query, self.null_key) + self.null_bias

    def keys(self, keys: torch.Tensor) -> torch.Tensor:
        # (..., L, Dk) -> (..., L, H, dh)
        assert self.k is not None
        return self.k(keys).view(*keys.shape[:-1], self.heads, self.head_dim)

    def values(self, values: torch.Tensor) -> torch.Tensor:
        # (..., L, Dv) -> (..., L, H, dh)
        assert self.v is not None
        return self.v(values).view(*values.shape[:-1], self.heads, self.head_dim)

    def query(self, query: torch.Tensor) -> torch.Tensor:
        # (N, Dq) -> (N, H, dh), pre-scaled by 1 / sqrt(dh)
        return self.q(query).view(query.shape[0], self.heads, self.head_dim) / math.sqrt(self.head_dim)

    @staticmethod
    def weights(scores: torch.Tensor, mask: torch.Tensor, null: torch.Tensor | None = None) -> torch.Tensor:
        # scores (N, H, L), mask (N, L) bool, null (N, H) or None -> (N, H, L) softmax over the valid positions
        # (and the null slot, whose weight is dropped: its value is zero)
        valid = mask.unsqueeze(1)  # (N, 1, L)
        scores = scores.masked_fill(~valid, float("-inf"))
        if null is not None:
            return torch.softmax(torch.cat([scores, null.unsqueeze(-1)], dim=-1), dim=-1)[..., :-1] * valid
        scores = scores.masked_fill(~valid.any(dim=-1, keepdim=True), 0.0)
        return torch.softmax(scores, dim=-1) * valid  # exact zeros on padding; all-padding rows all zero

    @staticmethod
    def attend(
        scores: torch.Tensor, values: torch.Tensor, mask: torch.Tensor, null: torch.Tensor | None = None
    ) -> torch.Tensor:
        # scores (N, H, L), values (N, L, H, dh), mask (N, L) bool, null (N, H) | None -> (N, H * dh)
        return torch.einsum("nhl,nlhd->nhd", TargetAttention.weights(scores, mask, null), values).flatten(1)

    def forward(
        self, query: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, mask: torch.Tensor
    ) -> torch.Tensor:
        # query (N, Dq), keys (N, L, Dk), values (N, L, Dv), mask (N, L) bool -> (N, hidden)
        q = self.query(query)  # (N, H, dh)
        scores = torch.einsum("nhd,nlhd->nhl", q, self.keys(keys))  # (N, H, L)
        return self.attend(scores, self.values(values), mask, self.null_scores(q))


class IUBoostedNet(nn.Module):
    """Embedding + (sum pooling | target attention) + optional IU components + MLP -> click logit."""

    def __init__(self, config: IUBoostedConfig, sizes: dict[str, int], unit_dim: int) -> None:
        super().__init__()
        self.config = c = config
        e, a = c.embed_dim, c.attention_dim
        embeddings = {name: nn.Embedding(sizes[name], e) for name in ITEM_COLUMNS}
        for table in embeddings.values():
            nn.init.normal_(table.weight, std=0.05)
        self.embeddings = nn.ModuleDict(embeddings)
        self.item_dim = d = len(ITEM_COLUMNS) * e + 1  # + standardised log price
        n_in = d  # target item
        if c.use_attention or c.use_units:
            # Keys and values of the clicks are projected once; the IU attentions below reuse them.
            self.item_attention = TargetAttention(d, d, d, a, c.heads, c.null_slot)
        n_in += a if c.use_attention else d  # attention-pooled or sum-pooled history
        n_in += CONTENT_FEATURES if c.content_sim else 0
        if c.use_units:
            self.unit_embedding = nn.Embedding(sizes["unit"], e)
            nn.init.normal_(self.unit_embedding.weight, std=0.05)
            unit_repr = e + unit_dim  # E(IU id) ++ E(IU side)
            # Eq. 3-6: item-level attention inside each IU (its own query over the shared click keys / values),
            # then IU-level attention of the target against E(IU) = [IU id, IU side, pooled clicks, click count].
            self.inner_attention = TargetAttention(d, None, None, a, c.heads, c.null_slot)
            self.unit_attention = TargetAttention(
                d + unit_repr, unit_repr + a + 1, unit_repr + a + 1, a, c.heads, c.null_slot
            )
            # 4.2.3: the target's IU id against the IU ids of the clicked items, pooling the clicks' values.
            self.unit_id_attention = TargetAttention(e, e, None, a, c.heads, c.null_slot)
            n_in += unit_repr + a + a + 2  # target IU ++ hierarchical ++ IU-id attention ++ cross features
        layers: list[nn.Module] = []
        for width in c.mlp:
            layers += [nn.Linear(n_in, width), nn.ReLU(), nn.Dropout(c.dropout)]
            n_in = width
        layers.append(nn.Linear(n_in, 1))
        self.mlp = nn.Sequential(*layers)

    def _items(self, item: torch.Tensor, others: list[torch.Tensor], price: torch.Tensor) -> torch.Tensor:
        # (...,) index tensors -> (..., item_dim); eq. 4: id embedding ++ side features
        if self.training and self.config.item_id_dropout > 0:
            drop = torch.rand(item.shape, device=item.device) < self.config.item_id_dropout
            item = item.masked_fill(drop, 0)
        parts = [self.embeddings["item"](item)]
        parts += [self.embeddings[name](x) for name, x in zip(ITEM_COLUMNS[1:], others, strict=True)]
        parts.append(price.unsqueeze(-1))
        return torch.cat(parts, dim=-1)

    def forward(self, batch: CTRBatch, shared_history: bool = False) -> torch.Tensor:
        """(B,) click logits. `shared_history`: every row has the same history (one viewer's candidates, as in
        serving), so the clicks are embedded and projected once and broadcast."""
        c = self.config
        target = self._items(
            batch.target_item,
            [batch.target_product, batch.target_c2, batch.target_brand, batch.target_condition],
            batch.target_price,
        )  # (B, d)
        rows = slice(0, 1) if shared_history else slice(None)
        b = target.shape[0]
        mask = batch.hist_mask  # (B, L)
        hist = self._items(
            batch.hist_item[rows],
            [batch.hist_product[rows], batch.hist_c2[rows], batch.hist_brand[rows], batch.hist_condition[rows]],
            batch.hist_price[rows],
        )  # (B or 1, L, d)
        hist = hist.masked_fill(~mask[rows].unsqueeze(-1), 0.0)
        parts = [target]
        keys = values = None
        if c.use_attention or c.use_units:
            keys, values = self.item_attention.keys(hist), self.item_attention.values(hist)  # (B or 1, L, H, dh)
            keys, values = keys.expand(b, *keys.shape[1:]), values.expand(b, *values.shape[1:])  # (B, L, H, dh)
        hist = hist.expand(b, *hist.shape[1:])
        if c.use_attention:
            assert keys is not None and values is not None
            query = self.item_attention.query(target)  # (B, H, dh)
            scores = torch.einsum("bhd,blhd->bhl", query, keys)  # (B, H, L)
            pooled = self.item_attention.attend(scores, values, mask, self.item_attention.null_scores(query))  # (B, a)
            parts.append(pooled)  # eq. 1
        else:
            parts.append(hist.sum(dim=1))  # (B, d)
        if c.content_sim:
            parts.append(batch.content)  # (B, CONTENT_FEATURES)
        if c.use_units:
            assert keys is not None and values is not None
            parts += self._unit_parts(batch, target, keys, values, rows)
        return self.mlp(torch.cat(parts, dim=-1)).squeeze(-1)

    def _unit_parts(
        self, batch: CTRBatch, target: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, rows: slice
    ) -> list[torch.Tensor]:
        # target (B, d); keys, values (B, L, H, dh) of the clicks
        b, u, k = batch.unit_item_pos.shape
        target_unit = torch.cat(
            [self.unit_embedding(batch.target_unit), batch.target_unit_features], dim=-1
        )  # (B, e + F1)
        # Items inside each IU of the sequence (eq. 5): scores of every click against the target, softmax within
        # each IU slot's (at most K) clicks, pooling the clicks' values; `slot` marks which clicks each slot holds.
        h, dh = keys.shape[2], keys.shape[3]
        length = keys.shape[1]
        # Padded (b, u, k) entries write to a spare column L that is dropped, so they never clear a real click.
        positions = batch.unit_item_pos.masked_fill(~batch.unit_item_mask, length)  # (B, U, K)
        slot = torch.zeros(b, u, length + 1, dtype=torch.bool, device=keys.device)
        slot = slot.scatter_(2, positions, True)[:, :, :length]  # (B, U, L)
        query = self.inner_attention.query(target)  # (B, H, dh)
        scores = torch.einsum("bhd,blhd->bhl", query, keys)  # (B, H, L)
        scores = scores.unsqueeze(1).expand(b, u, h, length).reshape(b * u, h, length)  # (B*U, H, L)
        null = self.inner_attention.null_scores(query)  # (B, H) | None
        null = None if null is None else null.unsqueeze(1).expand(b, u, h).reshape(b * u, h)
        weights = TargetAttention.weights(scores, slot.reshape(b * u, length), null).view(b, u, h, length)
        inner = torch.einsum("buhl,blhd->buhd", weights, values).reshape(b, u, h * dh)  # (B, U, a)
        units = torch.cat(
            [
                self.unit_embedding(batch.unit_seq_unit),  # (B, U, e)
                batch.unit_seq_features,  # (B, U, F1)
                inner,  # (B, U, a)
                batch.unit_seq_count.unsqueeze(-1),  # (B, U, 1)
            ],
            dim=-1,
        )  # eq. 5: (B, U, e + F1 + a + 1)
        units = units.masked_fill(~batch.unit_seq_mask.unsqueeze(-1), 0.0)
        hierarchical = self.unit_attention(
            torch.cat([target, target_unit], dim=-1), units, units, batch.unit_seq_mask
        )  # (B, a)
        unit_query = self.unit_id_attention.query(self.unit_embedding(batch.target_unit))  # (B, H, dh)
        unit_keys = self.unit_id_attention.keys(self.unit_embedding(batch.hist_unit[rows]))  # (B or 1, L, H, dh)
        unit_keys = unit_keys.expand(b, *unit_keys.shape[1:])
        unit_scores = torch.einsum("bhd,blhd->bhl", unit_query, unit_keys)  # (B, H, L)
        null = self.unit_id_attention.null_scores(unit_query)
        unit_ids = TargetAttention.attend(unit_scores, values, batch.hist_mask, null)  # (B, a)
        return [target_unit, hierarchical, unit_ids, batch.cross_features]
