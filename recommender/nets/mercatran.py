"""Mercatran: a three-tower transformer that predicts a user's next interactions as vectors.

MerRec (Li et al., "MerRec: A Large-scale Multipurpose Mercari Dataset for Consumer-to-Consumer Recommendation
Systems"), section 4.2.6 and Figure 9; evaluation protocol in 4.2.8 / Table 5; hyperparameters in Table 11.

- **Item encoder** (third tower): a listing is its content only (title + brand + category), so a listing posted
  after training still gets a vector. Titles go through a byte-level BPE tokenizer trained on the listing titles;
  brand and the most specific category become whole tokens (`[brand:123]`, `[cat:456]`). The tokens are averaged
  by an EmbeddingBag and refined by transformer blocks without self-attention (feed-forward + residual + norm).
- **User encoder**: a transformer encoder over up to 22 past interactions (item vector + action + recency).
- **User decoder**: a causal transformer decoder that cross-attends to the encoder and predicts the next 4
  interactions autoregressively: teacher forcing with the true next items in training, its own predictions at
  inference.
- **Loss**: per step, symmetric cross-entropy over temperature-scaled cosine similarities between the decoder's
  predictions and the item encoder's vectors of the true items, other rows of the batch being the negatives.
  The temperature (not in Table 11) is 0.03: on the demo data it is the setting that makes V2's served row more
  diverse than V1's at similar step-1 recall; at 0.07-0.1 the four steps' searches return nearly the same
  listings. It costs steps 2-4 some item recall.
  Three options of ours, off by default because on the demo data they cost recall without making the served row
  more diverse than V1's (docs/evaluation/mercatran/notes.md): the same user's targets of the other steps as
  extra negatives (`step_negatives`), the next distinct listings not already in the input window as the
  decoder's targets (`new_targets`), and scheduled sampling (`scheduled_sampling`: a ramped chance that a
  decoder input is the model's own prediction, the inference condition, instead of the true item's vector).

`mercatran_v1` is the paper's Mercatran V1 (two towers, one step): the encoder's newest position predicts the next
item directly, no decoder. Serving runs one vector search per predicted step and merges the rows.

Table 11 trains with batch 3072 and "learning rate 1.0" (a scaled schedule); on CPU we use AdamW with a smaller
batch (256), warm-up and cosine decay, and a window at every position of each sequence (3 epochs over ~35k windows
of the demo data, about 9 minutes on a shared 2-core machine).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from recommender.base import Query, Recommender, pick_device, register
from recommender.data import ACTION_CODE, ACTIONS, INTERACTION_CODES, Dataset, EventLog, ItemTable
from recommender.nets.training import Monitor, Trainer, TrainingConfig, seed_everything, time_cutoff
from recommender.sequences import dedup_consecutive, pad_histories, user_sequences

# Score of a candidate whose content the model has never been given (cosines live in [-1, 1]).
UNKNOWN_ITEM_SCORE = -2.0
PAD_TOKEN = "[pad]"
BRAND_UNKNOWN = "[brand:unk]"
CATEGORY_UNKNOWN = "[cat:unk]"
ITEM_FEATURES = ("title+brand+category", "title", "brand+category")  # Table 5's three input variants


@dataclass
class MercatranConfig(TrainingConfig):
    # architecture (Table 11)
    d: int = 64  # embedding size of every tower
    d_ff: int = 1024  # feed-forward width of every block
    n_heads: int = 8
    n_blocks: int = 2  # blocks in each tower
    dropout: float = 0.1
    max_history: int = 22  # past interactions read by the user encoder
    n_steps: int = 4  # future interactions predicted by the decoder (1 when use_decoder is False)
    use_decoder: bool = True  # False: Mercatran V1, the encoder's newest position predicts the next item
    feed_back: str = "vector"  # inference: "vector" feeds the decoder its raw predictions, "item" the nearest
    # listing's vector (greedy decoding over listings)
    # item content
    item_features: str = "title+brand+category"  # or "title", "brand+category" (Table 5 ablation)
    vocab_size: int = 32_768  # BPE + brand / category tokens together (Table 11's vocabulary limit)
    max_attribute_tokens: int = 8_192  # most frequent brands + categories that get their own token
    max_title_tokens: int = 24  # BPE tokens kept per title
    # data
    min_sequence_length: int = 5  # users with fewer de-duplicated interactions are skipped (paper: 10)
    window_stride: int = 1  # slide the (history, next n_steps) window by this many events (1: every position)
    # training
    # Cosines are divided by this before the softmax. 0.03 rather than CLIP's 0.07: on the demo data the later
    # steps' searches then reach more categories and the served row is more diverse than V1's
    # (docs/evaluation/mercatran/notes.md).
    temperature: float = 0.03
    step_negatives: bool = False  # a step's prediction must also beat the same user's other-step targets
    new_targets: bool = False  # decoder targets: the next n_steps distinct items not in the input window
    scheduled_sampling: float = 0.0  # final chance that a decoder input is its own prediction, ramped from 0
    batch_size: int = 256  # in-batch negatives (paper: 3072); smaller batches = more steps on the demo data
    # shared training parameters (`TrainingConfig`), with Mercatran's defaults
    epochs: int = 3  # most epochs; the cosine decay is planned over them, early stopping may end sooner
    lr: float = 2e-3  # AdamW peak, after warm-up, then cosine decay to 10 %
    patience: int = 2  # epochs without a lower validation loss before stopping
    valid_fraction: float = 0.1  # windows whose first target is in the latest tenth of the training period
    weight_decay: float = 0.01
    warmup_steps: int = 100  # at most a tenth of all steps (short demo runs)
    grad_clip: float = 1.0
    max_train_windows: int = 0  # cap on training windows per epoch (a random subset), 0 = all
    eval_batch_size: int = 1024

    # fields of earlier versions: old name -> new name (None: dropped), applied when a checkpoint loads
    renamed_fields: ClassVar[dict[str, str | None]] = {"learning_rate": "lr", "max_train_seconds": None}


# -- tokenizer ---------------------------------------------------------------------------------------------------
def most_specific_category(items: ItemTable) -> np.ndarray:
    """(m,) c2 id, else c1, else c0, else 0."""
    category = np.asarray(items.category, dtype=np.int64).reshape(len(items), 3)
    out = category[:, 2].copy()
    for level in (1, 0):
        out = np.where(out == 0, category[:, level], out)
    return out


def _titles(items: ItemTable) -> list[str]:
    if len(items.titles) == len(items):
        return [t or "" for t in items.titles]
    return [""] * len(items)


def _ranked_ids(values: np.ndarray) -> np.ndarray:
    """Non-zero ids of `values`, most frequent first (ties by id)."""
    values = values[values != 0]
    ids, counts = np.unique(values, return_counts=True)
    return ids[np.lexsort((ids, -counts))]


class ItemTokenizer:
    """Listing content -> token ids: byte-level BPE over the title plus one brand and one category token.

    Token 0 is padding. Brands / categories without their own token map to `[brand:unk]` / `[cat:unk]`; a missing
    brand or category (id 0) adds no token. The whole state is the `tokenizers` JSON (`to_json` / `from_json`).
    """

    def __init__(self, tokenizer: Any, max_title_tokens: int, item_features: str) -> None:
        if item_features not in ITEM_FEATURES:
            raise ValueError(f"item_features must be one of {ITEM_FEATURES}, not {item_features!r}")
        self.tokenizer = tokenizer
        self.max_title_tokens = max_title_tokens
        self.item_features = item_features
        vocab = tokenizer.get_vocab(with_added_tokens=True)
        self.brand_unknown = vocab[BRAND_UNKNOWN]
        self.category_unknown = vocab[CATEGORY_UNKNOWN]
        self._brand_ids, self._brand_tokens = self._attribute_table(vocab, "[brand:")
        self._category_ids, self._category_tokens = self._attribute_table(vocab, "[cat:")

    @staticmethod
    def _attribute_table(vocab: dict[str, int], prefix: str) -> tuple[np.ndarray, np.ndarray]:
        pairs = sorted(
            (int(token[len(prefix) : -1]), index)
            for token, index in vocab.items()
            if token.startswith(prefix) and token[len(prefix) : -1].isdigit()
        )
        ids = np.array([p[0] for p in pairs], dtype=np.int64)
        tokens = np.array([p[1] for p in pairs], dtype=np.int64)
        return ids, tokens

    @classmethod
    def train(
        cls,
        items: ItemTable,
        vocab_size: int = 32_768,
        max_attribute_tokens: int = 8_192,
        max_title_tokens: int = 24,
        item_features: str = "title+brand+category",
    ) -> ItemTokenizer:
        from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

        brands = _ranked_ids(np.asarray(items.brand, dtype=np.int64))
        categories = _ranked_ids(most_specific_category(items))
        # Split the attribute budget between brands and categories, in proportion, most frequent first.
        specials = [PAD_TOKEN, BRAND_UNKNOWN, CATEGORY_UNKNOWN]
        # The byte alphabet (256) and the specials always fit; attributes take what is left up to their cap.
        budget = min(max_attribute_tokens, len(brands) + len(categories), max(vocab_size - 256 - len(specials), 0))
        n_categories = min(len(categories), max(budget - len(brands), budget // 2))
        n_brands = min(len(brands), budget - n_categories)
        attribute_tokens = [f"[brand:{b}]" for b in sorted(brands[:n_brands].tolist())]
        attribute_tokens += [f"[cat:{c}]" for c in sorted(categories[:n_categories].tolist())]

        tokenizer = Tokenizer(models.BPE())
        tokenizer.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
        tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
        tokenizer.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=max(vocab_size - len(attribute_tokens), 256 + len(specials)),
            min_frequency=2,
            special_tokens=specials,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        )
        titles = [t for t in _titles(items) if t]
        tokenizer.train_from_iterator(titles, trainer=trainer, length=len(titles))
        tokenizer.add_special_tokens(attribute_tokens)
        return cls(tokenizer, max_title_tokens, item_features)

    def __len__(self) -> int:
        return int(self.tokenizer.get_vocab_size(with_added_tokens=True))

    @property
    def width(self) -> int:
        """Tokens per item row: the title's plus brand and category."""
        return self.max_title_tokens + 2

    def _attribute_tokens(self, raw: np.ndarray, ids: np.ndarray, tokens: np.ndarray, unknown: int) -> np.ndarray:
        """(m,) token per raw id: its own token, `unknown` when it has none, 0 (pad) when the id is missing."""
        if len(ids) == 0:
            return np.where(raw != 0, unknown, 0).astype(np.int64)
        pos = np.minimum(np.searchsorted(ids, raw), len(ids) - 1)
        found = ids[pos] == raw
        return np.where(raw == 0, 0, np.where(found, tokens[pos], unknown)).astype(np.int64)

    def encode(self, items: ItemTable) -> np.ndarray:
        """(m, width) int64 token ids, 0-padded; row i describes items row i."""
        m = len(items)
        out = np.zeros((m, self.width), dtype=np.int64)
        if self.item_features != "brand+category" and m:
            for row, encoding in enumerate(self.tokenizer.encode_batch(_titles(items), add_special_tokens=False)):
                ids = encoding.ids[: self.max_title_tokens]
                out[row, : len(ids)] = ids
        if self.item_features != "title":
            brand = np.asarray(items.brand, dtype=np.int64)
            out[:, -2] = self._attribute_tokens(brand, self._brand_ids, self._brand_tokens, self.brand_unknown)
            category = most_specific_category(items)
            out[:, -1] = self._attribute_tokens(
                category, self._category_ids, self._category_tokens, self.category_unknown
            )
        return out

    def to_json(self) -> str:
        return self.tokenizer.to_str()

    @classmethod
    def from_json(cls, text: str, max_title_tokens: int, item_features: str) -> ItemTokenizer:
        from tokenizers import Tokenizer

        return cls(Tokenizer.from_str(text), max_title_tokens, item_features)


