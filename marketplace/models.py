"""The marketplace's domain: a MerRec-compatible catalogue of single-stock listings and the events around them.

Every listing is one physical item: it sells at most once (`Order.listing` is unique) and, once sold, reserved
or removed, it never appears in any list. Invariants live in database constraints as well as in services, so
a bug in one code path cannot break them.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from pgvector.django import HalfVectorField, HnswIndex, VectorField

MODEL_VECTOR_DIM = 64  # every served tower embeds into 64 dimensions (Mercatran's Table 11 size)


class Category(models.Model):
    """A node of the 3-level category tree (MerRec c0 > c1 > c2)."""

    name = models.CharField(max_length=120)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    level = models.PositiveSmallIntegerField()  # 0, 1 or 2
    merrec_id = models.IntegerField(null=True, blank=True)  # the id in MerRec's c{level}_id column

    class Meta:
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="category_unique_name_per_parent"),
            models.UniqueConstraint(fields=["name"], condition=Q(parent__isnull=True), name="category_unique_root"),
            models.UniqueConstraint(fields=["level", "merrec_id"], name="category_unique_merrec_id"),
            models.CheckConstraint(condition=Q(level__in=[0, 1, 2]), name="category_level_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class Brand(models.Model):
    name = models.CharField(max_length=120, unique=True)
    merrec_id = models.IntegerField(null=True, blank=True, unique=True)

    def __str__(self) -> str:
        return self.name


class Condition(models.IntegerChoices):
    """MerRec's six item_condition_id values."""

    NEW = 1, "New"
    LIKE_NEW = 2, "Like new"
    GOOD = 3, "Good"
    FAIR = 4, "Fair"
    POOR = 5, "Poor"
    FOR_PARTS = 6, "For parts"


class Shipper(models.TextChoices):
    BUYER = "buyer", "Buyer pays shipping"
    SELLER = "seller", "Seller pays shipping"


class ListingStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    RESERVED = "reserved", "Reserved"
    SOLD = "sold", "Sold"
    REMOVED = "removed", "Removed"


class ListingSource(models.TextChoices):
    USER = "user", "Posted by a user"
    DEMO = "demo", "Demo data"
    MERCARI = "mercari", "Mercari TSV import"
    MERREC = "merrec", "MerRec import"
    SESSIONS = "sessions", "Session file import"


class ListingQuerySet(models.QuerySet):
    def available_to(self, viewer_id: int | None) -> ListingQuerySet:
        """Listings this viewer may be shown: active (invariant 1: never sold, reserved or removed) and not their own
        (invariant 3). The one spelling of the rule for querysets; raw SQL uses LISTING_AVAILABLE_SQL."""
        queryset = self.filter(status=ListingStatus.ACTIVE)
        return queryset if viewer_id is None else queryset.exclude(seller_id=viewer_id)


# `available_to` for raw SQL over listings aliased `l`: bind the viewer's id (None: anyone) twice.
LISTING_AVAILABLE_SQL = f"l.status = '{ListingStatus.ACTIVE}' AND (%s::bigint IS NULL OR l.seller_id <> %s::bigint)"


