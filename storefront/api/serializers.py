"""API representations. Listings expose what a buyer sees; writes are validated here, performed by services."""

from __future__ import annotations

from rest_framework import serializers

from marketplace.models import Category, Listing
from marketplace.services.events import CLIENT_ACTIONS, EVENT_ACTION_SERVER_ONLY, MAX_BATCH


class ListingSerializer(serializers.ModelSerializer):
    brand = serializers.CharField(source="brand.name", default=None, read_only=True, allow_null=True)
    seller = serializers.CharField(source="seller.username", read_only=True)
    category = serializers.SerializerMethodField()
    condition_name = serializers.CharField(source="get_condition_display", read_only=True)
    photo = serializers.ImageField(read_only=True, use_url=True)

    class Meta:
        model = Listing
        fields = ["id", "title", "description", "price", "status", "brand", "category", "condition",
                  "condition_name", "size", "color", "shipper", "product_id", "seller", "photo", "created_at",
                  "sold_at"]
        read_only_fields = fields

    def get_category(self, listing: Listing) -> list[str]:
        return [c.name for c in listing.category_path]


class ListingCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    price = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0)
    category_id = serializers.PrimaryKeyRelatedField(queryset=Category.objects.filter(level=2), source="category")
    brand = serializers.CharField(required=False, allow_blank=True, max_length=120, default="")
    condition = serializers.IntegerField(min_value=1, max_value=6, default=3)
    size = serializers.CharField(required=False, allow_blank=True, max_length=40, default="")
    color = serializers.CharField(required=False, allow_blank=True, max_length=40, default="")
    shipper = serializers.ChoiceField(choices=["buyer", "seller"], default="seller")


class EventInSerializer(serializers.Serializer):
    """One event a client saw happen: a view of (a click on) or an impression of a listing it was shown. Where it
    was shown (page, surface, position, recommender, unit) is taken from the server's record of `request_id`."""

    action = serializers.ChoiceField(
        choices=[(a.value, a.label) for a in CLIENT_ACTIONS],
        error_messages={"invalid_choice": EVENT_ACTION_SERVER_ONLY.replace("{action!r}", '"{input}"')},
    )
    listing_id = serializers.IntegerField(min_value=1, max_value=2**62)
    request_id = serializers.CharField(max_length=40, help_text="The request_id of the recommendations response "
                                       "(last hour, same viewer) that showed this listing.")


class EventBatchSerializer(serializers.Serializer):
    events = EventInSerializer(many=True, allow_empty=False, max_length=MAX_BATCH)


class EventBatchResultSerializer(serializers.Serializer):
    recorded = serializers.IntegerField(help_text="new events stored")
    duplicates = serializers.IntegerField(help_text="events this viewer had already reported, not stored again")


class OrderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    listing_id = serializers.IntegerField()
    buyer = serializers.CharField(source="buyer.username")
    price = serializers.DecimalField(max_digits=10, decimal_places=2)
    created_at = serializers.DateTimeField()
