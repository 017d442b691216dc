"""Test-database setup shared by the serving tests: listings with text vectors, and tiny models made active."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from marketplace.models import Listing
from recommender.dataset_db import dataset_from_db
from recommender.models import ModelVersion
from recommender.registry import create_recommender
from recommender.services.training import model_version_activate
from recommender.serving.loading import served_models_forget
from recommender.tasks import item_vectors_backfill_request
from tests.factories import ListingFactory


def listings_with_text_vectors(n: int, *, seed: int = 0) -> list[Listing]:
    """n listings whose text embeddings are random unit vectors (no encoder needed)."""
    rng = np.random.default_rng(seed)
    listings = [ListingFactory(title=f"Item {i}") for i in range(n)]
    for listing in listings:
        vector = rng.normal(size=384).astype(np.float32)
        listing.text_embedding = vector / np.linalg.norm(vector)
        listing.save(update_fields=["text_embedding"])
    return listings


def trained_and_activated(tmp_path: Path, name: str, config: dict) -> ModelVersion:
    """Fit the registered model `name` on the test database's events, save it under tmp_path and activate it as
    `train` does (the item-vector backfill runs eagerly in tests)."""
    model = create_recommender(name, config)
    model.fit(dataset_from_db())
    version = ModelVersion.objects.create(name=name, checkpoint=str(model.save(tmp_path / f"{name}.pt")), metrics={})
    served_models_forget()
    return model_version_activate(version_id=version.pk, vectors_backfill=item_vectors_backfill_request)


def pwprec_trained_and_activated(tmp_path: Path, config: dict) -> ModelVersion:
    return trained_and_activated(tmp_path, "pwprec", config)
