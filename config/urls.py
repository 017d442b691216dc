import re

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from marketplace import apis, error_views, views
from marketplace.media import media_file
from recommender import apis as recommender_apis

router = DefaultRouter()
router.register("listings", apis.ListingViewSet, basename="api-listing")
router.register("events", apis.EventViewSet, basename="api-event")

urlpatterns = [
    path("", views.home, name="home"),
    path("item/<int:listing_id>/", views.listing_detail, name="listing-detail"),
    path("item/<int:listing_id>/edit/", views.listing_edit, name="listing-edit"),
    path("item/<int:listing_id>/remove/", views.listing_remove_view, name="listing-remove"),
    path("item/<int:listing_id>/like/", views.like_toggle, name="listing-like"),
    path("item/<int:listing_id>/cart/", views.cart_toggle, name="listing-cart"),
    path("item/<int:listing_id>/offer/", views.offer_create, name="listing-offer"),
    path("item/<int:listing_id>/buy/", views.buy, name="listing-buy"),
    path("units/<int:unit_id>/", views.unit_detail, name="unit-detail"),
    path("search/", views.search, name="search"),
    path("sell/", views.sell, name="sell"),
    path("me/", views.my_activity, name="my-activity"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("demo/switch/", views.demo_switch, name="demo-switch"),
    path("admin/status/", RedirectView.as_view(pattern_name="admin:jobs_backgroundjob_changelist"), name="status"),
    path("admin/", admin.site.urls),
    path("api/recommendations/home/", recommender_apis.HomeRecommendationsApi.as_view(), name="api-home"),
    path("api/recommendations/item/<int:listing_id>/", recommender_apis.ItemRecommendationsApi.as_view(),
         name="api-item"),
    path("api/interest-units/", recommender_apis.InterestUnitsApi.as_view(), name="api-units"),
    path("api/interest-units/<int:unit_id>/items/", recommender_apis.InterestUnitItemsApi.as_view(),
         name="api-unit-items"),
    path("api/experiments/", include("experiments.urls")),
    path("api/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its init script from this URL (?script), so the CSP needs no inline script; Swagger UI
    # comes from our static files (drf-spectacular-sidecar) and the page's styles from a file.
    path("api/docs/",
         SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api_docs/swagger_ui.html"),
         name="api-docs"),
    # Listing photos: answered only where settings.MEDIA_SERVE is on (local, demo, docker/compose.yml), else 404.
    re_path(rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>.+)$", media_file, name="media"),
]

# Outside DRF views (unknown /api/ paths, middleware failures): JSON under /api/, the site's plain pages elsewhere.
handler400 = error_views.bad_request
handler403 = error_views.permission_denied
handler404 = error_views.page_not_found
handler500 = error_views.server_error
