import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "binaboard.settings")
application = get_wsgi_application()

from binaboard.secret_key import refuse_insecure_secret_key  # noqa: E402  (needs the settings loaded)

refuse_insecure_secret_key()
