"""The interface every recommender shares, its registry, and its checkpoint format.

A model is built from a config dataclass, trained with `fit(dataset)`, asked to `score` candidates for a
`Query`, and may expose user / item vectors for vector retrieval. `save` writes one file holding the model's
name, config, data window and state, so `load_recommender(path)` rebuilds it with nothing else at hand.
Django-free: the serving glue lives in `recommender/services/`.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from recommender.data import Dataset, ItemTable

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

    # -- vectors for retrieval (optional) ------------------------------------------------------------
    def user_vectors(self, query: Query) -> np.ndarray | None:
        """(n_vectors, d) float32 user vectors for vector search, or None when the model has none."""
        return None

    def item_vectors(self, items: ItemTable) -> np.ndarray | None:
        """(len(items), d) float32 item vectors in the same space as `user_vectors`, or None."""
        return None

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


_REGISTRY: dict[str, RegistryEntry] = {}


def register(name: str, *, defaults: dict[str, Any] | None = None, kind: str = "model"):
    """Class decorator: `@register("pwprec")`; call `register("pwprec_gru", defaults=...)(PWPRec)` for variants."""

    def decorate(cls: type[Recommender]) -> type[Recommender]:
        if name in _REGISTRY and _REGISTRY[name].cls is not cls:
            raise ValueError(f"recommender {name!r} is already registered")
        _REGISTRY[name] = RegistryEntry(name=name, cls=cls, defaults=dict(defaults or {}), kind=kind)
        return cls

    return decorate


def _ensure_loaded() -> None:
    # Importing the package registers every model (each module registers itself on import).
    import recommender.registry  # noqa: F401


def registered_names(kind: str | None = None) -> list[str]:
    _ensure_loaded()
    return sorted(n for n, e in _REGISTRY.items() if kind is None or e.kind == kind)


def registry_entry(name: str) -> RegistryEntry:
    _ensure_loaded()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(registered_names())
        raise KeyError(f"unknown recommender {name!r}; known: {known}") from None


def create_recommender(name: str, config: dict[str, Any] | None = None) -> Recommender:
    """Build a fresh model by registry name, its registered defaults overridden by `config`."""
    entry = registry_entry(name)
    values = {**entry.defaults, **(config or {})}
    model = entry.cls(entry.cls.config_class(**values))
    # Variants share a class; the instance carries the registry name it was built under.
    model.name = name
    return model


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


def load_recommender(path: str | Path) -> Recommender:
    """Rebuild a model from a checkpoint written by `Recommender.save`."""
    import torch

    checkpoint = torch.load(Path(path), map_location="cpu", weights_only=False)
    if checkpoint.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path}: unsupported checkpoint format {checkpoint.get('format')!r}")
    entry = registry_entry(checkpoint["name"])
    model = entry.cls(config_from_dict(entry.cls.config_class, checkpoint["config"]))
    model.name = checkpoint["name"]
    model.data_window = checkpoint.get("data_window", {})
    model.load_state(checkpoint["state"])
    return model


def pick_device() -> str:
    """`RECOMMENDER_DEVICE` when set, else CUDA when present, else CPU."""
    import os

    import torch

    wanted = os.environ.get("RECOMMENDER_DEVICE")
    if wanted:
        return wanted
    return "cuda" if torch.cuda.is_available() else "cpu"
