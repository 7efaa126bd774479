"""The project's URLs plus the two floors the board benchmark measures against (bench only)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from binaboard.urls import urlpatterns as project_urlpatterns


@require_GET
@login_required
def minimal_get(request):
    """What any signed-in page costs here: session, user, every middleware, no work of ours."""
    return HttpResponse("ok")


@require_POST
@login_required
def minimal_post(request):
    """The same for a CSRF-checked POST."""
    return HttpResponse(status=204)


urlpatterns = [
    path("__bench/get", minimal_get, name="bench_minimal_get"),
    path("__bench/post", minimal_post, name="bench_minimal_post"),
    *project_urlpatterns,
]
