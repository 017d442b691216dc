"""The Django project package: settings, root URLs, the Celery app and the WSGI entry point."""

from config.celery import app as celery_app

__all__ = ["celery_app"]
