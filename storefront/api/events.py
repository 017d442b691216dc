"""REST API of client event reports (views and impressions of what a recommendation response showed)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.response import Response

from marketplace.services.events import EventInput, client_events_record
from marketplace.viewers import viewer_session_id
from storefront.api.nul_bytes import NulByteRejectingJSONParser
from storefront.api.serializers import EventBatchResultSerializer, EventBatchSerializer
from storefront.api.throttling import EventsIpThrottle, EventsViewerThrottle


class EventViewSet(viewsets.GenericViewSet):
    """Report what the client saw: views of and impressions of listings a recommendation response showed this
    viewer in the last hour (its `request_id`), up to 500 per batch, all or nothing, each event once. Likes, cart
    adds, offers and purchases are recorded by the endpoints that perform them, never posted here. Anonymous
    viewers are known by their session cookie, so a client must send back the cookie it was given."""

    serializer_class = EventBatchSerializer
    permission_classes = [permissions.AllowAny]
    parser_classes = [NulByteRejectingJSONParser]  # a batch is a JSON list; a form cannot hold one
    throttle_classes = [EventsIpThrottle, EventsViewerThrottle]

    @extend_schema(request=EventBatchSerializer, responses={201: EventBatchResultSerializer})
    def create(self, request):
        incoming = EventBatchSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        batch = [EventInput(**event) for event in incoming.validated_data["events"]]
        user = request.user if request.user.is_authenticated else None
        result = client_events_record(user=user, session_id=viewer_session_id(request), events=batch)
        return Response(EventBatchResultSerializer(result).data, status=status.HTTP_201_CREATED)
