"""The operators' admin. Batches move only through batches.workflow: the admin has actions that call it,
never a raw write of status, and no delete button (a delete is a workflow move that states its losses).
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import ActionLocation, helpers
from django.db import models, transaction
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from guardian.admin import GuardedModelAdmin
from guardian.shortcuts import get_perms_for_model

from accounts.calendars import isolate
from accounts.models import ROLE_LABELS, ProjectGroupObjectPermission, ProjectUserObjectPermission
from accounts.roles import ROLE_PERMISSIONS, permission_label

from . import workflow
from .models import (
    Annotation,
    Batch,
    BatchEvent,
    ExportJob,
    Image,
    LabelClass,
    Project,
    Webhook,
    WebhookDelivery,
)
from .params import CleanCharField, parse_id
from .rules import MOVES
from .tasks import remove_files_later
from .workflow import WorkflowError

Status = Batch.Status
BOTH = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]
CHANGE_FORM_ACTION = f"{ActionLocation.CHANGE_FORM.value}-action"


def _on_change_form(request) -> bool:
    return CHANGE_FORM_ACTION in request.POST


def _images(n: int) -> str:
    return ngettext("%(count)d image", "%(count)d images", n) % {"count": n}


def _batches(n: int) -> str:
    return ngettext("%(count)d batch", "%(count)d batches", n) % {"count": n}


# What an action tells the operator when it is done, for n batches.
def _submitted(n: int) -> str:
    return ngettext("Submitted %(count)d batch.", "Submitted %(count)d batches.", n) % {"count": n}


def _approved(n: int) -> str:
    return ngettext("Approved %(count)d batch.", "Approved %(count)d batches.", n) % {"count": n}


def _reset(n: int) -> str:
    return ngettext("Reset %(count)d batch.", "Reset %(count)d batches.", n) % {"count": n}


def _deleted(n: int) -> str:
    return ngettext("Deleted %(count)d batch for good.", "Deleted %(count)d batches for good.", n) % {"count": n}


class ReadOnlyAdminMixin:
    """Rows that only the app writes: operators look, search and filter, but change nothing here."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def _swatch(colour: str) -> str:
    # An SVG fill, not a style attribute: the CSP allows no inline styles.
    return format_html(
        '<svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true">'
        '<rect x=".5" y=".5" width="15" height="15" rx="3" fill="{}" stroke="#0003"/></svg>\u00a0{}',
        colour,
        colour,
    )


# --- projects and label classes --------------------------------------------------------------------


COLOUR_WIDGET = {"colour": forms.TextInput(attrs={"type": "color"})}
# Names an operator types are cleaned as the app's forms clean them (no control, bidi-override or zero-width
# characters, trimmed): a batch named "\u202etxt.exe" in the admin showed as "exe.txt" on every member's board.
TYPED_TEXT = {models.CharField: {"form_class": CleanCharField}, models.TextField: {"form_class": CleanCharField}}


class LabelClassInline(admin.TabularInline):
    model = LabelClass
    formfield_overrides = TYPED_TEXT
    fields = ["name", "colour", "key"]
    extra = 0

    def get_formset(self, request, obj=None, **kwargs):
        return super().get_formset(request, obj, widgets=COLOUR_WIDGET, **kwargs)


def _count_of(model, **filters) -> Subquery:
    """A correlated count per project: separate subqueries, so batches × images never multiply."""
    rows = model.objects.filter(project=OuterRef("pk"), **filters).order_by().values("project")
    return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n")[:1], output_field=IntegerField()), 0)


def _id_or_404(raw) -> str:
    if parse_id(raw) is None:
        raise Http404(_("No such object."))
    return str(raw)


def _named_choices(form_class: type[forms.Form]) -> type[forms.Form]:
    """guardian's form for one person's or group's permissions on a project, each named in the page's language."""

    class Named(form_class):
        def get_obj_perms_field_choices(self):
            return [(p.codename, permission_label(p)) for p in get_perms_for_model(self.obj)]

    return Named


