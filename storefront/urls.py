"""The storefront's pages, the public REST API and uploaded files. URL names are what templates and tests use."""

import re

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from rest_framework.routers import DefaultRouter

from storefront import views
from storefront.api import events, listings, recommendations
from storefront.media import media_file

router = DefaultRouter()
router.register("listings", listings.ListingViewSet, basename="api-listing")
router.register("events", events.EventViewSet, basename="api-event")

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
    path("api/recommendations/home/", recommendations.HomeRecommendationsApi.as_view(), name="api-home"),
    path("api/recommendations/item/<int:listing_id>/", recommendations.ItemRecommendationsApi.as_view(),
         name="api-item"),
    path("api/interest-units/", recommendations.InterestUnitsApi.as_view(), name="api-units"),
    path("api/interest-units/<int:unit_id>/items/", recommendations.InterestUnitItemsApi.as_view(),
         name="api-unit-items"),
    path("api/", include(router.urls)),
    # Listing photos: answered only where settings.MEDIA_SERVE is on (local, demo, docker/compose.yml), else 404.
    re_path(rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>.+)$", media_file, name="media"),
]
