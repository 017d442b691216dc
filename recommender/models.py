"""Database models of the recommender app: the registry of trained model versions."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class ModelVersion(models.Model):
    """One trained (or evaluated) model: its checkpoint, config, data window and offline metrics."""

    name = models.CharField(max_length=40, db_index=True)  # registry name, e.g. "pwprec", "popularity"
    checkpoint = models.CharField(max_length=400, blank=True)  # path under RECOMMENDER_ARTIFACTS_DIR
    config = models.JSONField(default=dict)
    data_window = models.JSONField(default=dict)  # {"start": ..., "end": ..., "events": n}
    metrics = models.JSONField(default=dict)  # {"<protocol>": {"recall@20": ...}}
    dataset = models.CharField(max_length=120, default="db")
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # Serving reads exactly one active version per name.
            models.UniqueConstraint(fields=["name"], condition=Q(is_active=True), name="model_version_one_active"),
        ]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        flag = " (active)" if self.is_active else ""
        return f"{self.name} #{self.pk}{flag}"
