import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
application = get_wsgi_application()

# Load the active model versions now, in the background, so that no request waits for a checkpoint.
from django.conf import settings  # noqa: E402

if settings.RECOMMENDER_LOAD_IN_BACKGROUND:
    from recommender.serving.loading import served_models_preload

    served_models_preload()
