from django.apps import AppConfig


class InterestUnitsConfig(AppConfig):
    name = "interest_units"
    verbose_name = "Interest units"
