"""Accounts in the admin: operators create users here (there is no sign-up); project roles live on each project.

Site powers are for superusers to hand out. A staff member who holds the user permissions (a help
desk) manages ordinary accounts, but cannot grant superuser or staff status, groups or permissions
(to anyone, themselves included), cannot see a superuser's account at all, and cannot change,
re-password or delete another staff member's (their powers may exceed the help desk's, and a new
password would lend them). Groups carry permissions, so only superusers change groups.
"""

from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, gettext_lazy, ngettext

from .calendars import isolate, localise_digits
from .models import ApiToken, User, role_labels
from .password_change import RevokesApiTokens
from .roles import permission_choice_label, projects_with_roles
from .tokens import revoke

SITE_POWERS = ("is_staff", "is_superuser", "groups", "user_permissions")


class PermissionNames:
    """A user's or a group's permission list with each permission's name in the operator's language."""

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and db_field.name in ("user_permissions", "permissions"):
            field.label_from_instance = permission_choice_label
        return field


class OperatorPasswordForm(RevokesApiTokens, AdminPasswordChangeForm):
    revoke_reason = "password set in the admin"


@admin.register(User)
class UserAdmin(PermissionNames, DjangoUserAdmin):
    change_password_form = OperatorPasswordForm
    list_display = ["username", "email", "first_name", "last_name", "is_active", "is_staff", "last_login"]
    list_filter = ["is_active", "is_staff", "is_superuser"]
    search_fields = ["username", "email", "first_name", "last_name"]
    ordering = ["username"]
    readonly_fields = ["project_roles"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        return [*fieldsets, (gettext_lazy("Projects"), {"fields": ["project_roles"]})]

    @admin.display(description=gettext_lazy("projects and roles"))
    def project_roles(self, user) -> str:
        """Where this person works and as what, each project linked: what to look at before deactivating."""
        rows = projects_with_roles(user)
        if not rows:
            return gettext("Not a member of any project.")
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">{}</a> · {}</li>',
                (
                    (
                        reverse("admin:accounts_project_change", args=[project.pk]),
                        project.name,
                        ", ".join(role_labels(roles)) or gettext("Member (view)"),
                    )
                    for project, roles in rows
                ),
            ),
        )

    def construct_change_message(self, request, form, formsets, add=False):
        # The password page calls this right after saving the new password (Django's user_change_password
        # gives no other hook that sees the form): the operator hears which tokens went with the old one.
        count = getattr(form, "revoked_tokens", 0)
        if isinstance(form, OperatorPasswordForm) and count:
            message = ngettext(
                "%(count)s API token of %(username)s was revoked with the old password; "
                "they make new ones on their API tokens page.",
                "%(count)s API tokens of %(username)s were revoked with the old password; "
                "they make new ones on their API tokens page.",
                count,
            )
            shown = {"count": localise_digits(str(count)), "username": isolate(form.user.get_username())}
            messages.info(request, message % shown)
        return super().construct_change_message(request, form, formsets, add)

    def get_queryset(self, request):
        users = super().get_queryset(request)
        return users if request.user.is_superuser else users.filter(is_superuser=False)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return readonly if request.user.is_superuser else [*readonly, *SITE_POWERS]

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and not self._beyond(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and not self._beyond(request, obj)

    def _beyond(self, request, obj) -> bool:
        """Whether this account is out of a non-superuser's reach: a superuser's or another staff member's."""
        if obj is None or request.user.is_superuser:
            return False
        return obj.is_superuser or (obj.is_staff and obj.pk != request.user.pk)


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(PermissionNames, DjangoGroupAdmin):
    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Operators see every person's API tokens and revoke them; nobody reads a secret (only its digest is kept)."""

    list_display = ["name", "user", "prefix", "scope", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["scope", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "user__username"]
    readonly_fields = [
        "user", "name", "prefix", "scope", "projects", "created_at", "expires_at", "last_used_at", "revoked_at",
    ]  # fmt: skip
    exclude = ["digest"]
    actions = ["revoke_tokens"]

    def has_add_permission(self, request) -> bool:
        return False  # a token is made by its person, on their settings page, so they see its secret once

    @admin.action(description=gettext_lazy("Revoke the selected tokens"), permissions=["change"])
    def revoke_tokens(self, request, queryset):
        count = sum(revoke(token) for token in queryset)
        message = ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count) % {"count": count}
        self.message_user(request, message)
