from django.apps import AppConfig


class RecommenderConfig(AppConfig):
    name = "recommender"
    verbose_name = "Recommenders"

    def ready(self) -> None:
        from experiments.config import arms_check_register
        from marketplace import hooks
        from recommender import receivers
        from recommender.surfaces.experiment_arms import experiment_arms_versions_check

        hooks.listing_changed.connect(receivers.listing_vectors_enqueue, dispatch_uid="recommender.listing_vectors")
        hooks.events_recorded.connect(receivers.viewer_slates_refresh, dispatch_uid="recommender.viewer_slates")
        # Experiments sit below the recommenders: they learn what an arm may name from this hook.
        arms_check_register(experiment_arms_versions_check)
