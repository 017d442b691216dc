"""REST endpoints of every recommendation surface. Each response carries a request id and the recommender's
name, lists only listings that are active and not the caller's own, and logs its impressions."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from interest_units.models import InterestUnit
from marketplace.models import Page
from recommender.surfaces.serve import home_rows_serve, item_serve, unit_cards_serve, unit_page_serve
from recommender.surfaces.types import Slate, UnitRef
from storefront.api.serializers import ListingSerializer
from storefront.page_events import page_events_record

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


# The responses are built directly (the serializers above document them in the schema; tests keep them equal):
# a DRF serializer per listing card would cost more CPU than the rest of the request.
def _unit_payload(unit: UnitRef) -> dict:
    return {"id": unit.pk, "type": unit.type, "key": unit.key, "title": unit.title}


def _rows_payload(slate: Slate, request: Request) -> dict:
    return {
        "request_id": slate.request_id,
        "recommender": "+".join(sorted({row.recommender for row in slate.rows})),
        "rows": [
            {"surface": row.surface, "label": row.label, "recommender": row.recommender,
             "interest_unit_id": row.interest_unit.pk if row.interest_unit else None,
             "items": [listing.payload(request=request) for listing in row.listings]}
            for row in slate.rows
        ],
    }


class HomeRecommendationsApi(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(parameters=[KSerializer], responses=SlateSerializer)
    def get(self, request: Request) -> Response:
        """The homepage rows for the caller ("for you" rows per interest, next up, popular)."""
        slate = home_rows_serve(viewer_id=_viewer_id(request), k=_k(request))
        page_events_record(request, slate.impressions(page=Page.HOME))
        return Response(_rows_payload(slate, request))


class ItemRecommendationsApi(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(parameters=[KSerializer], responses=SlateSerializer)
    def get(self, request: Request, listing_id: int) -> Response:
        """The view-item page rows for one listing (404 for an unknown id)."""
        slate = item_serve(listing_id=listing_id, viewer_id=_viewer_id(request), k=_k(request))
        page_events_record(request, slate.impressions(page=Page.VIP))
        return Response(_rows_payload(slate, request))


class InterestUnitsApi(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(parameters=[KSerializer], responses=UnitCardsSerializer)
    def get(self, request: Request) -> Response:
        """Stage 1: interest units for the caller, each with its best active item."""
        cards = unit_cards_serve(viewer_id=_viewer_id(request), k=_k(request))
        page_events_record(request, cards.impressions(page=Page.HOME))
        return Response({
            "request_id": cards.request_id,
            "recommender": cards.recommender,
            "results": [{"unit": _unit_payload(card.unit), "item": card.listing.payload(request=request),
                         "active_count": card.active_count} for card in cards.cards],
        })


class InterestUnitItemsApi(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(parameters=[KSerializer], responses=UnitItemsSerializer)
    def get(self, request: Request, unit_id: int) -> Response:
        """Stage 2: the unit's active items ranked for the caller."""
        page = unit_page_serve(unit_id=unit_id, viewer_id=_viewer_id(request), k=_k(request))
        page_events_record(request, page.impressions(page=Page.IU))
        return Response({
            "request_id": page.request_id,
            "recommender": page.recommender,
            "unit": _unit_payload(page.unit),
            "active_count": page.active_count,
            "sold_count": page.sold_count,
            "min_price": None if page.min_price is None else f"{page.min_price:.2f}",
            "max_price": None if page.max_price is None else f"{page.max_price:.2f}",
            "results": [listing.payload(request=request) for listing in page.listings],
        })
