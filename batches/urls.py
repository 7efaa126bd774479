from django.urls import path

from .api.main import urls as api_urls
from .views import (
    analytics,
    annotate,
    batch_detail,
    board,
    board_live,
    bulk,
    export,
    label_import,
    media,
    moves,
    my_work,
    projects,
    review,
    session,
    upload,
    upload_sessions,
    viewer,
    webhooks,
)

# Each area keeps its own section; add routes inside yours.
urlpatterns = [
    # --- the API (batches/api; docs/API.md) ---
    path("api/v1/", api_urls()),
    # --- session (the check after "signed out, sign in again, then retry") ---
    path("session/csrf", session.session_csrf, name="session_csrf"),
    # --- media (private files) ---
    path("images/<int:pk>/file", media.image_file, name="image_file"),
    path("images/<int:pk>/thumb", media.image_thumbnail, name="image_thumbnail"),
    # --- projects ---
    path("", projects.project_list, name="project_list"),
    path("my-work/", my_work.my_work, name="my_work"),
    path("my-work/count", my_work.my_work_count, name="my_work_count"),
    # --- board ---
    path("projects/<int:project_pk>/", board.board, name="board"),
    path("projects/<int:project_pk>/columns/<str:status>/", board.board_column, name="board_column"),
    path("projects/<int:project_pk>/board/version", board_live.board_version, name="board_version"),
    path("projects/<int:project_pk>/board/layout", board.board_layout, name="board_layout"),
    path("projects/<int:project_pk>/bulk/<str:action>", bulk.bulk_move, name="bulk_move"),
    path("projects/<int:project_pk>/batches/<int:pk>/", batch_detail.batch_detail, name="batch_detail"),
    path("projects/<int:project_pk>/batches/<int:pk>/move", moves.batch_move, name="batch_move"),
    path("projects/<int:project_pk>/batches/<int:pk>/assign", moves.batch_assign, name="batch_assign"),
    path("projects/<int:project_pk>/batches/<int:pk>/reassign", moves.batch_reassign, name="batch_reassign"),
    path("projects/<int:project_pk>/batches/<int:pk>/submit", moves.batch_submit, name="batch_submit"),
    path("projects/<int:project_pk>/batches/<int:pk>/approve", moves.batch_approve, name="batch_approve"),
    path("projects/<int:project_pk>/batches/<int:pk>/reject", moves.batch_reject, name="batch_reject"),
    path("projects/<int:project_pk>/batches/<int:pk>/reopen", moves.batch_reopen, name="batch_reopen"),
    path("projects/<int:project_pk>/batches/<int:pk>/reset", moves.batch_reset, name="batch_reset"),
    path("projects/<int:project_pk>/batches/<int:pk>/delete", moves.batch_delete, name="batch_delete"),
    path("projects/<int:project_pk>/batches/<int:pk>/merge", moves.batch_merge, name="batch_merge"),
    path("projects/<int:project_pk>/batches/<int:pk>/undo", moves.batch_undo, name="batch_undo"),
    # rework (#19)
    path("projects/<int:project_pk>/batches/<int:pk>/takeback", moves.batch_takeback, name="batch_takeback"),
    path("projects/<int:project_pk>/batches/<int:pk>/restore", moves.batch_restore, name="batch_restore"),
    path("projects/<int:project_pk>/batches/<int:pk>/relabel", moves.batch_relabel, name="batch_relabel"),
    path(
        "projects/<int:project_pk>/batches/<int:pk>/move/<str:action>",
        moves.batch_move_dialog,
        name="batch_move_dialog",
    ),
    # --- viewer ---
    path("projects/<int:project_pk>/batches/<int:pk>/view/", viewer.batch_gallery, name="batch_gallery"),
    path("projects/<int:project_pk>/batches/<int:pk>/view/<int:image_pk>/", viewer.batch_viewer, name="batch_viewer"),
    # --- upload ---
    path("projects/<int:project_pk>/upload/", upload.upload, name="upload"),
    path("projects/<int:project_pk>/upload/labels/", label_import.label_import, name="label_import"),
    path("projects/<int:project_pk>/uploads/start", upload_sessions.upload_session_start, name="upload_session_start"),
    path("projects/<int:project_pk>/uploads/<int:pk>/", upload_sessions.upload_report, name="upload_report"),
    path(
        "projects/<int:project_pk>/uploads/<int:pk>/known",
        upload_sessions.upload_session_known,
        name="upload_session_known",
    ),
    path(
        "projects/<int:project_pk>/uploads/<int:pk>/files",
        upload_sessions.upload_session_files,
        name="upload_session_files",
    ),
    path(
        "projects/<int:project_pk>/uploads/<int:pk>/parts",
        upload_sessions.upload_session_parts,
        name="upload_session_parts",
    ),
    path(
        "projects/<int:project_pk>/uploads/<int:pk>/finish",
        upload_sessions.upload_session_finish,
        name="upload_session_finish",
    ),
    path(
        "projects/<int:project_pk>/uploads/<int:pk>/cancel",
        upload_sessions.upload_session_cancel,
        name="upload_session_cancel",
    ),
    path(
        "projects/<int:project_pk>/uploads/<int:pk>/status",
        upload_sessions.upload_session_status,
        name="upload_session_status",
    ),
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
    path("projects/<int:project_pk>/batches/<int:pk>/review/", review.review, name="review"),
    path("projects/<int:project_pk>/batches/<int:pk>/review/strip/", review.review_strip, name="review_strip"),
    path(
        "projects/<int:project_pk>/batches/<int:pk>/review/images/<int:image_pk>/flag",
        review.review_flag,
        name="review_flag",
    ),
    path("projects/<int:project_pk>/batches/<int:pk>/review/approve", review.review_approve, name="review_approve"),
    path("projects/<int:project_pk>/batches/<int:pk>/review/reject", review.review_reject, name="review_reject"),
    # --- flow analytics (rework #19) ---
    path("projects/<int:project_pk>/flow/", analytics.flow_analytics, name="flow_analytics"),
    path("projects/<int:project_pk>/flow/<str:table>.csv", analytics.flow_analytics_csv, name="flow_analytics_csv"),
    # --- export ---
    path("projects/<int:project_pk>/export/", export.export, name="export"),
    path("projects/<int:project_pk>/exports/<int:pk>/download", export.export_download, name="export_download"),
    # --- webhooks (project settings) ---
    path("projects/<int:project_pk>/settings/webhooks/", webhooks.webhooks, name="webhooks"),
    path("projects/<int:project_pk>/settings/webhooks/<int:pk>/", webhooks.webhook_detail, name="webhook_detail"),
    path("projects/<int:project_pk>/settings/webhooks/<int:pk>/test", webhooks.webhook_test, name="webhook_test"),
    path("projects/<int:project_pk>/settings/webhooks/<int:pk>/delete", webhooks.webhook_delete, name="webhook_delete"),
]
