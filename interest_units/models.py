"""Interest units (IU4Rec 4.1): groups of similar single-stock listings whose statistics outlive their members.

A listing belongs to at most one live unit of each type. Sold members stay members, so a unit keeps the history of
everything that sold in it (IU4Rec 4.2.1). A rebuild keeps a unit's id when its membership mostly persists; a unit
that no longer exists is retired (kept, with its stats, but never shown) instead of deleted.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from pgvector.django import HalfVectorField


class UnitType(models.TextChoices):
    SPU = "spu", "SPU (brand + leaf category)"
    IMAGE = "image", "Image cluster"
    SEMANTIC = "semantic", "Semantic ID"


# Which of a listing's units stands for it (its page links there; models take it as the listing's unit), best first:
# semantic units group by meaning, SPU units by brand + category, image units by looks.
UNIT_TYPE_PREFERENCE: tuple[str, ...] = (UnitType.SEMANTIC, UnitType.SPU, UnitType.IMAGE)


class InterestUnit(models.Model):
    type = models.CharField(max_length=8, choices=UnitType.choices)
    # What defines the unit within its type: "p12-345" (brand 12, leaf 345), "p12-345:size=m", "c2:345",
    # a semantic code path "17-3-88", or an image cluster "k42". Unique among live units of a type.
    key = models.CharField(max_length=120)
    title = models.CharField(max_length=200)
    # Mean text embedding of the members (every type): nearest units, the admin map, semantic fallback.
    centroid = HalfVectorField(dimensions=384, null=True, blank=True)
    # Image units: mean image descriptor of the members (its length depends on the image encoder).
    image_centroid = ArrayField(models.FloatField(), null=True, blank=True)
    # Semantic units: the code path of the tree node, one code per level (1 to 3 levels).
    codes = ArrayField(models.PositiveSmallIntegerField(), default=list, blank=True)
    # SPU: brand / category ids and the split attribute; every type: dominant brand and top category names.
    attributes = models.JSONField(default=dict, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)  # dropped by a rebuild; kept for its stats

    # Features kept current by the stats tasks (interest_units.services.stats).
    member_count = models.PositiveIntegerField(default=0)
    active_count = models.PositiveIntegerField(default=0)
    sold_count = models.PositiveIntegerField(default=0)
    price_min = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)  # active members
    price_max = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    price_median = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    # {"1d": {"impressions": .., "clicks": .., ..., "ctr": ..}, "7d": {...}, "30d": {...}}
    window_stats = models.JSONField(default=dict, blank=True)
    ctr = models.FloatField(default=0.0)  # smoothed 30-day click-through rate
    purchases_30d = models.PositiveIntegerField(default=0)
    stats_refreshed_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["type", "key"], condition=Q(retired_at__isnull=True), name="interest_unit_unique_live_key"
            ),
            models.CheckConstraint(condition=Q(type__in=UnitType.values), name="interest_unit_type_valid"),
        ]
        indexes = [
            models.Index(fields=["type", "key"], name="iu_type_key"),
            models.Index(fields=["type", "-active_count"], condition=Q(retired_at__isnull=True), name="iu_live_type"),
        ]

    def __str__(self) -> str:
        return f"{self.title} [{self.type}]"

    @property
    def is_live(self) -> bool:
        return self.retired_at is None

    @property
    def code_path(self) -> str:
        return "-".join(str(c) for c in self.codes)


class InterestUnitMember(models.Model):
    """A listing belongs to at most one unit of each type; sold members stay, so unit stats keep their history."""

    unit = models.ForeignKey(InterestUnit, on_delete=models.CASCADE, related_name="members")
    listing = models.ForeignKey("marketplace.Listing", on_delete=models.CASCADE, related_name="unit_memberships")
    type = models.CharField(max_length=8, choices=UnitType.choices)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["listing", "type"], name="interest_unit_member_one_per_type")]
        indexes = [models.Index(fields=["unit", "listing"], name="iu_member_unit_listing")]

    def __str__(self) -> str:
        return f"listing {self.listing_id} in {self.type} unit {self.unit_id}"


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

    def __str__(self) -> str:
        return f"unit {self.unit_id} on {self.day}"


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

    def __str__(self) -> str:
        return f"user {self.user_id} x unit {self.unit_id}"


class ListingImageFeature(models.Model):
    """The image descriptor of a listing's photo, recomputed when the photo or the encoder changes."""

    listing = models.OneToOneField("marketplace.Listing", on_delete=models.CASCADE, primary_key=True,
                                   related_name="image_feature")
    encoder = models.CharField(max_length=40)
    photo_name = models.CharField(max_length=255)  # the file the vector was computed from
    vector = ArrayField(models.FloatField())
    computed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.encoder} descriptor of listing {self.listing_id}"


class BuildStatus(models.TextChoices):
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class UnitBuild(models.Model):
    """One run of `build_interest_units`: its settings, its quality report, and the semantic codebooks.

    New listings are placed with the codebooks and image encoder of the latest finished build.
    """

    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=BuildStatus.choices, default=BuildStatus.RUNNING)
    types = ArrayField(models.CharField(max_length=8), default=list)
    config = models.JSONField(default=dict, blank=True)
    report = models.JSONField(default=dict, blank=True)  # per type: count, coverage, sizes, purity, similarity
    messages = models.JSONField(default=list, blank=True)  # what was skipped and why, for a person to read
    image_encoder = models.CharField(max_length=40, blank=True)
    # np.savez of the residual k-means codebooks: level_0 (k0, 384), level_1 (k1, 384), level_2 (k2, 384).
    semantic_codebooks = models.BinaryField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["status", "-finished_at"], name="iu_build_recent")]

    def __str__(self) -> str:
        return f"Build {self.pk} ({self.status}, {self.started_at:%Y-%m-%d %H:%M})"