@admin.register(Project)
class ProjectAdmin(GuardedModelAdmin):
    list_display = [
        "name",
        "review_required",
        "allow_self_review",
        "batch_count",
        "image_count",
        "created_by",
        "created_at",
    ]
    list_filter = ["review_required", "allow_self_review"]
    search_fields = ["name", "description"]
    list_select_related = ["created_by"]
    autocomplete_fields = ["created_by"]
    readonly_fields = ["created_at"]
    date_hierarchy = "created_at"
    inlines = [LabelClassInline]
    formfield_overrides = TYPED_TEXT

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(batch_total=_count_of(Batch), image_total=_count_of(Image))

    # guardian's object-permission pages name each permission as stored (English): said in the page's language.
    def get_obj_perms_base_context(self, request, obj):
        context = super().get_obj_perms_base_context(request, obj)
        for permission in context["model_perms"]:
            permission.name = permission_label(permission)
        return context

    def get_obj_perms_manage_user_form(self, request):
        return _named_choices(super().get_obj_perms_manage_user_form(request))

    def get_obj_perms_group_select_form(self, request):
        class GroupManage(super().get_obj_perms_group_select_form(request)):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.fields["group"].label = gettext_lazy("Group")  # guardian's field has no label: English "Group"

        return GroupManage

    def get_obj_perms_manage_group_form(self, request):
        return _named_choices(super().get_obj_perms_manage_group_form(request))

    # guardian's object-permission pages look their ids up as given: a non-number was a 500.
    def obj_perms_manage_view(self, request, object_pk):
        return super().obj_perms_manage_view(request, _id_or_404(object_pk))

    def obj_perms_manage_user_view(self, request, object_pk, user_id):
        return super().obj_perms_manage_user_view(request, _id_or_404(object_pk), _id_or_404(user_id))

    def obj_perms_manage_group_view(self, request, object_pk, group_id):
        return super().obj_perms_manage_group_view(request, _id_or_404(object_pk), _id_or_404(group_id))

    def get_deleted_objects(self, objs, request):
        # Batches, images and events have no delete button of their own (they move by the workflow),
        # so Django would refuse a project's cascade; a superuser may still remove a whole project.
        # The only protected rows inside a project are its annotations (their label class is
        # PROTECT), and delete_queryset removes those first.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if request.user.is_superuser:
            perms_needed, protected = set(), []
        return deleted, counts, perms_needed, protected

    def delete_model(self, request, obj: Project) -> None:
        self.delete_queryset(request, Project.objects.filter(pk=obj.pk))

    @transaction.atomic
    def delete_queryset(self, request, queryset) -> None:
        files = [
            name
            for pair in Image.objects.filter(project__in=queryset).values_list("file", "thumbnail")
            for name in pair
            if name
        ]
        Annotation.objects.filter(image__project__in=queryset).delete()
        queryset.delete()
        # Stored files go on a worker once the rows are really gone, as with a batch deleted for good.
        remove_files_later(files)

    @admin.display(description=gettext_lazy("batches"), ordering="batch_total")
    def batch_count(self, project: Project) -> int:
        return project.batch_total

    @admin.display(description=gettext_lazy("images"), ordering="image_total")
    def image_count(self, project: Project) -> int:
        return project.image_total


@admin.register(LabelClass)
class LabelClassAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "swatch", "key", "annotation_count"]
    list_filter = ["project"]
    search_fields = ["name", "project__name"]
    ordering = ["project__name", "key", "name"]
    list_select_related = ["project"]
    autocomplete_fields = ["project"]
    formfield_overrides = TYPED_TEXT

    def get_form(self, request, obj=None, **kwargs):
        return super().get_form(request, obj, widgets=COLOUR_WIDGET, **kwargs)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(annotation_total=Count("annotations"))

    @admin.display(description=gettext_lazy("colour"), ordering="colour")
    def swatch(self, label_class: LabelClass) -> str:
        return _swatch(label_class.colour)

    @admin.display(description=gettext_lazy("annotations"), ordering="annotation_total")
    def annotation_count(self, label_class: LabelClass) -> int:
        return label_class.annotation_total


# --- batches ---------------------------------------------------------------------------------------


class EventSummary:
    """An event's one-line summary as a column, headed in the admin's language."""

    @admin.display(description=gettext_lazy("summary"))
    def summary(self, event: BatchEvent) -> str:
        return event.summary


