from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "BinaBoard operations"
admin.site.site_title = "BinaBoard admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("", include("batches.urls")),
]
