"""REST API of listings: browsing and searching active listings, posting one, buying one."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.db import transaction
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from marketplace.models import Listing, ListingStatus
from marketplace.selectors import listings_text_search
from marketplace.services.catalog import brand_get_or_create
from marketplace.services.listings import listing_buy, listing_create
from marketplace.viewers import viewer_session_id
from storefront.api.nul_bytes import NulByteRejectingJSONParser
from storefront.api.serializers import ListingCreateSerializer, ListingSerializer, OrderSerializer

MAX_PRICE = Decimal("99999999.99")  # Listing.price is numeric(10, 2)
PRICE_SCHEMA = {"type": "number", "minimum": 0, "maximum": float(MAX_PRICE)}
MAX_ID = 2**63 - 1  # bigint


class IntegerFilter(filters.NumberFilter):
    """Whole numbers only: django-filter's NumberFilter would read ?category=1.5 as category 1."""

    field_class = forms.IntegerField


class ListingFilter(filters.FilterSet):
    # Bounds are checked (400 beyond them) and stated in the schema.
    min_price = extend_schema_field(PRICE_SCHEMA)(
        filters.NumberFilter(field_name="price", lookup_expr="gte", min_value=0, max_value=MAX_PRICE))
    max_price = extend_schema_field(PRICE_SCHEMA)(
        filters.NumberFilter(field_name="price", lookup_expr="lte", min_value=0, max_value=MAX_PRICE))
    category = extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})(
        IntegerFilter(field_name="c2_id", min_value=1, max_value=MAX_ID))
    brand = filters.CharFilter(field_name="brand__name", lookup_expr="iexact")
    condition = filters.NumberFilter(field_name="condition")
    q = filters.CharFilter(method="filter_q", help_text="search text; results come best first")

    class Meta:
        model = Listing
        fields = ["min_price", "max_price", "category", "brand", "condition", "q"]

    def filter_q(self, queryset, name: str, value: str):
        """The storefront's ranked, typo-tolerant search (its "did you mean" is for people, not here)."""
        return listings_text_search(queryset, value).listings


class ListingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     viewsets.GenericViewSet):
    """Active listings (any status by id), posting a listing, and buying one."""

    serializer_class = ListingSerializer
    filterset_class = ListingFilter
    lookup_value_regex = r"\d+"  # a malformed id is a 404, never a 500
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    parser_classes = [NulByteRejectingJSONParser]  # JSON only (no photo uploads here), as the schema then says

    def get_queryset(self):
        queryset = Listing.objects.select_related("brand", "seller", "c0", "c1", "c2").order_by("-created_at", "-pk")
        if self.action == "list":
            queryset = queryset.filter(status=ListingStatus.ACTIVE)
        return queryset

    @extend_schema(request=ListingCreateSerializer, responses={201: ListingSerializer})
    def create(self, request, *args, **kwargs):
        incoming = ListingCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        with transaction.atomic():  # a refused listing leaves no new brand behind
            brand = brand_get_or_create(name=data.pop("brand"))
            listing = listing_create(seller=request.user, brand=brand, **data)
        return Response(ListingSerializer(listing, context={"request": request}).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={201: OrderSerializer})
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def buy(self, request, pk=None):
        """Buy this listing. 409 with a clear message when someone else bought it first."""
        order = listing_buy(listing_id=int(pk), buyer=request.user, session_id=viewer_session_id(request))
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED)
