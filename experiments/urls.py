from django.urls import path

from experiments import apis

urlpatterns = [
    path("", apis.ExperimentListApi.as_view(), name="api-experiments"),
    path("<str:name>/results/", apis.ExperimentResultsApi.as_view(), name="api-experiment-results"),
]