class BatchEventInline(EventSummary, admin.TabularInline):
    model = BatchEvent
    fk_name = "batch"
    verbose_name_plural = gettext_lazy("history")
    fields = ["created_at", "actor", "action", "from_status", "to_status", "image_count", "summary"]
    readonly_fields = fields
    ordering = ["-created_at", "-id"]
    extra = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class AssigneeFilter(admin.RelatedOnlyFieldListFilter):
    """People who are assignees of some batch, as RelatedOnlyFieldListFilter offers them, found per person.

    Django's filter asks `SELECT DISTINCT assignee_id` over every batch on each page load: a scan of
    the whole table, slow at hundreds of thousands of batches. Here each user is probed with EXISTS on the
    assignee's index, so the cost follows the number of users, not of batches.
    """

    def field_choices(self, field, request, model_admin):
        assigned = model_admin.get_queryset(request).order_by().filter(assignee=OuterRef("pk"))
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(include_blank=False, limit_choices_to=Q(Exists(assigned)), ordering=ordering)


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "project",
        "status",
        "assignee",
        "image_count",
        "done_count",
        "rejection_count",
        "status_changed_at",
    ]
    # Dates filter by fixed spans (today, 7 days, this month, this year), not a date hierarchy: its year and month
    # links are a SELECT DISTINCT over every row, on every load of a list that grows with every move.
    list_filter = [
        "status",
        "project",
        ("assignee", AssigneeFilter),
        ("status_changed_at", admin.DateFieldListFilter),
    ]
    formfield_overrides = TYPED_TEXT
    search_fields = ["name", "project__name", "assignee__username"]
    list_select_related = ["project", "assignee"]
    ordering = ["project", "status", "position", "-id"]
    # Only the name is edited here; everything else belongs to the workflow.
    fieldsets = [
        (None, {"fields": ["name", "project", "status", "assignee", "images_link"]}),
        (gettext_lazy("Progress"), {"fields": ["image_count", "done_count", "review_comment", "rejection_count"]}),
        (
            gettext_lazy("Bookkeeping"),
            {
                "classes": ["collapse"],
                "fields": ["split_from", "version", "position", "created_at", "status_changed_at", "updated_at"],
            },
        ),
    ]
    readonly_fields = [field for _, options in fieldsets for field in options["fields"] if field != "name"]
    inlines = [BatchEventInline]
    actions = ["submit_batches", "approve_batches", "merge_batches", "reset_batches", "delete_batches_for_good"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("project", "assignee", "split_from")

    def has_add_permission(self, request) -> bool:
        # Batches are born from uploads (workflow.create_batch), never typed in.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj: Batch, form, change: bool) -> None:
        # Write the edited name only: a full save would write back a status a move changed meanwhile.
        if "name" in form.changed_data:
            Batch.objects.filter(pk=obj.pk).update(name=obj.name, version=F("version") + 1, updated_at=timezone.now())

    @admin.display(description=gettext_lazy("images"))
    def images_link(self, batch: Batch) -> str:
        url = reverse("admin:batches_image_changelist") + f"?batch__id__exact={batch.pk}"
        return format_html('<a href="{}">{}</a>', url, _images(batch.image_count))

    # The actions: each calls one workflow move per batch and reports every refusal by name. All but
    # merge also appear on a batch's own page (Django 6.1 change-form actions).

    def _each(
        self, request, queryset, done_message: Callable[[int], str], move: Callable[[Batch], object], allowed=None
    ) -> None:
        done = 0
        for batch in queryset.select_related("project", "assignee").order_by("pk"):
            seen = request.POST.get(f"version_{batch.pk}")
            if seen is not None:
                # The version the operator confirmed: if the batch moved since, the workflow says so.
                # One that is not a plain number ("٣") matches no batch and is refused as stale.
                batch.version = parse_id(seen) or 0
            try:
                if allowed is not None:
                    allowed(batch)
                move(batch)
            except WorkflowError as error:
                self.message_user(
                    request,
                    _("“%(batch)s” (%(project)s): %(why)s")
                    % {"batch": isolate(batch.name), "project": isolate(batch.project.name), "why": error.message},
                    messages.ERROR,
                )
            else:
                done += 1
        if done:
            self.message_user(request, done_message(done), messages.SUCCESS)

    @admin.action(
        description=gettext_lazy("Submit (Annotating → Review or Dataset)"),
        description_plural=gettext_lazy("Submit selected batches (Annotating → Review or Dataset)"),
        permissions=["change"],
        location=BOTH,
    )
    def submit_batches(self, request, queryset):
        self._each(request, queryset, _submitted, lambda b: workflow.submit(actor=request.user, batch=b))

    @admin.action(
        description=gettext_lazy("Approve (Review → Dataset)"),
        description_plural=gettext_lazy("Approve selected batches (Review → Dataset)"),
        permissions=["change"],
        location=BOTH,
    )
    def approve_batches(self, request, queryset):
        self._each(request, queryset, _approved, lambda b: workflow.approve(actor=request.user, batch=b))

    @admin.action(description=gettext_lazy("Merge selected Unassigned batches into one"), permissions=["change"])
    def merge_batches(self, request, queryset):
        batches = list(queryset.select_related("project").order_by("pk"))
        try:
            merged = workflow.merge(actor=request.user, batches=batches)
        except WorkflowError as error:
            self.message_user(request, error.message, messages.ERROR)
            return
        self.message_user(
            request,
            _("Merged %(batches)s into “%(name)s” (%(images)s).")
            % {"batches": _batches(len(batches)), "name": isolate(merged.name), "images": _images(merged.image_count)},
            messages.SUCCESS,
        )

    @admin.action(
        description=gettext_lazy("Reset to Unassigned (removes its annotations)"),
        description_plural=gettext_lazy("Reset selected batches to Unassigned (removes their annotations)"),
        permissions=["change"],
        location=BOTH,
    )
    def reset_batches(self, request, queryset):
        def outside_unassigned(batch: Batch) -> None:
            if batch.status not in MOVES["reset"].sources:
                raise WorkflowError(
                    _("it is already in Unassigned; use “Delete for good” to remove it."), kind=WorkflowError.REFUSED
                )

        if request.POST.get("confirm") != "reset_batches" and queryset.exclude(status=Status.UNASSIGNED).exists():
            return self._confirmation(request, queryset, "reset_batches", reset=True)
        self._each(request, queryset, _reset, self._delete_move(request), allowed=outside_unassigned)
        return None

    @admin.action(
        description=gettext_lazy("Delete for good (Unassigned only, with its images)"),
        description_plural=gettext_lazy("Delete selected Unassigned batches for good (with their images)"),
        permissions=["change"],
        location=BOTH,
    )
    def delete_batches_for_good(self, request, queryset):
        def in_unassigned(batch: Batch) -> None:
            if batch.status not in MOVES["delete"].sources:
                raise WorkflowError(
                    _("it is in %(column)s; reset it to Unassigned first.") % {"column": batch.get_status_display()},
                    kind=WorkflowError.REFUSED,
                )

        confirmed = request.POST.get("confirm") == "delete_batches_for_good"
        if not confirmed and queryset.filter(status=Status.UNASSIGNED).exists():
            return self._confirmation(request, queryset, "delete_batches_for_good", reset=False)
        self._each(request, queryset, _deleted, self._delete_move(request), allowed=in_unassigned)
        if _on_change_form(request) and not queryset.exists():
            # The batch's own page is gone with it.
            return HttpResponseRedirect(reverse("admin:batches_batch_changelist"))
        return None

    def _delete_move(self, request):
        return lambda batch: workflow.delete_batch(actor=request.user, batch=batch)

    def _confirmation(self, request, queryset, action: str, *, reset: bool) -> TemplateResponse:
        """Say exactly what the move loses, in numbers, before it happens (spec: delete twice, both confirmed)."""
        batches = list(queryset.select_related("project", "assignee").order_by("pk"))
        annotations = dict(
            Annotation.objects.filter(image__batch__in=batches)
            .order_by()
            .values_list("image__batch")
            .annotate(n=Count("pk"))
        )
        rows = []
        for batch in batches:
            applies = (batch.status != Status.UNASSIGNED) if reset else (batch.status == Status.UNASSIGNED)
            rows.append({"batch": batch, "applies": applies, "annotations": annotations.get(batch.pk, 0)})
        applying = [row for row in rows if row["applies"]]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Reset to Unassigned?") if reset else _("Delete for good?"),
            "opts": self.model._meta,
            "rows": rows,
            "reset": reset,
            "action": action,
            "images": sum(row["batch"].image_count for row in applying),
            "annotations_lost": sum(row["annotations"] for row in applying),
            "applying": len(applying),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            # On a batch's own page the action field has the change form's prefix.
            "action_field_name": CHANGE_FORM_ACTION if _on_change_form(request) else "action",
        }
        return TemplateResponse(request, "admin/batches/batch/confirm_workflow_action.html", context)


