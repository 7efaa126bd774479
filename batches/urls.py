from django.urls import path

from .views import export, media, upload

# Each area keeps its own section; add routes inside yours.
urlpatterns = [
    # --- media (private files) ---
    path("images/<int:pk>/file", media.image_file, name="image_file"),
    path("images/<int:pk>/thumb", media.image_thumbnail, name="image_thumbnail"),
    # --- board ---
    # --- upload ---
    path("projects/<int:project_pk>/upload/", upload.upload, name="upload"),
    # --- annotate and review ---
    # --- export ---
    path("projects/<int:project_pk>/export/", export.export, name="export"),
]
