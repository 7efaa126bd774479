from django.contrib.auth import views as auth_views
from django.urls import path

from . import (
    invitation_views,
    notification_views,
    password_change,
    password_reset,
    preferences,
    signout,
    token_views,
    views,
)

urlpatterns = [
    # --- signing in and out (no sign-up: operators create users in the admin) ---
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="registration/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", signout.sign_out, name="logout"),
    path("password/", password_change.password_change, name="password_change"),
    path("password/done/", password_change.password_change_done, name="password_change_done"),
    # --- language and calendar ---
    path("language/", preferences.set_language, name="set_language"),
    path("preferences/", preferences.preferences, name="preferences"),
    # --- API tokens ---
    path("settings/tokens/", token_views.api_tokens, name="api_tokens"),
    path("settings/tokens/<int:pk>/revoke/", token_views.api_token_revoke, name="api_token_revoke"),
    # --- projects ---
    path("projects/new/", views.project_create, name="project_create"),
    path("projects/<int:pk>/settings/", views.project_settings, name="project_settings"),
    # --- members ---
    path("projects/<int:pk>/members/", views.members, name="members"),
    path("projects/<int:pk>/members/<int:user_pk>/roles/", views.member_roles, name="member_roles"),
    path("projects/<int:pk>/members/<int:user_pk>/remove/", views.member_remove, name="member_remove"),
    # --- label classes ---
    path("projects/<int:pk>/classes/", views.label_classes, name="label_classes"),
    path("projects/<int:pk>/classes/<int:class_pk>/edit/", views.label_class_edit, name="label_class_edit"),
    path("projects/<int:pk>/classes/<int:class_pk>/delete/", views.label_class_delete, name="label_class_delete"),
    # --- notifications, invitations, password reset (issue 18) ---
    path("notifications/", notification_views.notifications, name="notifications"),
    path("notifications/count", notification_views.notifications_count, name="notifications_count"),
    path("notifications/<int:pk>/read", notification_views.notification_read, name="notification_read"),
    path("notifications/read-all", notification_views.notifications_read_all, name="notifications_read_all"),
    path("notifications/e-mail/", notification_views.notification_settings, name="notification_settings"),
    path("unsubscribe/<str:token>/", notification_views.unsubscribe_view, name="unsubscribe"),
    path("projects/<int:pk>/invitations/", invitation_views.invite, name="invite"),
    path(
        "projects/<int:pk>/invitations/<int:invitation_pk>/revoke",
        invitation_views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invitations/<str:token>/", invitation_views.invitation, name="invitation"),
    path("password/reset/", password_reset.reset_request, name="password_reset"),
    path("password/reset/sent/", password_reset.reset_sent, name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", password_reset.reset_confirm, name="password_reset_confirm"),
    path("password/reset/done/", password_reset.reset_complete, name="password_reset_complete"),
]
