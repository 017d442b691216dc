from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest

DEMO_SWITCHER_SIZE = 12


def site(request: HttpRequest) -> dict:
    """Demo mode shows a user switcher with a few demo shoppers (lazy: queried only if a template asks)."""
    context: dict = {"demo_mode": settings.DEMO_MODE}
    if settings.DEMO_MODE:
        context["demo_users"] = lambda: list(
            get_user_model().objects.filter(username__startswith="demo_").order_by("pk")
            .values_list("username", flat=True)[:DEMO_SWITCHER_SIZE]
        )
    return context
