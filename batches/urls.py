from django.urls import path

from .views import annotate, export, media, upload

# Each area keeps its own section; add routes inside yours.
urlpatterns = [
    # --- media (private files) ---
    path("images/<int:pk>/file", media.image_file, name="image_file"),
    path("images/<int:pk>/thumb", media.image_thumbnail, name="image_thumbnail"),
    # --- board ---
    # --- upload ---
    path("projects/<int:project_pk>/upload/", upload.upload, name="upload"),
    # --- annotate and review ---
    path("projects/<int:project_pk>/batches/<int:pk>/annotate/", annotate.annotate, name="annotate"),
    path("projects/<int:project_pk>/batches/<int:pk>/annotate/strip/", annotate.annotate_strip, name="annotate_strip"),
    path(
        "projects/<int:project_pk>/batches/<int:pk>/annotate/images/<int:image_pk>/",
        annotate.annotate_image,
        name="annotate_image",
    ),
    path(
        "projects/<int:project_pk>/batches/<int:pk>/annotate/images/<int:image_pk>/save",
        annotate.annotate_save,
        name="annotate_save",
    ),
    path(
        "projects/<int:project_pk>/batches/<int:pk>/annotate/submit", annotate.annotate_submit, name="annotate_submit"
    ),
    path("projects/<int:project_pk>/batches/<int:pk>/review/", annotate.review, name="review"),
    path("projects/<int:project_pk>/batches/<int:pk>/review/strip/", annotate.review_strip, name="review_strip"),
    path(
        "projects/<int:project_pk>/batches/<int:pk>/review/images/<int:image_pk>/flag",
        annotate.review_flag,
        name="review_flag",
    ),
    path("projects/<int:project_pk>/batches/<int:pk>/review/approve", annotate.review_approve, name="review_approve"),
    path("projects/<int:project_pk>/batches/<int:pk>/review/reject", annotate.review_reject, name="review_reject"),
    # --- export ---
    path("projects/<int:project_pk>/export/", export.export, name="export"),
]
