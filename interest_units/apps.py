from django.apps import AppConfig


class InterestUnitsConfig(AppConfig):
    name = "interest_units"
    verbose_name = "Interest units"

    def ready(self) -> None:
        from interest_units import receivers
        from marketplace import hooks

        hooks.listing_changed.connect(receivers.listing_index_enqueue, dispatch_uid="interest_units.listing_index")
        hooks.events_recorded.connect(receivers.unit_stats_enqueue, dispatch_uid="interest_units.unit_stats")
