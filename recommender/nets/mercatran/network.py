"""Mercatran's torch network, free of Django (MerRec 4.2.6, Figure 9, Table 11): the item encoder (token
EmbeddingBag + feed-forward blocks), the user encoder over past interactions, the causal user decoder that predicts
the next `n_steps` item vectors, and the symmetric contrastive loss. Shapes: B windows, S history positions,
T tokens per item, d the model width."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from recommender.data import ACTIONS
from recommender.nets.training import TrainingConfig


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
