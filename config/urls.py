from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from storefront import error_views

urlpatterns = [
    path("admin/status/", RedirectView.as_view(pattern_name="admin:jobs_backgroundjob_changelist"), name="status"),
    path("admin/", admin.site.urls),
    path("api/experiments/", include("experiments.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its init script from this URL (?script), so the CSP needs no inline script; Swagger UI
    # comes from our static files (drf-spectacular-sidecar) and the page's styles from a file.
    path("api/docs/",
         SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api_docs/swagger_ui.html"),
         name="api-docs"),
    path("", include("storefront.urls")),
]

# Outside DRF views (unknown /api/ paths, middleware failures): JSON under /api/, the site's plain pages elsewhere.
handler400 = error_views.bad_request
handler403 = error_views.permission_denied
handler404 = error_views.page_not_found
handler500 = error_views.server_error
