"""The broker must not re-deliver a message while its task may still be running: a training run delivered twice
would train twice at once over one resume state. And tasks that need the served models run where they are held."""

from django.conf import settings

from config.celery import app


def test_visibility_timeout_outlives_every_task_time_limit():
    app.loader.import_default_modules()  # the apps' tasks modules, as a worker registers them
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    limits = {name: task.time_limit or settings.CELERY_TASK_TIME_LIMIT
              for name, task in app.tasks.items() if not name.startswith("celery.")}
    assert "recommender.tasks.model_train" in limits
    assert limits["recommender.tasks.model_train"] == settings.RECOMMENDER_TRAIN_TIME_LIMIT
    too_long = {name: limit for name, limit in limits.items() if limit >= visibility}
    assert not too_long, f"tasks that may outlive the broker's visibility timeout ({visibility} s): {too_long}"


def test_a_new_listings_vectors_are_stored_by_the_worker_that_holds_the_models():
    from recommender.tasks import MODEL_QUEUES

    # the default worker would otherwise load every served model (~670 MB) for one listing, and keep them
    assert settings.CELERY_TASK_ROUTES["recommender.tasks.listing_vectors_store"]["queue"] in MODEL_QUEUES