class Listing(models.Model):
    """One physical item for sale (MerRec `item_id`)."""

    seller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="listings")
    title = models.CharField(max_length=200)  # MerRec `name`
    description = models.TextField(blank=True)
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(0)])  # USD
    # The category path is stored at every level (MerRec's c0/c1/c2 columns) so filters need no tree walk.
    c0 = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    c1 = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    c2 = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT, related_name="listings")
    brand = models.ForeignKey(Brand, null=True, blank=True, on_delete=models.PROTECT, related_name="listings")
    condition = models.PositiveSmallIntegerField(choices=Condition.choices, default=Condition.GOOD)
    size = models.CharField(max_length=40, blank=True)
    color = models.CharField(max_length=40, blank=True)
    shipper = models.CharField(max_length=6, choices=Shipper.choices, default=Shipper.SELLER)
    # MerRec's SKU stand-in: brand id + leaf category id ("" when either is missing).
    product_id = models.CharField(max_length=40, blank=True, db_index=True)
    status = models.CharField(max_length=8, choices=ListingStatus.choices, default=ListingStatus.ACTIVE)
    photo = models.ImageField(upload_to="listings/%Y/%m/", blank=True)
    source = models.CharField(max_length=8, choices=ListingSource.choices, default=ListingSource.USER)
    external_id = models.CharField(max_length=64, blank=True)  # id in the imported data set
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    sold_at = models.DateTimeField(null=True, blank=True)
    # all-MiniLM-L6-v2 embedding of title + brand + category path + attributes (see interest_units.embeddings)
    text_embedding = HalfVectorField(dimensions=384, null=True, blank=True)
    # Item-tower vectors of the served models (64-d each), refreshed when a model version is activated and
    # computed for new listings at once: content-only towers make a brand-new listing recommendable.
    pwprec_vector = VectorField(dimensions=MODEL_VECTOR_DIM, null=True, blank=True)
    mercatran_vector = VectorField(dimensions=MODEL_VECTOR_DIM, null=True, blank=True)
    # The model version each vector was computed with: a search for a user's vectors of version v reads only item
    # vectors of version v, so a backfill after an activation never mixes two versions' spaces.
    pwprec_vector_version = models.PositiveIntegerField(null=True, blank=True)
    mercatran_vector_version = models.PositiveIntegerField(null=True, blank=True)
    # Weighted full-text document (brand and leaf category A, title B, upper categories C, description D), kept
    # by a database trigger (migration 0006) so every write path, bulk imports included, indexes the listing.
    search_vector = SearchVectorField(null=True, blank=True, editable=False)

    objects = ListingQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="listing_price_non_negative"),
            models.CheckConstraint(condition=Q(status__in=ListingStatus.values), name="listing_status_valid"),
            models.CheckConstraint(condition=Q(condition__gte=1, condition__lte=6), name="listing_condition_valid"),
            models.CheckConstraint(condition=Q(shipper__in=Shipper.values), name="listing_shipper_valid"),
            models.CheckConstraint(
                condition=Q(status="sold", sold_at__isnull=False) | ~Q(status="sold"), name="listing_sold_has_sold_at"
            ),
            models.UniqueConstraint(
                fields=["source", "external_id"], condition=~Q(external_id=""), name="listing_unique_external_id"
            ),
        ]
        indexes = [
            # Hot path: "active listings, newest first", optionally within a category.
            models.Index(fields=["-created_at"], condition=Q(status="active"), name="listing_active_recent"),
            models.Index(fields=["c2", "-created_at"], condition=Q(status="active"), name="listing_active_c2"),
            models.Index(fields=["seller", "status"], name="listing_seller_status"),
            GinIndex(fields=["title"], opclasses=["gin_trgm_ops"], name="listing_title_trgm"),
            GinIndex(fields=["search_vector"], condition=Q(status="active"), name="listing_active_search"),
            HnswIndex(
                name="listing_text_embedding_hnsw",
                fields=["text_embedding"],
                m=16,
                ef_construction=64,
                opclasses=["halfvec_cosine_ops"],
            ),
            *[
                HnswIndex(name=f"listing_{column}_hnsw", fields=[column], m=16, ef_construction=64,
                          opclasses=["vector_cosine_ops"])
                for column in ("pwprec_vector", "mercatran_vector")
            ],
        ]

    def __str__(self) -> str:
        return f"{self.title} (${self.price})"

    @property
    def is_available(self) -> bool:
        return self.status == ListingStatus.ACTIVE

    @property
    def category_path(self) -> list[Category]:
        return [c for c in (self.c0, self.c1, self.c2) if c is not None]


# The served models' item-vector spaces: {registry name: the Listing column holding its vectors}; beside each column
# is `<column>_version`, the model version it was computed with.
MODEL_VECTOR_COLUMNS: dict[str, str] = {"pwprec": "pwprec_vector", "mercatran": "mercatran_vector"}


class SearchWord(models.Model):
    """A word of active listings' titles, brands and category names, with how many listings hold it: the
    vocabulary "did you mean" corrects to. A materialized view (migration 0006), refreshed by
    `marketplace.services.search.search_vocabulary_refresh` (beat, and after every import)."""

    word = models.TextField(primary_key=True)
    listings = models.IntegerField()

    class Meta:
        managed = False
        db_table = "marketplace_search_word"

    def __str__(self) -> str:
        return self.word


class EventAction(models.TextChoices):
    """MerRec's six `event_id` values, plus what the storefront logs around them."""

    ITEM_VIEW = "item_view", "Viewed"
    ITEM_LIKE = "item_like", "Liked"
    ITEM_ADD_TO_CART_TAP = "item_add_to_cart_tap", "Added to cart"
    OFFER_MAKE = "offer_make", "Made an offer"
    BUY_START = "buy_start", "Started checkout"
    BUY_COMP = "buy_comp", "Bought"
    IMPRESSION = "impression", "Shown"
    SEARCH = "search", "Searched"

