"""Read-only API for staff: the experiments, and each one's results (the same numbers as the admin page)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from experiments.models import Experiment
from experiments.results import experiment_results
from experiments.selectors import experiment_get, experiment_list


class ExperimentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Experiment
        # not the salt: with it, anyone could pick their arm
        fields = ["id", "name", "description", "surface", "kind", "arms", "weights", "state", "primary_metric",
                  "layout", "created_at", "started_at", "stopped_at"]


class ExperimentListApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    @extend_schema(responses=ExperimentSerializer(many=True))
    def get(self, request: Request) -> Response:
        """Every experiment, newest first."""
        return Response(ExperimentSerializer(experiment_list(), many=True).data)


class ExperimentResultsApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, name: str) -> Response:
        """Per-arm metrics with 95% bootstrap intervals over viewers, differences from the control (the first arm),
        and for interleaving the per-response preference with its sign test."""
        return Response(experiment_results(experiment=experiment_get(name=name)).as_dict())
