"""Accounts and project pages: the projects list, creating a project, its settings, members and label classes.

Every project page fetches and authorises through batches.access: a non-member gets 404, a member
without manage_project who tries a change gets 403.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.db.models import Count, ProtectedError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from batches.models import Batch

from .access import Membership, get_project_for
from .calendars import isolate, localise_digits
from .forms import LabelClassForm, MemberAddForm, MemberRolesForm, ProjectForm, free_colour
from .invitations import pending_for
from .membership import (
    MembershipError,
    add_member_by_name,
    create_project,
    may_create_projects,
    remove_from_project,
    role_names,
    set_roles,
)
from .models import ROLE_LABELS, LabelClass
from .roles import members_with_roles, roles_of

MANAGE = "manage_project"
# Adding a member answers after at least this long whatever happened, so the delay does not tell
# what the words do not (adding an account costs a few more queries than finding none).
MEMBER_ADD_SECONDS = 0.1


# --- projects ---------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def project_create(request):
    if not may_create_projects(request.user):
        raise PermissionDenied(_("Ask an operator for the permission to create projects."))
    form = ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        project = create_project(creator=request.user, **form.cleaned_data)
        messages.success(
            request,
            _("Created “%(name)s”. You are its manager: upload images to start.") % {"name": isolate(project.name)},
        )
        return redirect(project)
    return render(request, "accounts/project_create.html", {"form": form})


@require_http_methods(["GET", "POST"])
@login_required
def project_settings(request, pk: int):
    membership = get_project_for(request.user, pk, MANAGE)
    project = membership.project
    form = ProjectForm(request.POST or None, instance=project)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Settings saved."))
        return redirect("project_settings", project.pk)
    return render(
        request, "accounts/project_settings.html", {"project": project, "membership": membership, "form": form}
    )


# --- members ----------------------------------------------------------------------------------------


def _roles_id(user) -> str:
    """Each row's role boxes have ids of their own: with the invite form's "id_roles_0" in every row, a click on
    "Manager" beside one member ticked the invite form's box (a label finds the first element with its id)."""
    return f"id_member{user.pk}_%s"


def _members_page(request, membership: Membership, add_form=None, status=200):
    project = membership.project
    members = members_with_roles(project)
    rows = [
        {
            "user": user,
            "roles": roles,
            "role_labels": [ROLE_LABELS[role] for role in roles],
            "form": MemberRolesForm(initial={"roles": roles}, auto_id=_roles_id(user)),
        }
        for user, roles in members
    ]
    context = {
        "project": project,
        "membership": membership,
        "can_manage": membership.manages,
        "rows": rows,
        "manager_count": sum("manager" in roles for _, roles in members),
        "add_form": add_form if add_form is not None else MemberAddForm(),
        # Issue 18: people join by accepting an invitation; adding directly only where the operator allows it.
        "invitations": list(pending_for(project)) if membership.manages else [],
        "direct_add": settings.MEMBERS_DIRECT_ADD,
    }
    return render(request, "accounts/members.html", context, status=status)


def _member_of(project, user_pk: int):
    """The user, if they are a member of the project; 404 otherwise."""
    user = get_object_or_404(get_user_model(), pk=user_pk)
    roles = roles_of(project, user)
    if not roles:
        raise Http404(_("That user is not a member of this project."))
    return user, roles


@require_http_methods(["GET", "POST"])
@login_required
def members(request, pk: int):
    """Every member sees the list; a manager's POST adds a member (the form stays on this page)."""
    if request.method == "POST":
        return _add_member(request, pk)
    return _members_page(request, get_project_for(request.user, pk))


def _add_member(request, pk: int):
    membership = get_project_for(request.user, pk, MANAGE)
    if not settings.MEMBERS_DIRECT_ADD:
        raise PermissionDenied(_("Members join by invitation here: invite them instead."))
    project = membership.project
    form = MemberAddForm(request.POST)
    if not form.is_valid():
        return _members_page(request, membership, add_form=form)
    who, roles = form.cleaned_data["who"], form.cleaned_data["roles"]
    started = time.monotonic()
    add_member_by_name(project=project, who=who, roles=roles)
    time.sleep(max(0.0, MEMBER_ADD_SECONDS - (time.monotonic() - started)))
    # The same answer whether the account exists, is deactivated or may not be added (see add_member_by_name).
    text = ngettext(
        "If an account with the name or address “%(who)s” exists, it now has the role %(roles)s in this project.",
        "If an account with the name or address “%(who)s” exists, it now has the roles %(roles)s in this project.",
        len(roles),
    )
    messages.success(request, text % {"who": who, "roles": role_names(roles)})
    return redirect("members", project.pk)


@require_POST
@login_required
def member_roles(request, pk: int, user_pk: int):
    membership = get_project_for(request.user, pk, MANAGE)
    project = membership.project
    member, _roles = _member_of(project, user_pk)
    form = MemberRolesForm(request.POST)
    level, text = "error", _("Choose at least one role; to take someone out of the project, use Remove.")
    if form.is_valid():
        try:
            granted, revoked = set_roles(project=project, user=member, roles=form.cleaned_data["roles"])
        except MembershipError as error:
            text = str(error)
        else:
            level, text = (
                "success",
                _("%(name)s is now %(roles)s.")
                % {"name": isolate(member.username), "roles": role_names(roles_of(project, member))},
            )
            if not (granted or revoked):
                level, text = "info", _("%(name)s's roles are unchanged.") % {"name": isolate(member.username)}
    if not request.htmx or (member == request.user and level == "success"):
        getattr(messages, level)(request, text)
        url = reverse("members", args=[project.pk])
        # Your own roles changed: the whole page (and what it lets you do) must be drawn again.
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    roles = roles_of(project, member)
    row = {"user": member, "roles": roles, "form": MemberRolesForm(initial={"roles": roles}, auto_id=_roles_id(member))}
    context = {"project": project, "membership": membership, "row": row}
    response = render(request, "accounts/members.html#member_row", context)
    return trigger_client_event(response, "showMessage", {"text": text, "level": level})


