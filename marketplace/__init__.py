"""The marketplace: Django project package (settings, urls, Celery app) and the core domain app."""

from marketplace.celery import app as celery_app

__all__ = ["celery_app"]
