"""Interest units (IU4Rec 4.1): groups of similar single-stock listings whose statistics outlive their members."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from pgvector.django import HalfVectorField


class UnitType(models.TextChoices):
    SPU = "spu", "SPU (brand + leaf category)"
    IMAGE = "image", "Image cluster"
    SEMANTIC = "semantic", "Semantic ID"


class InterestUnit(models.Model):
    type = models.CharField(max_length=8, choices=UnitType.choices)
    # What defines the unit within its type: "brand:12|c2:345", a semantic code path "17-3-88", a cluster id.
    key = models.CharField(max_length=120)
    title = models.CharField(max_length=200)
    # Mean text embedding of the members: nearest-unit assignment and "nearest IUs" in the admin.
    centroid = HalfVectorField(dimensions=384, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["type", "key"], name="interest_unit_unique_key"),
            models.CheckConstraint(condition=Q(type__in=UnitType.values), name="interest_unit_type_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.title} [{self.type}]"


class InterestUnitMember(models.Model):
    """A listing belongs to at most one unit of each type; sold members stay, so unit stats keep their history."""

    unit = models.ForeignKey(InterestUnit, on_delete=models.CASCADE, related_name="members")
    listing = models.ForeignKey("marketplace.Listing", on_delete=models.CASCADE, related_name="unit_memberships")
    type = models.CharField(max_length=8, choices=UnitType.choices)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["listing", "type"], name="interest_unit_member_one_per_type")]
        indexes = [models.Index(fields=["unit", "listing"], name="iu_member_unit_listing")]


class UnitDailyStats(models.Model):
    """Counters of one unit for one day. Windows (1 / 7 / 30 days) are sums of days; rows outlive members."""

    unit = models.ForeignKey(InterestUnit, on_delete=models.CASCADE, related_name="daily_stats")
    day = models.DateField()
    impressions = models.PositiveIntegerField(default=0)
    clicks = models.PositiveIntegerField(default=0)
    likes = models.PositiveIntegerField(default=0)
    cart_adds = models.PositiveIntegerField(default=0)
    offers = models.PositiveIntegerField(default=0)  # IU4Rec's "inquiries"
    purchases = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "day"], name="unit_daily_stats_unique")]


class UserUnitStats(models.Model):
    """User x unit cross features: how often this user acted on items of this unit, and when last."""

    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="unit_stats")
    unit = models.ForeignKey(InterestUnit, on_delete=models.CASCADE, related_name="user_stats")
    impressions = models.PositiveIntegerField(default=0)
    clicks = models.PositiveIntegerField(default=0)
    likes = models.PositiveIntegerField(default=0)
    cart_adds = models.PositiveIntegerField(default=0)
    offers = models.PositiveIntegerField(default=0)
    purchases = models.PositiveIntegerField(default=0)
    last_interaction_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "unit"], name="user_unit_stats_unique")]
        indexes = [models.Index(fields=["user", "-last_interaction_at"], name="user_unit_recent")]