@require_http_methods(["GET", "POST"])
@login_required
def member_remove(request, pk: int, user_pk: int):
    membership = get_project_for(request.user, pk, MANAGE)
    project = membership.project
    member, roles = _member_of(project, user_pk)
    if request.method == "POST":
        try:
            remove_from_project(project=project, user=member)
        except MembershipError as error:
            messages.error(request, str(error))
            return redirect("members", project.pk)
        if member == request.user:
            messages.success(request, _("You left “%(name)s”.") % {"name": isolate(project.name)})
            return redirect("project_list")
        messages.success(request, _("Removed %(name)s from the project.") % {"name": isolate(member.username)})
        return redirect("members", project.pk)
    open_batches = Batch.objects.filter(project=project, assignee=member).exclude(status=Batch.Status.DATASET)
    context = {
        "project": project,
        "membership": membership,
        "member": member,
        "roles": roles,
        "role_labels": [ROLE_LABELS[role] for role in roles],
        "open_batches": open_batches.count(),
    }
    return render(request, "accounts/member_remove.html", context)


# --- label classes ----------------------------------------------------------------------------------


def _label_classes_page(request, membership: Membership, form=None):
    project = membership.project
    classes = list(LabelClass.objects.filter(project=project).annotate(annotation_count=Count("annotations")))
    offered = free_colour([label_class.colour for label_class in classes])
    context = {
        "project": project,
        "membership": membership,
        "can_manage": membership.manages,
        "classes": classes,
        "form": form or LabelClassForm(project=project, initial={"colour": offered}),
    }
    return render(request, "accounts/label_classes.html", context)


def _save_class(form) -> bool:
    """Save the form's class; a clash that slipped past the form's checks becomes a form error."""
    try:
        form.save()
    except IntegrityError:
        form.add_error(None, _("Another manager just saved a class with this name or key; choose another."))
        return False
    return True


@require_http_methods(["GET", "POST"])
@login_required
def label_classes(request, pk: int):
    """Every member sees the classes; a manager's POST adds one (the form stays on this page)."""
    if request.method == "POST":
        return _add_label_class(request, pk)
    return _label_classes_page(request, get_project_for(request.user, pk))


def _add_label_class(request, pk: int):
    membership = get_project_for(request.user, pk, MANAGE)
    project = membership.project
    form = LabelClassForm(request.POST, project=project)
    if form.is_valid() and _save_class(form):
        messages.success(request, _("Added the class “%(name)s”.") % {"name": isolate(form.instance.name)})
        return redirect("label_classes", project.pk)
    return _label_classes_page(request, membership, form)


@require_http_methods(["GET", "POST"])
@login_required
def label_class_edit(request, pk: int, class_pk: int):
    membership = get_project_for(request.user, pk, MANAGE)
    project = membership.project
    label_class = get_object_or_404(LabelClass, pk=class_pk, project=project)
    form = LabelClassForm(request.POST or None, instance=label_class, project=project)
    if request.method == "POST" and form.is_valid() and _save_class(form):
        messages.success(request, _("Saved the class “%(name)s”.") % {"name": isolate(label_class.name)})
        return redirect("label_classes", project.pk)
    return render(
        request,
        "accounts/label_class_edit.html",
        {"project": project, "membership": membership, "form": form, "label_class": label_class},
    )


@require_http_methods(["GET", "POST"])
@login_required
def label_class_delete(request, pk: int, class_pk: int):
    membership = get_project_for(request.user, pk, MANAGE)
    project = membership.project
    label_class = get_object_or_404(
        LabelClass.objects.annotate(annotation_count=Count("annotations")), pk=class_pk, project=project
    )
    if request.method == "POST":
        try:
            if label_class.annotation_count:
                raise ProtectedError("in use", set())
            label_class.delete()
        except ProtectedError:
            # Counted again: annotations may have been drawn since the page was loaded.
            messages.error(request, _in_use(label_class, label_class.annotations.count()))
        else:
            messages.success(request, _("Deleted the class “%(name)s”.") % {"name": isolate(label_class.name)})
        return redirect("label_classes", project.pk)
    context = {
        "project": project,
        "membership": membership,
        "label_class": label_class,
        "in_use": _in_use(label_class, label_class.annotation_count),
    }
    return render(request, "accounts/label_class_delete.html", context)


def _in_use(label_class, count: int) -> str:
    if not count:
        return ""
    return ngettext(
        "“%(name)s” cannot be deleted: %(count)s annotation uses it. "
        "Rename it instead, or remove those annotations first (resetting their batches removes them).",
        "“%(name)s” cannot be deleted: %(count)s annotations use it. "
        "Rename it instead, or remove those annotations first (resetting their batches removes them).",
        count,
    ) % {"name": isolate(label_class.name), "count": localise_digits(str(count))}