# -- towers ------------------------------------------------------------------------------------------------------
class FeedForwardBlock(nn.Module):
    """A transformer block without self-attention: x -> LayerNorm(x + FFN(x))."""

    def __init__(self, d: int, d_ff: int, dropout: float) -> None:
        super().__init__()
        self.ff = nn.Sequential(nn.Linear(d, d_ff), nn.GELU(), nn.Dropout(dropout), nn.Linear(d_ff, d))
        self.dropout = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, d) -> (N, d)
        return self.norm(x + self.dropout(self.ff(x)))


class ItemEncoder(nn.Module):
    """Token ids of a listing -> its l2-normalised vector (the third tower)."""

    def __init__(self, vocab_size: int, config: MercatranConfig) -> None:
        super().__init__()
        self.tokens = nn.EmbeddingBag(vocab_size, config.d, mode="mean", padding_idx=0)
        self.blocks = nn.Sequential(
            *[FeedForwardBlock(config.d, config.d_ff, config.dropout) for _ in range(config.n_blocks)]
        )
        self.out = nn.Linear(config.d, config.d)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:  # (N, T) -> (N, d)
        h = self.tokens(tokens)  # (N, d): mean over non-pad tokens, zeros for an empty row
        h = self.blocks(h)  # (N, d)
        return F.normalize(self.out(h), dim=-1)


