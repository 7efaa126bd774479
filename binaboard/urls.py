from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("", include("batches.urls")),
]
if settings.TASKS_BACKEND == "rq":
    # django-rq's dashboard (staff only): queues, workers, failed jobs and their requeue.
    urlpatterns.insert(0, path("admin/rq/", include("django_rq.urls")))

# /healthz and /readyz are answered by binaboard.health.HealthCheckMiddleware, before the host check.
handler400 = "binaboard.errors.bad_request"
handler403 = "binaboard.errors.permission_denied"
handler404 = "binaboard.errors.page_not_found"
handler500 = "binaboard.errors.server_error"
