from django.apps import AppConfig


class StorefrontConfig(AppConfig):
    """The HTTP layer: pages, the public REST API, their middleware and error handlers."""

    name = "storefront"
    verbose_name = "Storefront"
