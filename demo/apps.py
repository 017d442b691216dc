from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo: a synthetic catalogue, simulated shoppers, and the `seed_demo` / `demo` commands that run it all."""

    name = "demo"
    verbose_name = "Demo"
