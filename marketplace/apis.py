"""REST API of the marketplace domain, and the one exception handler that maps ApplicationError to a 4xx."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from marketplace.errors import ApplicationError
from marketplace.models import Listing, ListingStatus
from marketplace.page_events import api_session_key
from marketplace.serializers import (
    EventBatchResultSerializer,
    EventBatchSerializer,
    ListingCreateSerializer,
    ListingSerializer,
    OrderSerializer,
)
from marketplace.services.catalog import brand_get_or_create
from marketplace.services.events import EventInput, events_record
from marketplace.services.listings import listing_buy, listing_create


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """ApplicationError -> its status and message; Django validation errors -> 400; the rest as DRF does."""
    if isinstance(exc, ApplicationError):
        return Response({"detail": exc.message, **({"extra": exc.extra} if exc.extra else {})},
                        status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    return drf_exception_handler(exc, context)




class ListingFilter(filters.FilterSet):
    min_price = filters.NumberFilter(field_name="price", lookup_expr="gte")
    max_price = filters.NumberFilter(field_name="price", lookup_expr="lte")
    category = filters.NumberFilter(field_name="c2_id")
    brand = filters.CharFilter(field_name="brand__name", lookup_expr="iexact")
    condition = filters.NumberFilter(field_name="condition")
    q = filters.CharFilter(field_name="title", lookup_expr="icontains")

    class Meta:
        model = Listing
        fields = ["min_price", "max_price", "category", "brand", "condition", "q"]


class ListingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     viewsets.GenericViewSet):
    """Active listings (any status by id), posting a listing, and buying one."""

    serializer_class = ListingSerializer
    filterset_class = ListingFilter
    lookup_value_regex = r"\d+"  # a malformed id is a 404, never a 500
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]

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
        brand = brand_get_or_create(name=data.pop("brand"))
        listing = listing_create(seller=request.user, brand=brand, **data)
        return Response(ListingSerializer(listing, context={"request": request}).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={201: OrderSerializer})
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def buy(self, request, pk=None):
        """Buy this listing. 409 with a clear message when someone else bought it first."""
        order = listing_buy(listing_id=int(pk), buyer=request.user, session_id=api_session_key(request))
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED)


class EventViewSet(viewsets.GenericViewSet):
    """Record events (impressions, clicks, likes, ...) in batches of up to 500, all or nothing."""

    serializer_class = EventBatchSerializer
    permission_classes = [permissions.AllowAny]

    @extend_schema(request=EventBatchSerializer, responses={201: EventBatchResultSerializer})
    def create(self, request):
        incoming = EventBatchSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        batch = [EventInput(**event) for event in incoming.validated_data["events"]]
        user = request.user if request.user.is_authenticated else None
        session_id = incoming.validated_data["session_id"] or api_session_key(request)
        created = events_record(user=user, session_id=session_id, events=batch)
        return Response({"recorded": len(created)}, status=status.HTTP_201_CREATED)
