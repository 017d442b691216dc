"""The interface every recommender shares, the `register` decorator, and the checkpoint format.

A model is built from a config dataclass, trained with `fit(dataset)`, asked to `score` candidates for a
`Query`, and may expose user / item vectors for vector retrieval. Optional capabilities (a growing catalogue,
batched scoring, impression predictions, the protocol a model is judged by) are declared here with defaults, so
callers call the method or read the class attribute instead of probing with `hasattr`. `save` writes one file
holding the model's name, config, data window and state; `recommender.registry.load_recommender(path)` rebuilds
it with nothing else at hand. Looking a model up by name needs every model module imported, so it lives in
`recommender.registry`, not here. Django-free.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from recommender.data import Dataset, EventLog, ItemTable

CHECKPOINT_FORMAT = 1


@dataclass
class Query:
    """What a surface asks a model: whose page, what they did before (oldest first), and where they are."""

    user_id: int | None = None
    history: list[int] = field(default_factory=list)  # item ids
    history_actions: list[int] = field(default_factory=list)  # ACTION_CODE values, aligned with history
    history_timestamps: list[float] = field(default_factory=list)
    surface: str = "home"  # home | vip | iu | next-item
    current_item: int | None = None  # the item on a view-item page
    timestamp: float | None = None


@dataclass
class EmptyConfig:
    """For models without hyperparameters."""


class Recommender(ABC):
    """Base class: subclasses set `name` and `config_class`, and implement fit / score / state."""

    name: str = ""  # the registry name; an instance built under a variant's name carries that one
    config_class: ClassVar[type] = EmptyConfig
    # The protocol and metric the model is judged by: `train` activates a version only when it beats the best
    # baseline there (a class judged otherwise sets its own; variants inherit their class's).
    primary_protocol: ClassVar[str] = "vip"
    primary_metric: ClassVar[str] = "recall@20"
    has_user_vectors_batch: ClassVar[bool] = False  # True where the class overrides `user_vectors_batch`
    predicts_impressions: ClassVar[bool] = False  # True where the class overrides `predict_impressions` (CTR models)

    def __init__(self, config: Any = None) -> None:
        if config is None:
            config = self.config_class()
        elif isinstance(config, dict):
            config = self.config_class(**config)
        self.config = config
        self.data_window: dict[str, Any] = {}

    # -- training and scoring ------------------------------------------------------------------------
    @abstractmethod
    def fit(self, dataset: Dataset, valid: Dataset | None = None) -> dict[str, Any]:
        """Train on `dataset` (events sorted by time); return a training log (losses, epochs, ...)."""

    @abstractmethod
    def score(self, query: Query, candidates: np.ndarray) -> np.ndarray:
        """Scores (higher is better) for candidate item ids, shape (len(candidates),)."""

    def recommend(self, query: Query, candidates: np.ndarray, k: int, exclude: set[int] | None = None) -> list[int]:
        """Top-k candidate ids by `score`, skipping `exclude`."""
        candidates = np.asarray(candidates, dtype=np.int64)
        if exclude:
            candidates = candidates[~np.isin(candidates, list(exclude))]
        if len(candidates) == 0:
            return []
        scores = self.score(query, candidates)
        top = np.argsort(-scores, kind="stable")[:k]
        return [int(i) for i in candidates[top]]

    def score_batch(self, queries: list[Query], candidates: np.ndarray) -> np.ndarray:
        """(len(queries), len(candidates)) scores of the same candidates for several queries; models with a faster
        batched path override this loop over `score`."""
        return np.stack([np.asarray(self.score(q, candidates), dtype=np.float64) for q in queries])

    def predict_impressions(self, dataset: Dataset, history: EventLog | None = None) -> tuple[Any, np.ndarray]:
        """CTR models (`predicts_impressions`): (samples, click probability per impression) for the dataset's
        impressions, each read with the user's history before it."""
        raise NotImplementedError(f"{type(self).__name__} does not predict impressions")

    # -- a growing catalogue (optional) --------------------------------------------------------------------
    def catalog_extend(self, items: ItemTable) -> None:
        """New listings arrived (created after training, or read by a worker started before them): models that
        keep per-item state take them in. The default keeps nothing per item."""
        return None

    def unknown_items(self, item_ids: list[int]) -> list[int]:
        """The ids among `item_ids` the model has no vectors for (give them to `catalog_extend`)."""
        return []

    # -- vectors for retrieval (optional) ------------------------------------------------------------
    def user_vectors(self, query: Query) -> np.ndarray | None:
        """(n_vectors, d) float32 user vectors for vector search, or None when the model has none."""
        return None

    def item_vectors(self, items: ItemTable) -> np.ndarray | None:
        """(len(items), d) float32 item vectors in the same space as `user_vectors`, or None."""
        return None

    def user_vectors_batch(self, histories: list[np.ndarray], actions: list[np.ndarray] | None = None) -> np.ndarray:
        """(B, n_vectors, d) float32 user vectors of several histories at once (`has_user_vectors_batch`)."""
        raise NotImplementedError(f"{type(self).__name__} has no batched user vectors")

    # -- persistence ----------------------------------------------------------------------------------
    @abstractmethod
    def state(self) -> dict[str, Any]:
        """Everything learned (tensors, arrays, vocabularies) as a picklable dict."""

    @abstractmethod
    def load_state(self, state: dict[str, Any]) -> None:
        """Restore what `state` returned."""

    def save(self, path: str | Path) -> Path:
        import torch  # torch.save handles tensors and numpy alike

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        checkpoint = {
            "format": CHECKPOINT_FORMAT,
            "name": self.name,
            "config": dataclasses.asdict(self.config),
            "data_window": self.data_window,
            "state": self.state(),
        }
        torch.save(checkpoint, path)
        return path


# -- registry ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RegistryEntry:
    name: str
    cls: type[Recommender]
    defaults: dict[str, Any]
    kind: str  # "baseline" or "model"


# name -> entry, filled as model modules are imported; `recommender.registry` imports them all and looks names up.
REGISTERED: dict[str, RegistryEntry] = {}


def register(name: str, *, defaults: dict[str, Any] | None = None, kind: str = "model"):
    """Class decorator: `@register("pwprec")`; call `register("pwprec_gru", defaults=...)(PWPRec)` for variants."""

    def decorate(cls: type[Recommender]) -> type[Recommender]:
        if name in REGISTERED and REGISTERED[name].cls is not cls:
            raise ValueError(f"recommender {name!r} is already registered")
        REGISTERED[name] = RegistryEntry(name=name, cls=cls, defaults=dict(defaults or {}), kind=kind)
        return cls

    return decorate


def config_from_dict(config_class: type, values: dict[str, Any]) -> Any:
    """A config rebuilt from a stored dict (a checkpoint's, a nested config's). Fields a later version renamed
    (the class's `renamed_fields`: old -> new name, or None for a field that is gone) are mapped, so checkpoints
    saved under the old names still load."""
    renamed: dict[str, str | None] = getattr(config_class, "renamed_fields", {})
    out: dict[str, Any] = {}
    for key, value in values.items():
        new = renamed.get(key, key)
        if new is not None and not (new != key and new in values):  # a stored new name wins over its old one
            out[new] = value
    return config_class(**out)


def pick_device() -> str:
    """`RECOMMENDER_DEVICE` when set, else CUDA when present, else CPU."""
    import os

    import torch

    wanted = os.environ.get("RECOMMENDER_DEVICE")
    if wanted:
        return wanted
    return "cuda" if torch.cuda.is_available() else "cpu"