# --- images, annotations, history ------------------------------------------------------------------


@admin.register(Image)
class ImageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "thumbnail_preview",
        "original_name",
        "project",
        "batch",
        "state",
        "size",
        "review_flag",
        "created_at",
    ]
    list_display_links = ["thumbnail_preview", "original_name"]
    list_per_page = 50
    list_filter = ["state", "review_flag", "project"]
    search_fields = ["original_name", "sha256", "batch__name"]
    list_select_related = ["project", "batch"]
    fields = [
        "image_preview",
        "original_name",
        "project",
        "batch",
        "state",
        "size",
        "review_flag",
        "review_note",
        "sha256",
        "stored_as",
        "created_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("project", "batch")

    @admin.display(description=gettext_lazy("thumbnail"))
    def thumbnail_preview(self, image: Image) -> str:
        if not image.thumbnail:
            return "—"
        return format_html(
            '<img src="{}" alt="" width="64" loading="lazy">', reverse("image_thumbnail", args=[image.pk])
        )

    @admin.display(description=gettext_lazy("image"))
    def image_preview(self, image: Image) -> str:
        thumb = (
            reverse("image_thumbnail", args=[image.pk]) if image.thumbnail else reverse("image_file", args=[image.pk])
        )
        return format_html(
            '<a href="{}"><img src="{}" alt="{}" width="320"></a>',
            reverse("image_file", args=[image.pk]),
            thumb,
            image.original_name,
        )

    @admin.display(description=gettext_lazy("stored as"))
    def stored_as(self, image: Image) -> str:
        # The names only: media has no public URL (the default FileField display would need one).
        return format_html("{}<br>{}", image.file.name, image.thumbnail.name or _("(no thumbnail)"))

    @admin.display(description=gettext_lazy("size"))
    def size(self, image: Image) -> str:
        return f"{image.width} × {image.height}"


@admin.register(Annotation)
class AnnotationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["number", "label_class", "image", "batch", "box", "author", "updated_at"]
    list_filter = [("image__project", admin.RelatedFieldListFilter)]
    search_fields = ["label_class__name", "image__original_name", "image__batch__name", "author__username"]
    list_select_related = ["label_class", "image__batch", "author"]

    @admin.display(description=gettext_lazy("number"), ordering="pk")
    def number(self, annotation: Annotation) -> int:
        return annotation.pk

    @admin.display(description=gettext_lazy("batch"), ordering="image__batch__name")
    def batch(self, annotation: Annotation) -> Batch:
        return annotation.image.batch

    @admin.display(description=gettext_lazy("box (x, y, w × h)"))
    def box(self, annotation: Annotation) -> str:
        return f"{annotation.x:.0f}, {annotation.y:.0f}, {annotation.w:.0f} × {annotation.h:.0f}"


@admin.register(BatchEvent)
class BatchEventAdmin(EventSummary, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "project",
        "batch_name",
        "action",
        "from_status",
        "to_status",
        "image_count",
        "actor",
        "summary",
    ]
    list_filter = ["action", "project", "to_status", ("created_at", admin.DateFieldListFilter)]  # as BatchAdmin's
    search_fields = ["batch_name", "note", "actor__username", "project__name"]
    list_select_related = ["project", "actor"]


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: export jobs are made on the export page; a failed one runs again by retrying its task."""

    list_display = ["created_at", "project", "requested_by", "status", "image_count", "size", "finished_at", "error"]
    list_filter = ["status", "project", ("created_at", admin.DateFieldListFilter)]  # as BatchAdmin's
    search_fields = ["project__name", "requested_by__username", "error"]
    list_select_related = ["project", "requested_by"]


# --- webhooks: what was sent where, and how it went (managers edit them on the project's settings) ---


@admin.register(Webhook)
class WebhookAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only, and never the secret: a project's managers add, change and test webhooks on its settings."""

    list_display = ["url", "project", "active", "event_list", "created_by", "created_at", "delivery_log"]
    list_filter = ["active", "project"]
    search_fields = ["url", "project__name"]
    list_select_related = ["project", "created_by"]
    fields = ["project", "url", "event_list", "active", "created_by", "created_at", "delivery_log"]
    readonly_fields = ["event_list", "delivery_log"]

    @admin.display(description=gettext_lazy("events"))
    def event_list(self, webhook: Webhook) -> str:
        return ", ".join(webhook.event_labels())

    @admin.display(description=gettext_lazy("delivery log"))
    def delivery_log(self, webhook: Webhook) -> str:
        url = reverse("admin:batches_webhookdelivery_changelist") + f"?webhook__id__exact={webhook.pk}"
        return format_html('<a href="{}">{}</a>', url, _("Deliveries"))


class WebhookEventFilter(admin.SimpleListFilter):
    """The events a webhook can be told about, from their list: no scan of the delivery table for choices."""

    title = gettext_lazy("event")
    parameter_name = "event"

    def lookups(self, request, model_admin):
        return WebhookDelivery.event_choices()

    def queryset(self, request, queryset):
        return queryset.filter(event=self.value()) if self.value() else queryset


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the workers post and retry deliveries (docs/DEPLOY.md, "Webhooks")."""

    list_display = [
        "created_at",
        "event_label",
        "project",
        "webhook",
        "status",
        "attempts",
        "response_code",
        "error_text",
    ]
    list_filter = ["status", WebhookEventFilter, "webhook__project"]
    search_fields = ["webhook__url", "webhook__project__name"]
    list_select_related = ["webhook__project"]
    fields = [
        "webhook",
        "project",
        "event_label",
        "event_id",
        "status",
        "attempts",
        "response_code",
        "duration_ms",
        "error_text",
        "created_at",
        "last_attempt_at",
        "next_attempt_at",
        "body",
    ]
    readonly_fields = ["project", "event_label", "error_text"]

    @admin.display(description=gettext_lazy("event"), ordering="event")
    def event_label(self, delivery: WebhookDelivery) -> str:
        return delivery.event_label

    @admin.display(description=gettext_lazy("project"), ordering="webhook__project__name")
    def project(self, delivery: WebhookDelivery) -> Project:
        return delivery.webhook.project

    @admin.display(description=gettext_lazy("error"))
    def error_text(self, delivery: WebhookDelivery) -> str:
        return delivery.error_text


# --- who holds which role (django-guardian's object permission rows) -------------------------------


class RoleFilter(admin.SimpleListFilter):
    title = gettext_lazy("role")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return [(perm, capfirst(ROLE_LABELS[role])) for role, perm in ROLE_PERMISSIONS.items()] + [
            ("view_project", _("Member (view)"))
        ]

    def queryset(self, request, queryset):
        return queryset.filter(permission__codename=self.value()) if self.value() else queryset


@admin.register(ProjectUserObjectPermission)
class ProjectUserPermissionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: roles change on a project's Members page or its admin “Object permissions” page."""

    list_display = ["content_object", "user", "permission_name"]
    list_filter = [RoleFilter, "content_object"]
    search_fields = ["user__username", "user__email", "content_object__name"]
    list_select_related = ["content_object", "user", "permission"]

    @admin.display(description=gettext_lazy("permission"), ordering="permission__codename")
    def permission_name(self, row) -> str:
        return permission_label(row.permission)


@admin.register(ProjectGroupObjectPermission)
class ProjectGroupPermissionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["content_object", "group", "permission_name"]
    list_filter = [RoleFilter, "content_object"]
    search_fields = ["group__name", "content_object__name"]
    list_select_related = ["content_object", "group", "permission"]

    @admin.display(description=gettext_lazy("permission"), ordering="permission__codename")
    def permission_name(self, row) -> str:
        return permission_label(row.permission)
