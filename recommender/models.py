"""Database models of the recommender app: the registry of trained model versions, the choice of recommender per
serving slot, user vectors and precomputed slates."""

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


class UserVectors(models.Model):
    """A user's current vectors in one model's space (PWPRec's K interests, Mercatran's 4 next steps).

    Recomputed by a Celery task within seconds of each interest event; Redis caches a copy, this row is the truth.
    """

    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="recommender_vectors")
    space = models.CharField(max_length=40)  # registry name of the model, e.g. "pwprec", "mercatran"
    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="+")
    vectors = models.JSONField()  # [[float, ...], ...]: (n_vectors, d)
    events_seen = models.BigIntegerField(default=0)  # id of the newest event the vectors include
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "space"], name="user_vectors_unique_space")]

    def __str__(self) -> str:
        return f"{self.space} vectors of user {self.user_id}"


class SurfaceSlate(models.Model):
    """A precomputed slate (`recommender.surfaces`): candidate ids per row, computed by a worker. The truth behind
    the Redis copy that requests read; read itself when Redis is down or has lost the copy."""

    key = models.CharField(max_length=80, primary_key=True)  # e.g. "home:42", "item:7", "unit:3", "item-for:42:7"
    payload = models.JSONField()  # StoredSlate.to_json()
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"slate {self.key}"


class SurfaceChoice(models.Model):
    """Which recommender serves a serving slot (`recommender.serving.slots`) and the evidence: every contender's
    value of the slot's metric on one validation split. One row per slot, rewritten by each `train` that decides
    it; the surfaces read it (`recommender.surfaces.compute`)."""

    slot = models.CharField(max_length=40, unique=True)  # e.g. "home_for_you": the rows' surface
    winner = models.CharField(max_length=40)  # registry name of the contender that serves the slot
    version = models.ForeignKey(ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    protocol = models.CharField(max_length=20)  # e.g. "home"
    metric = models.CharField(max_length=40)  # e.g. "recall@20"
    values = models.JSONField(default=dict)  # {contender: value or null (not measured)}
    dataset = models.CharField(max_length=120, default="db")
    data_window = models.JSONField(default=dict)  # the trained version's window and test split
    forced = models.BooleanField(default=False)  # `train --force`: the model was made the winner whatever it scored
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["slot"]

    def __str__(self) -> str:
        return f"{self.slot}: {self.winner}"