# MerRec's six `event_id` values: what a person does to a listing (impressions and searches are the storefront's).
MERREC_ACTIONS = frozenset({
    EventAction.ITEM_VIEW, EventAction.ITEM_LIKE, EventAction.ITEM_ADD_TO_CART_TAP, EventAction.OFFER_MAKE,
    EventAction.BUY_START, EventAction.BUY_COMP,
})
# Actions that change what a user is interested in: they refresh the user's vectors and slates in near real time.
INTEREST_ACTIONS = frozenset({
    EventAction.ITEM_VIEW, EventAction.ITEM_LIKE, EventAction.ITEM_ADD_TO_CART_TAP, EventAction.OFFER_MAKE,
})


class Page(models.TextChoices):
    HOME = "home", "Homepage"
    VIP = "vip", "View-item page"
    IU = "iu", "Interest-unit page"
    SEARCH = "search", "Search"
    CART = "cart", "Cart"
    OTHER = "other", "Other"


class Event(models.Model):
    """One user action (a MerRec row) or one impression. Written to Postgres first, always."""

    # No single-column FK indexes: the composite indexes below start with user / listing and serve the same
    # lookups, and every index costs time on the hottest insert path (impressions of every page).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="events", db_index=False)
    session_id = models.CharField(max_length=64, db_index=True)
    listing = models.ForeignKey(Listing, null=True, blank=True, on_delete=models.CASCADE, related_name="events",
                                db_index=False)
    action = models.CharField(max_length=24, choices=EventAction.choices)
    page = models.CharField(max_length=8, choices=Page.choices, default=Page.OTHER)
    # Impressions (and clicks) carry where the item was shown and by which recommender.
    surface = models.CharField(max_length=32, blank=True)  # e.g. home_for_you, vip_similar, iu_items
    position = models.PositiveSmallIntegerField(null=True, blank=True)
    recommender = models.CharField(max_length=40, blank=True)
    request_id = models.CharField(max_length=40, blank=True)
    interest_unit = models.ForeignKey("interest_units.InterestUnit", null=True, blank=True,
                                      on_delete=models.SET_NULL, db_constraint=False, related_name="+")
    query = models.CharField(max_length=200, blank=True)  # search text
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(action__in=EventAction.values), name="event_action_valid"),
            models.CheckConstraint(
                condition=Q(listing__isnull=False) | Q(action="search"), name="event_listing_required"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="event_user_recent"),
            models.Index(fields=["listing", "action"], name="event_listing_action"),
            models.Index(fields=["action", "created_at"], name="event_action_time"),
            models.Index(fields=["request_id"], condition=~Q(request_id=""), name="event_request"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.action} {self.listing_id} @ {self.created_at:%Y-%m-%d %H:%M}"


class Like(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="likes")
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="likes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "listing"], name="like_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} likes {self.listing_id}"


class CartItem(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cart_items")
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="cart_items")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "listing"], name="cart_item_unique")]

    def __str__(self) -> str:
        return f"{self.listing_id} in {self.user_id}'s cart"


class OfferStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Offer(models.Model):
    """A buyer's price proposal (IU4Rec's "inquiry")."""

    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="offers")
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="offers")
    amount = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(0)])
    status = models.CharField(max_length=9, choices=OfferStatus.choices, default=OfferStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="offer_amount_non_negative"),
            models.CheckConstraint(condition=Q(status__in=OfferStatus.values), name="offer_status_valid"),
        ]

    def __str__(self) -> str:
        return f"Offer ${self.amount} on {self.listing_id} ({self.status})"


class Order(models.Model):
    """A completed purchase. `listing` is unique: a listing is sold at most once, enforced by Postgres."""

    listing = models.OneToOneField(Listing, on_delete=models.PROTECT, related_name="order")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders")
    price = models.DecimalField(max_digits=10, decimal_places=2)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(price__gte=0), name="order_price_non_negative")]
        indexes = [models.Index(fields=["buyer", "-created_at"], name="order_buyer_recent")]

    def __str__(self) -> str:
        return f"Order {self.pk}: {self.listing_id} to {self.buyer_id}"
