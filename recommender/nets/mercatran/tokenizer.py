"""Mercatran's item tokens (MerRec 4.2.6): a byte-level BPE over listing titles, plus whole tokens for the
brand and the most specific category, so a listing is its content only."""

from __future__ import annotations

from typing import Any

import numpy as np

from recommender.data import ItemTable

PAD_TOKEN = "[pad]"
BRAND_UNKNOWN = "[brand:unk]"
CATEGORY_UNKNOWN = "[cat:unk]"
ITEM_FEATURES = ("title+brand+category", "title", "brand+category")  # Table 5's three input variants


def most_specific_category(items: ItemTable) -> np.ndarray:
    """(m,) c2 id, else c1, else c0, else 0."""
    category = np.asarray(items.category, dtype=np.int64).reshape(len(items), 3)
    out = category[:, 2].copy()
    for level in (1, 0):
        out = np.where(out == 0, category[:, level], out)
    return out


def listing_titles(items: ItemTable) -> list[str]:
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
        titles = [t for t in listing_titles(items) if t]
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
            encodings = self.tokenizer.encode_batch(listing_titles(items), add_special_tokens=False)
            for row, encoding in enumerate(encodings):
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
