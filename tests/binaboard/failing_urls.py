"""The app's URLs plus views that fail on purpose, for tests and the production smoke test only.

Used through `@pytest.mark.urls` and tests/binaboard/smoke_settings.py, never by the app itself.
"""

from django.db import OperationalError
from django.urls import path

from binaboard.urls import handler400, handler403, handler404, handler500  # noqa: F401  (the root URLconf's)
from binaboard.urls import urlpatterns as app_urlpatterns

FAILURE_MESSAGE = "a failure forced by the test"


def fail(request):
    raise RuntimeError(FAILURE_MESSAGE)


def lose_the_database(request):
    raise OperationalError("connection to server at 10.0.0.9, port 5432 failed: Connection refused")


urlpatterns = [
    path("test-failures/crash/", fail),
    path("test-failures/database/", lose_the_database),
    *app_urlpatterns,
]