class MercatranNet(nn.Module):
    """The three towers. Every vector that leaves a tower is l2-normalised, so dot products are cosines."""

    def __init__(self, vocab_size: int, config: MercatranConfig) -> None:
        super().__init__()
        c = config
        self.config = c
        self.item_encoder = ItemEncoder(vocab_size, c)
        self.item_in = nn.Linear(c.d, c.d)  # unit item vectors -> the user towers' input space
        self.action = nn.Embedding(len(ACTIONS) + 1, c.d, padding_idx=len(ACTIONS))  # last index = padding
        self.position = nn.Embedding(c.max_history, c.d)  # by column of the right-aligned history: recency
        layer = nn.TransformerEncoderLayer(
            c.d, c.n_heads, c.d_ff, c.dropout, activation="gelu", batch_first=True, norm_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, c.n_blocks, norm=nn.LayerNorm(c.d), enable_nested_tensor=False)
        if c.use_decoder:
            self.bos = nn.Parameter(torch.randn(c.d) * 0.02)  # start-of-future input
            self.step = nn.Embedding(c.n_steps, c.d)
            dec_layer = nn.TransformerDecoderLayer(
                c.d, c.n_heads, c.d_ff, c.dropout, activation="gelu", batch_first=True, norm_first=True
            )
            self.decoder: nn.TransformerDecoder | None = nn.TransformerDecoder(
                dec_layer, c.n_blocks, norm=nn.LayerNorm(c.d)
            )
        else:
            self.decoder = None
        self.head = nn.Linear(c.d, c.d)

    @property
    def n_steps(self) -> int:
        return self.config.n_steps if self.decoder is not None else 1

    def encode_items(self, tokens: torch.Tensor) -> torch.Tensor:  # (N, T) -> (N, d), unit norm
        return self.item_encoder(tokens)

    def encode_history(self, item_vectors: torch.Tensor, actions: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        """(B, L, d) unit item vectors, (B, L) action codes, (B, L) True at padding -> memory (B, L, d).

        Histories are right-aligned (newest in the last column) and L <= max_history.
        """
        length = item_vectors.shape[1]
        columns = torch.arange(self.config.max_history - length, self.config.max_history, device=pad.device)
        action_index = torch.where(pad, torch.full_like(actions, len(ACTIONS)), actions.clamp(min=0))
        x = self.item_in(item_vectors) + self.action(action_index) + self.position(columns)[None]  # (B, L, d)
        return self.encoder(x, src_key_padding_mask=pad)  # (B, L, d)

    def decode(self, memory: torch.Tensor, pad: torch.Tensor, previous: torch.Tensor) -> torch.Tensor:
        """Predictions for steps 1..s+1 given the s items before them.

        memory (B, L, d), pad (B, L), previous (B, s, d) unit vectors of steps 1..s (true ones in training, the
        model's own predictions at inference) -> (B, s + 1, d) unit vectors; output j only sees previous[:, :j].
        """
        assert self.decoder is not None
        batch, s = previous.shape[0], previous.shape[1]
        start = self.bos.expand(batch, 1, -1)  # (B, 1, d)
        x = torch.cat([start, self.item_in(previous)], dim=1)  # (B, s + 1, d)
        x = x + self.step(torch.arange(s + 1, device=x.device))[None]
        causal = nn.Transformer.generate_square_subsequent_mask(s + 1, device=x.device, dtype=x.dtype)
        h = self.decoder(x, memory, tgt_mask=causal, tgt_is_causal=True, memory_key_padding_mask=pad)  # (B, s+1, d)
        return F.normalize(self.head(h), dim=-1)

    def predict(
        self, memory: torch.Tensor, pad: torch.Tensor, targets: torch.Tensor | None = None,
        items: torch.Tensor | None = None, sampling: float = 0.0,
    ) -> torch.Tensor:
        """(B, n_steps, d) unit predictions: teacher-forced on `targets` (B, n_steps, d) when given, else
        autoregressive on the model's own outputs. V1 (no decoder): the newest position's output, one step.
        In training, `sampling` is the chance that a teacher-forced input is replaced by the model's prediction.

        With `items` (N, d) unit item vectors, decoding is greedy over listings, as a language model feeds back
        its predicted token: the next step reads the vector of the listing nearest to this step's prediction
        (one not decoded before for this user), the same kind of input teacher forcing trained it on.
        """
        if self.decoder is None:
            return F.normalize(self.head(memory[:, -1]), dim=-1)[:, None]  # (B, 1, d)
        if targets is not None:
            previous = targets[:, :-1]  # (B, n_steps - 1, d)
            if self.training and sampling > 0 and previous.shape[1]:
                # Scheduled sampling, in two passes as transformers need: where the coin says so, the input
                # is the model's own (teacher-forced, detached) prediction of that step, as at inference.
                with torch.no_grad():
                    own = self.decode(memory, pad, previous)[:, :-1]  # (B, n_steps - 1, d)
                swap = torch.rand(previous.shape[:2], device=previous.device) < sampling  # (B, n_steps - 1)
                previous = torch.where(swap[..., None], own, previous)
            return self.decode(memory, pad, previous)  # (B, n_steps, d)
        batch = memory.shape[0]
        outputs = memory.new_zeros(batch, 0, memory.shape[2])  # (B, 0, d) predictions
        fed = outputs  # (B, s, d) what the decoder reads back
        taken = torch.zeros(batch, 0 if items is None else items.shape[0], dtype=torch.bool, device=memory.device)
        for _ in range(self.n_steps):
            step = self.decode(memory, pad, fed)[:, -1:]  # (B, 1, d)
            outputs = torch.cat([outputs, step], dim=1)
            if items is None:
                fed = outputs
                continue
            scores = (step[:, 0] @ items.T).masked_fill(taken, -torch.inf)  # (B, N)
            best = scores.argmax(dim=1)  # (B,)
            taken[torch.arange(batch, device=memory.device), best] = True
            fed = torch.cat([fed, items[best][:, None]], dim=1)
        return outputs  # (B, n_steps, d)


def symmetric_contrastive_loss(
    predictions: torch.Tensor, targets: torch.Tensor, target_ids: torch.Tensor, temperature: float,
    step_negatives: bool = False,
) -> torch.Tensor:
    """Mean over steps of the symmetric in-batch cross-entropy (CLIP-style) on cosine similarities.

    predictions, targets (B, S, d) unit vectors; target_ids (B, S): rows with the same target item at a step are
    not used as each other's negatives. With `step_negatives`, the same user's other steps join the negatives
    (prediction s vs targets s' != s, and target s vs predictions s'), unless they hold the same item: in-batch
    negatives from other users are easy to tell apart, these force the step vectors apart.
    """
    batch, steps = predictions.shape[0], predictions.shape[1]
    labels = torch.arange(batch, device=predictions.device)
    eye = torch.eye(batch, dtype=torch.bool, device=predictions.device)
    losses = []
    for s in range(steps):
        logits = predictions[:, s] @ targets[:, s].T / temperature  # (B, B)
        same = (target_ids[:, s, None] == target_ids[None, :, s]) & ~eye
        logits = logits.masked_fill(same, float("-inf"))
        by_prediction, by_target = logits, logits.T
        if step_negatives and steps > 1:
            others = [o for o in range(steps) if o != s]
            repeat = target_ids[:, others] == target_ids[:, s, None]  # (B, S-1): same item, not a negative
            extra = torch.einsum("bd,bod->bo", predictions[:, s], targets[:, others]) / temperature
            by_prediction = torch.cat([logits, extra.masked_fill(repeat, float("-inf"))], dim=1)  # (B, B+S-1)
            extra = torch.einsum("bd,bod->bo", targets[:, s], predictions[:, others]) / temperature
            by_target = torch.cat([logits.T, extra.masked_fill(repeat, float("-inf"))], dim=1)  # (B, B+S-1)
        losses.append(0.5 * (F.cross_entropy(by_prediction, labels) + F.cross_entropy(by_target, labels)))
    return torch.stack(losses).mean()


# -- training windows --------------------------------------------------------------------------------------------
@dataclass
class Windows:
    """Training samples: a right-aligned history and the next n_steps items, as rows of the model's item cache."""

    history: np.ndarray  # (m, L) int64 item-cache rows, -1 = padding
    actions: np.ndarray  # (m, L) int64 action codes, -1 = padding
    targets: np.ndarray  # (m, S) int64 item-cache rows

    def __len__(self) -> int:
        return int(self.targets.shape[0])


def interaction_log(events: EventLog) -> EventLog:
    """The six interactions with a listing, consecutive (user, action, item) repeats removed (MerRec 3.2)."""
    keep = (events.item >= 0) & np.isin(events.action, np.fromiter(INTERACTION_CODES, dtype=np.int64))
    return dedup_consecutive(events.select(keep).sorted())


def new_target_rows(item: np.ndarray, history: np.ndarray, first: np.ndarray, end: np.ndarray, n_steps: int
                    ) -> np.ndarray:
    """(m, n_steps) flat rows of the first n_steps items from `first` on (before `end`) that are not in the
    window's `history` (m, L) item ids (-1 = padding) and not repeats of an earlier target; -1 where fewer exist.

    A like or cart tap after a view is no consecutive duplicate, so raw next items often re-name the history;
    serving leaves the user's recent listings out of the row, so the decoder learns to point at new ones."""
    out = np.full((len(first), n_steps), -1, dtype=np.int64)
    for w in range(len(first)):
        seen = set(history[w][history[w] >= 0].tolist())
        found = 0
        for row in range(int(first[w]), int(end[w])):
            value = int(item[row])
            if value in seen:
                continue
            seen.add(value)
            out[w, found] = row
            found += 1
            if found == n_steps:
                break
    return out


def window_bounds(lengths: np.ndarray, offsets: np.ndarray, n_steps: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """(sequence index, flat row of the first target) of every window: the last n_steps of each sequence, then
    every `stride` events earlier while at least one history event is left."""
    lengths = np.asarray(lengths, dtype=np.int64)
    last_start = lengths - n_steps  # first target's position in its sequence
    counts = np.where(last_start >= 1, (last_start - 1) // stride + 1, 0)
    sequence = np.repeat(np.arange(len(lengths)), counts)
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    first_target = offsets[sequence] + last_start[sequence] - within * stride
    return sequence, first_target


# -- the recommender ---------------------------------------------------------------------------------------------
class Mercatran(Recommender):
    """Three-tower Mercatran (V2); registered as `mercatran`, and as `mercatran_v1` without the decoder.

    The model keeps the token rows of every listing it has been given (`fit`'s item table, `add_items`), so it
    can read histories and score candidates by id alone; `item_vectors` embeds any table from content.
    """

    name = "mercatran"
    config_class = MercatranConfig

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
    def add_items(self, items: ItemTable) -> None:
        """Remember (or refresh) the content of `items`, e.g. listings posted after training."""
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

    def index_items(self, items: ItemTable) -> None:
        """Serving hook (`recommender.serving.item_vectors_store`): listings being indexed join the item cache, so
        histories that contain them can be read."""
        self.add_items(items)

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
        has_content = any(_titles(items)) or bool(np.any(items.brand)) or bool(np.any(items.category))
        if not has_content:
            raise ValueError("mercatran embeds listings from their title, brand and category; these items have none")
        self.tokenizer = ItemTokenizer.train(
            items, c.vocab_size, c.max_attribute_tokens, c.max_title_tokens, c.item_features
        )
        self._item_ids = np.zeros(0, dtype=np.int64)
        self._item_tokens = np.zeros((0, self.tokenizer.width), dtype=np.int64)
        self.add_items(items)
        if valid is not None:
            self.add_items(valid.items)

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


def concat_logs(a: EventLog, b: EventLog) -> EventLog:
    def join(x: np.ndarray | None, y: np.ndarray | None) -> np.ndarray | None:
        return None if x is None or y is None else np.concatenate([x, y])

    return EventLog(
        user=np.concatenate([a.user, b.user]),
        session=np.concatenate([a.session, b.session]),
        item=np.concatenate([a.item, b.item]),
        action=np.concatenate([a.action, b.action]),
        timestamp=np.concatenate([a.timestamp, b.timestamp]),
        surface=join(a.surface, b.surface),
        position=join(a.position, b.position),
        request=join(a.request, b.request),
        clicked=join(a.clicked, b.clicked),
    )


register("mercatran")(Mercatran)
register("mercatran_v1", defaults={"use_decoder": False, "n_steps": 1})(Mercatran)
