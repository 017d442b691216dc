"""Every registered recommender, found by name: importing this module imports each model module, whose classes
register themselves with `recommender.base.register`. No module imported here may import this one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# Each import registers its classes. Keep the list sorted.
import recommender.baselines  # noqa: F401
import recommender.nets.iu_boosted  # noqa: F401
import recommender.nets.mercatran  # noqa: F401
import recommender.nets.pwprec  # noqa: F401
import recommender.nets.ranking_two_tower  # noqa: F401
import recommender.nets.scid  # noqa: F401
import recommender.nets.session_gru  # noqa: F401
import recommender.ranking.ranker  # noqa: F401
import recommender.session_hybrid  # noqa: F401
from recommender.base import CHECKPOINT_FORMAT, REGISTERED, Recommender, RegistryEntry, config_from_dict


def registered_names(kind: str | None = None) -> list[str]:
    return sorted(n for n, e in REGISTERED.items() if kind is None or e.kind == kind)


def registry_entry(name: str) -> RegistryEntry:
    try:
        return REGISTERED[name]
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


