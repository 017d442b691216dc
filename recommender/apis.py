"""REST endpoints of every recommendation surface. Each response carries a request id and the recommender's
name, lists only listings that are active and not the caller's own, and logs its impressions."""

from __future__ import annotations

import uuid

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from interest_units.models import InterestUnit
from marketplace.models import EventAction, Listing, Page
from marketplace.page_events import impressions_for_rows, page_events_record
from marketplace.serializers import ListingSerializer
from marketplace.services.events import EventInput
from recommender.selectors import (
    interest_unit_items,
    interest_units_for_home,
    recommendations_for_home,
    recommendations_for_item,
)

MAX_K = 100


class KSerializer(serializers.Serializer):
    """The `k` query parameter; given to the schema as is, so it states the bounds it enforces."""

    k = serializers.IntegerField(min_value=1, max_value=MAX_K, default=12, help_text="items per row")


class RowSerializer(serializers.Serializer):
    surface = serializers.CharField()
    label = serializers.CharField()
    recommender = serializers.CharField()
    interest_unit_id = serializers.IntegerField(source="interest_unit.pk", allow_null=True, default=None)
    items = ListingSerializer(source="listings", many=True)


class SlateSerializer(serializers.Serializer):
    request_id = serializers.CharField()
    recommender = serializers.CharField()
    rows = RowSerializer(many=True)


class UnitSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = InterestUnit
        fields = ["id", "type", "key", "title"]


class UnitCardSerializer(serializers.Serializer):
    unit = UnitSummarySerializer()
    item = ListingSerializer(source="listing")
    active_count = serializers.IntegerField()


class UnitCardsSerializer(serializers.Serializer):
    request_id = serializers.CharField()
    recommender = serializers.CharField()
    results = UnitCardSerializer(many=True)


class UnitItemsSerializer(serializers.Serializer):
    request_id = serializers.CharField()
    recommender = serializers.CharField()
    unit = UnitSummarySerializer()
    active_count = serializers.IntegerField()
    sold_count = serializers.IntegerField()
    min_price = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    max_price = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    results = ListingSerializer(source="listings", many=True)


def _k(request: Request) -> int:
    incoming = KSerializer(data=request.query_params)
    incoming.is_valid(raise_exception=True)
    return incoming.validated_data["k"]


def _viewer_id(request: Request) -> int | None:
    return request.user.pk if request.user.is_authenticated else None


def _slate_payload(slate, request: Request) -> dict:
    names = sorted({row.recommender for row in slate.rows})
    return SlateSerializer(
        {"request_id": slate.request_id, "recommender": "+".join(names), "rows": slate.rows},
        context={"request": request},
    ).data


class HomeRecommendationsApi(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(parameters=[KSerializer], responses=SlateSerializer)
    def get(self, request: Request) -> Response:
        """The homepage rows for the caller ("for you" rows per interest, next up, popular)."""
        slate = recommendations_for_home(viewer_id=_viewer_id(request), k=_k(request))
        page_events_record(request, impressions_for_rows(slate.rows, page=Page.HOME, request_id=slate.request_id))
        return Response(_slate_payload(slate, request))


class ItemRecommendationsApi(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(parameters=[KSerializer], responses=SlateSerializer)
    def get(self, request: Request, listing_id: int) -> Response:
        """The view-item page rows for one listing (404 for an unknown id)."""
        listing = get_object_or_404(Listing, pk=listing_id)
        slate = recommendations_for_item(listing=listing, viewer_id=_viewer_id(request), k=_k(request))
        page_events_record(request, impressions_for_rows(slate.rows, page=Page.VIP, request_id=slate.request_id))
        return Response(_slate_payload(slate, request))


class InterestUnitsApi(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(parameters=[KSerializer], responses=UnitCardsSerializer)
    def get(self, request: Request) -> Response:
        """Stage 1: interest units for the caller, each with its best active item."""
        cards = interest_units_for_home(viewer_id=_viewer_id(request), k=_k(request))
        request_id = uuid.uuid4().hex
        page_events_record(request, [
            EventInput(action=EventAction.IMPRESSION, listing_id=card.listing.pk, page=Page.HOME,
                       surface="home_units", position=i, recommender=card.recommender, request_id=request_id,
                       interest_unit_id=card.unit.pk)
            for i, card in enumerate(cards)
        ])
        recommender = cards[0].recommender if cards else "iu_popularity"
        return Response(UnitCardsSerializer({"request_id": request_id, "recommender": recommender, "results": cards},
                                            context={"request": request}).data)


class InterestUnitItemsApi(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(parameters=[KSerializer], responses=UnitItemsSerializer)
    def get(self, request: Request, unit_id: int) -> Response:
        """Stage 2: the unit's active items ranked for the caller."""
        unit = get_object_or_404(InterestUnit, pk=unit_id)
        page = interest_unit_items(unit=unit, viewer_id=_viewer_id(request), k=_k(request))
        page_events_record(request, [
            EventInput(action=EventAction.IMPRESSION, listing_id=listing.pk, page=Page.IU, surface="iu_items",
                       position=i, recommender=page.recommender, request_id=page.request_id, interest_unit_id=unit.pk)
            for i, listing in enumerate(page.listings)
        ])
        return Response(UnitItemsSerializer(page, context={"request": request}).data)
