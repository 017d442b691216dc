"""The WSGI entry point (gunicorn config.wsgi:application).

Pages and the recommendations API serve slates that the workers computed, and a request asks only which model
versions serve (`recommender.serving.loading.served_version`): a web process loads no checkpoint, nor torch. With
eager tasks (no worker) the slates are computed inside the request, and the models load there.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
application = get_wsgi_application()
