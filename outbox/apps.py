from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "outbox"
    verbose_name = "Outbox (background work)"

    def ready(self) -> None:
        # Connects the Celery signal hooks that mark a message done, in web processes (eager tests) and workers.
        from outbox import tasks  # noqa: F401
