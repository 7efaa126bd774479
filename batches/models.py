from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Count, F, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language_bidi, gettext_lazy, ngettext, pgettext
from django.utils.translation import gettext as _

from accounts.calendars import localise_digits
from accounts.models import LabelClass, Project


class BatchStatus(models.TextChoices):
    """The board's columns, in order. batches/rules.py says which moves lead from one to another."""

    UNASSIGNED = "unassigned", gettext_lazy("Unassigned")
    ANNOTATING = "annotating", gettext_lazy("Annotating")
    REVIEW = "review", gettext_lazy("Review")
    DATASET = "dataset", gettext_lazy("Dataset")


# --- who sees which batches: the one rule every batch list and batch lookup asks ----------------------


@dataclass(frozen=True)
class BatchScope:
    """The batches of one project a person may see: all of them, or their own plus whole columns."""

    everything: bool
    user_pk: int | None = None
    statuses: tuple[str, ...] = ()

    @classmethod
    def of(cls, user, perms: set[str], project: Project) -> BatchScope:
        if "manage_project" in perms:
            return cls(everything=True)
        if project.annotator_visibility == Project.AnnotatorVisibility.BOARD and "view_project" in perms:
            return cls(everything=True)
        # A reviewer works on whole columns: everything waiting for review and everything approved.
        statuses = (Batch.Status.REVIEW, Batch.Status.DATASET) if "review_project" in perms else ()
        return cls(everything=False, user_pk=user.pk, statuses=statuses)

    def condition(self) -> Q:
        if self.everything:
            return Q()
        # A person without a pk (anonymous) owns nothing: never let assignee_id=None match Unassigned.
        own = Q(assignee_id=self.user_pk) if self.user_pk is not None else Q(pk__in=[])
        return own | Q(status__in=self.statuses) if self.statuses else own

    def includes(self, batch: Batch) -> bool:
        if self.everything:
            return True
        return (self.user_pk is not None and batch.assignee_id == self.user_pk) or batch.status in self.statuses


def may_see_batch(user, perms: set[str], project: Project, batch: Batch) -> bool:
    """Whether this person sees this batch at all (its card, page, images); a miss answers 404."""
    return batch.project_id == project.pk and BatchScope.of(user, perms, project).includes(batch)


class BatchQuerySet(models.QuerySet):
    def visible_to(self, user, perms: set[str], project: Project) -> BatchQuerySet:
        """The project's batches this person may see (see BatchScope)."""
        return self.filter(BatchScope.of(user, perms, project).condition(), project=project)

    def visible_in(self, user, perms_by_project: dict[int, set[str]], projects: list[Project]) -> BatchQuerySet:
        """The batches of several projects, each as visible_to shows it: one query for the projects page."""
        whole, partial = [], Q(pk__in=[])
        for project in projects:
            scope = BatchScope.of(user, perms_by_project.get(project.pk, set()), project)
            if scope.everything:
                whole.append(project.pk)
            else:
                partial |= Q(project_id=project.pk) & scope.condition()
        return self.filter(Q(project_id__in=whole) | partial)

    def for_board(self, project: Project) -> BatchQuerySet:
        return self.filter(project=project).select_related("assignee").order_by("position", "-id")

    def column_totals(self, project: Project) -> dict[str, dict[str, int]]:
        """Batches and images per column, from the batches' stored counts: one grouped query."""
        rows = (
            self.filter(project=project)
            .order_by()
            .values("status")
            .annotate(batches=Count("id"), images=Sum("image_count"))
        )
        totals = {status: {"batches": 0, "images": 0} for status in Batch.Status.values}
        for row in rows:
            totals[row["status"]] = {"batches": row["batches"], "images": row["images"] or 0}
        return totals


class Batch(models.Model):
    Status = BatchStatus

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="batches", verbose_name=gettext_lazy("project")
    )
    name = models.CharField(gettext_lazy("name"), max_length=200)
    status = models.CharField(gettext_lazy("status"), max_length=20, choices=Status.choices, default=Status.UNASSIGNED)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_batches",
        verbose_name=gettext_lazy("assignee"),
    )
    # Order within its column: smaller comes first.
    position = models.FloatField(gettext_lazy("position"), default=0)
    split_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="split_batches",
        verbose_name=gettext_lazy("split from"),
    )
    review_comment = models.TextField(gettext_lazy("review comment"), blank=True)
    rejection_count = models.PositiveIntegerField(gettext_lazy("rejections"), default=0)
    # Kept by the workflow (split, merge, create) and the annotation save, so the board never counts images.
    image_count = models.PositiveIntegerField(gettext_lazy("images"), default=0)
    done_count = models.PositiveIntegerField(gettext_lazy("images done"), default=0)
    # Files an upload session still brings (0: none). While it is above 0 the batch is processing:
    # its card shows "processing image_count / processing_total" and no move is allowed.
    processing_total = models.PositiveIntegerField(default=0)
    # When someone last saved a box here, written at most every ACTIVITY_EVERY by the save endpoint: the card
    # and the reset/reassign dialogs say "annotator active N s ago" from it.
    last_active_at = models.DateTimeField(null=True, blank=True)
    # --- rework (#19): a reset keeps a snapshot (ResetSnapshot); Restore is possible while the batch is still
    # at the version the reset left (any change since bumps it) and before restore_until.
    restore_until = models.DateTimeField(null=True, blank=True)
    restore_version = models.PositiveIntegerField(null=True, blank=True)
    # When the managers were told this batch is stale (batches/stale.py, notify_stale): told once per stay in a
    # column, i.e. again only once status_changed_at (a new move) is later than this.
    stale_notified_at = models.DateTimeField(null=True, blank=True)
    # --- end rework
    # Bumped by every move: the compare-and-set guard and the board's cheap "has anything changed" check.
    version = models.PositiveIntegerField(gettext_lazy("version"), default=1)
    created_at = models.DateTimeField(gettext_lazy("created at"), default=timezone.now)
    status_changed_at = models.DateTimeField(gettext_lazy("status changed at"), default=timezone.now)
    updated_at = models.DateTimeField(gettext_lazy("updated at"), auto_now=True)

    objects = BatchQuerySet.as_manager()

    class Meta:
        verbose_name = gettext_lazy("batch")
        verbose_name_plural = gettext_lazy("batches")
        ordering = ["position", "-id"]
        indexes = [
            models.Index(fields=["project", "status", "position"], name="batch_board_idx"),
            models.Index(fields=["project", "assignee", "status"], name="batch_assignee_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(done_count__lte=F("image_count")), name="batch_done_le_images"),
            models.CheckConstraint(
                condition=Q(status=BatchStatus.UNASSIGNED, assignee__isnull=True)
                | (~Q(status=BatchStatus.UNASSIGNED) & Q(assignee__isnull=False)),
                name="batch_assignee_iff_assigned",
            ),
            models.CheckConstraint(condition=Q(status__in=BatchStatus.values), name="batch_status_valid"),
            models.CheckConstraint(condition=~Q(name=""), name="batch_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("batch_detail", args=[self.project_id, self.pk])

    @property
    def is_processing(self) -> bool:
        return self.processing_total > 0

    def restorable(self, now=None) -> bool:
        """Whether a reset of this batch can still be undone (rework #19): unchanged since, and not expired."""
        return (
            self.restore_until is not None
            and self.restore_version == self.version
            and self.restore_until > (now or timezone.now())
        )

    @property
    def progress_percent(self) -> int:
        return round(100 * self.done_count / self.image_count) if self.image_count else 0


def image_upload_to(instance: Image, filename: str) -> str:
    # Never the uploaded name: a generated one, so no path trick or clash can reach storage.
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"projects/{instance.project_id}/images/{uuid.uuid4().hex}.{ext}"


def thumbnail_upload_to(instance: Image, filename: str) -> str:
    return f"projects/{instance.project_id}/thumbs/{uuid.uuid4().hex}.jpg"


class Image(models.Model):
    class State(models.TextChoices):
        NEW = "new", gettext_lazy("Not annotated")
        ANNOTATED = "annotated", gettext_lazy("Annotated")
        NO_OBJECTS = "no_objects", gettext_lazy("No objects")

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="images", verbose_name=gettext_lazy("project")
    )
    batch = models.ForeignKey(
        Batch, on_delete=models.CASCADE, related_name="images", verbose_name=gettext_lazy("batch")
    )
    file = models.FileField(upload_to=image_upload_to, max_length=255)
    thumbnail = models.FileField(upload_to=thumbnail_upload_to, max_length=255, blank=True)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField(gettext_lazy("SHA-256"), max_length=64)
    original_name = models.CharField(gettext_lazy("original name"), max_length=255)
    state = models.CharField(gettext_lazy("state"), max_length=20, choices=State.choices, default=State.NEW)
    review_flag = models.BooleanField(gettext_lazy("flagged in review"), default=False)
    review_note = models.TextField(gettext_lazy("review note"), blank=True)
    # A flagged image saved again after the rejection: the card counts the flagged images still to fix.
    review_fixed = models.BooleanField(default=False)
    created_at = models.DateTimeField(gettext_lazy("created at"), default=timezone.now)

    class Meta:
        verbose_name = gettext_lazy("image")
        verbose_name_plural = gettext_lazy("images")
        ordering = ["batch", "id"]
        indexes = [models.Index(fields=["batch", "id"], name="image_batch_idx")]
        constraints = [
            models.UniqueConstraint(fields=["project", "sha256"], name="image_unique_content_per_project"),
            models.CheckConstraint(condition=Q(width__gt=0, height__gt=0), name="image_positive_size"),
        ]

    def __str__(self) -> str:
        return self.original_name


class StoredFile(models.Model):
    """A file ingest is about to write to storage, recorded before its first byte is written.

    The row is removed in the transaction that creates the Image rows naming the file, and a refused
    or failed file takes its row with it. So whatever a crash (a killed process, a full disk) leaves in
    storage is listed here, by name, with no guessing: `cleanup_media` removes those files and rows
    once they are older than its grace period, never sooner (a live upload may still be writing).
    """

    name = models.CharField(max_length=255, unique=True)
    upload = models.UUIDField(help_text="The ingest run (one upload or import) that writes the file.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = gettext_lazy("stored file")
        verbose_name_plural = gettext_lazy("stored files")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name


class PendingRemoval(models.Model):
    """The files of one deletion for good, listed in one row (one storage name per line) (#14).

    Written by one INSERT … SELECT whatever the number of images: a ledger row per file cost seconds
    in the request at 50,000 images (four indexes per row). A worker (remove_files, or cleanup_media
    when the queue was down) moves the names into the StoredFile ledger in pages, then removes them.
    """

    run = models.UUIDField(unique=True, help_text="The removal run (StoredFile.upload of its names).")
    names = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = gettext_lazy("file waiting for removal")
        verbose_name_plural = gettext_lazy("files waiting for removal")

    def __str__(self) -> str:
        return f"removal {self.run}"


class ExportJob(models.Model):
    """An export made by a worker into a zip in storage, for the person who asked to download later.

    The zip's storage name is written to the StoredFile ledger before its first byte (and leaves it
    when the job is done), so a worker that dies mid-export leaves nothing unaccounted for; the job is
    run again and writes a fresh file. Files expire after EXPORT_KEEP_DAYS (the periodic cleanup).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", gettext_lazy("queued")
        RUNNING = "running", gettext_lazy("being made")
        DONE = "done", gettext_lazy("ready")
        FAILED = "failed", gettext_lazy("failed")
        EXPIRED = "expired", gettext_lazy("expired")

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="export_jobs", verbose_name=gettext_lazy("project")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="export_jobs",
        verbose_name=gettext_lazy("requested by"),
    )
    options = models.JSONField(
        gettext_lazy("options"), help_text=gettext_lazy("format, include_images, split, seed, batch_ids")
    )
    status = models.CharField(gettext_lazy("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(gettext_lazy("error"), blank=True)
    file = models.CharField(
        gettext_lazy("file"), max_length=255, blank=True, help_text=gettext_lazy("The zip's name in storage.")
    )
    download_name = models.CharField(gettext_lazy("download name"), max_length=255, blank=True)
    size = models.BigIntegerField(gettext_lazy("size (bytes)"), null=True, blank=True)
    image_count = models.PositiveIntegerField(gettext_lazy("images"), default=0)
    created_at = models.DateTimeField(gettext_lazy("created at"), default=timezone.now)
    started_at = models.DateTimeField(gettext_lazy("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(gettext_lazy("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = gettext_lazy("export")
        verbose_name_plural = gettext_lazy("exports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "-created_at"], name="exportjob_project_recent")]

    def __str__(self) -> str:
        return _("export %(id)s of project %(project)s (%(status)s)") % {
            "id": self.pk,
            "project": self.project_id,
            "status": self.get_status_display(),
        }

    @property
    def in_progress(self) -> bool:
        return self.status in {self.Status.QUEUED, self.Status.RUNNING}


class Annotation(models.Model):
    """A bounding box in pixels of the upright image (EXIF orientation applied)."""

    image = models.ForeignKey(
        Image, on_delete=models.CASCADE, related_name="annotations", verbose_name=gettext_lazy("image")
    )
    label_class = models.ForeignKey(
        LabelClass, on_delete=models.PROTECT, related_name="annotations", verbose_name=gettext_lazy("label class")
    )
    x = models.FloatField()
    y = models.FloatField()
    w = models.FloatField()
    h = models.FloatField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="annotations",
        verbose_name=gettext_lazy("author"),
    )
    # Imported with the images (COCO, YOLO, VOC): the annotator confirms or fixes it; saving the image
    # replaces its boxes with the person's own (prelabel False).
    prelabel = models.BooleanField(gettext_lazy("imported, not yet checked"), default=False)
    created_at = models.DateTimeField(gettext_lazy("created at"), default=timezone.now)
    updated_at = models.DateTimeField(gettext_lazy("updated at"), auto_now=True)

    class Meta:
        verbose_name = gettext_lazy("annotation")
        verbose_name_plural = gettext_lazy("annotations")
        ordering = ["image", "id"]
        constraints = [
            # The upper bounds (x + w <= image width, ...) span two tables; annotating.parse_boxes checks them.
            models.CheckConstraint(condition=Q(x__gte=0, y__gte=0), name="annotation_box_origin_inside"),
            models.CheckConstraint(condition=Q(w__gt=0, h__gt=0), name="annotation_box_positive_size"),
        ]

    def __str__(self) -> str:
        return f"{self.label_class} ({self.x:.0f}, {self.y:.0f}, {self.w:.0f}×{self.h:.0f})"


class BatchEvent(models.Model):
    class Action(models.TextChoices):
        CREATED = "created", gettext_lazy("created")
        ASSIGNED = "assigned", gettext_lazy("assigned")
        REASSIGNED = "reassigned", gettext_lazy("reassigned")
        SUBMITTED = "submitted", gettext_lazy("submitted")
        APPROVED = "approved", gettext_lazy("approved")
        REJECTED = "rejected", gettext_lazy("rejected")
        REOPENED = "reopened", gettext_lazy("reopened for fixes")
        RESET = "reset", gettext_lazy("reset to Unassigned")
        DELETED = "deleted", gettext_lazy("deleted")
        MERGED = "merged", gettext_lazy("merged")
        MOVED = "moved", gettext_lazy("moved within its column")
        UNDONE = "undone", gettext_lazy("undone")
        RESTORED = "restored", gettext_lazy("restored from its reset")
        TAKEN_BACK = "taken_back", gettext_lazy("took back images")
        RELABELLED = "relabelled", gettext_lazy("sent back to relabel")

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="events", verbose_name=gettext_lazy("project")
    )
    # Survives a permanent delete (the row keeps the name and the id), so the project's history stays whole.
    batch = models.ForeignKey(
        Batch,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
        verbose_name=gettext_lazy("batch"),
    )
    batch_ref = models.PositiveBigIntegerField(
        gettext_lazy("batch id"),
        null=True,
        blank=True,
        db_index=True,
        help_text=gettext_lazy("The batch's id, kept when it is gone."),
    )
    batch_name = models.CharField(gettext_lazy("batch name"), max_length=200)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=gettext_lazy("done by"),
    )
    action = models.CharField(gettext_lazy("action"), max_length=20, choices=Action.choices)
    from_status = models.CharField(gettext_lazy("from column"), max_length=20, choices=Batch.Status.choices, blank=True)
    to_status = models.CharField(gettext_lazy("to column"), max_length=20, choices=Batch.Status.choices, blank=True)
    image_count = models.PositiveIntegerField(gettext_lazy("images"), default=0)
    # The other batches a move involved, as [{"id", "name", "images", "assignee"?, "rest"?}]: merged in
    # (merge), split off (assign: one per other annotator, and the rest left in Unassigned).
    related = models.JSONField(gettext_lazy("related batches"), default=list, blank=True)
    # The move's figures and people: {"shares": [{"assignee", "images"}], "from_assignee", "to_assignee",
    # "annotations" (removed by a reset), "undone" (images not annotated at submit)}.
    details = models.JSONField(gettext_lazy("details"), default=dict, blank=True)
    # A person's words: the reviewer's comment on a rejection. (Events from before `details` keep their
    # whole sentence here.)
    note = models.TextField(gettext_lazy("note"), blank=True)
    created_at = models.DateTimeField(gettext_lazy("created at"), default=timezone.now)

    class Meta:
        verbose_name = gettext_lazy("batch event")
        verbose_name_plural = gettext_lazy("batch events")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["batch", "-created_at"], name="event_batch_idx"),
            models.Index(fields=["project", "-created_at"], name="event_project_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.actor} {self.get_action_display()} {self.batch_name}"

    @property
    def summary(self) -> str:
        """What else happened, as a sentence built from the event's fields (translatable)."""
        Action = self.Action
        details = self.details
        if self.action == Action.REOPENED:
            return _("to %(after)s, annotations kept: %(comment)s") % {
                "after": details.get("to_assignee", ""),
                "comment": self.note,
            }
        if self.action == Action.REJECTED or self.note:
            return self.note  # a person's words, or a line written before events kept their figures
        if self.action == Action.ASSIGNED:
            # Right to left, names are isolated (FSI…PDI) so a Latin name keeps its place; the language's comma.
            isolate = "\u2068%s\u2069" if get_language_bidi() else "%s"
            shares = pgettext("list separator", ", ").join(
                f"{isolate % share['assignee']} ({localise_digits(str(share['images']))})"
                for share in details.get("shares", [])
            )
            rest = next((batch for batch in self.related if batch.get("rest")), None)
            if rest is None:
                return _("to %(shares)s") % {"shares": shares}
            return _("to %(shares)s; %(rest)s images stay in Unassigned as “%(name)s”") % {
                "shares": shares,
                "rest": localise_digits(str(rest["images"])),
                "name": rest["name"],
            }
        if self.action == Action.REASSIGNED:
            return _("from %(before)s to %(after)s") % {
                "before": details.get("from_assignee") or _("nobody"),
                "after": details.get("to_assignee", ""),
            }
        if self.action == Action.SUBMITTED:
            parts = [] if self.to_status != Batch.Status.DATASET else [_("the project needs no review")]
            undone = details.get("undone", 0)
            if undone:
                parts.append(
                    localise_digits(
                        ngettext("%(count)d image not annotated", "%(count)d images not annotated", undone)
                        % {"count": undone}
                    )
                )
            return "; ".join(str(part) for part in parts)
        if self.action == Action.RESET:
            count = details.get("annotations", 0)
            return localise_digits(
                ngettext("removed %(count)d annotation", "removed %(count)d annotations", count) % {"count": count}
            )
        if self.action == Action.DELETED:
            return _("deleted for good with its images")
        if self.action == Action.UNDONE:
            return _("took back the %(move)s") % {"move": Action(details.get("undid", Action.MOVED)).label}
        if self.action == Action.RESTORED:
            count = details.get("annotations", 0)
            return localise_digits(
                ngettext("restored %(count)d annotation", "restored %(count)d annotations", count) % {"count": count}
            )
        if self.action == Action.RELABELLED:
            count = details.get("suggestions", 0)
            return ngettext(
                "to %(after)s, %(count)s previous box kept as a suggestion",
                "to %(after)s, %(count)s previous boxes kept as suggestions",
                count,
            ) % {"after": details.get("to_assignee", ""), "count": localise_digits(str(count))}
        if self.action == Action.TAKEN_BACK:
            rest = self.related[0] if self.related else {"name": "", "images": 0}
            return ngettext(
                "%(count)s image not started went to Unassigned as “%(name)s”",
                "%(count)s images not started went to Unassigned as “%(name)s”",
                rest["images"],
            ) % {"count": localise_digits(str(rest["images"])), "name": rest["name"]}
        if self.action == Action.MERGED:
            merged = ", ".join(f"“{batch['name']}” ({localise_digits(str(batch['images']))})" for batch in self.related)
            return _("merged in %(batches)s") % {"batches": merged}
        return ""


class ResetSnapshot(models.Model):
    """What a reset removed (rework #19): annotations, image states and flags, assignee, column, comment.

    Kept until `expires_at` (settings.RESET_SNAPSHOT_DAYS after the reset); `purge_reset_snapshots` removes
    the expired ones. Restore puts it all back while the batch has not changed since the reset.
    """

    batch = models.OneToOneField(Batch, on_delete=models.CASCADE, related_name="reset_snapshot")
    from_status = models.CharField(max_length=20, choices=Batch.Status.choices)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    review_comment = models.TextField(blank=True)
    rejection_count = models.PositiveIntegerField(default=0)
    # {"images": [[id, state, review_flag, review_note, review_fixed]], "boxes": [[image, class, x, y, w, h, author]]}
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = gettext_lazy("work kept from a reset")
        verbose_name_plural = gettext_lazy("work kept from resets")

    def __str__(self) -> str:
        return f"reset snapshot of batch {self.batch_id}"


class Suggestion(models.Model):
    """A box of the previous version of a relabelled batch (rework #19), shown to the annotator to accept,
    adjust or delete. Never exported: only Annotation rows are the current version. An image's suggestions
    are settled (gone) once it is saved."""

    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="suggestions")
    label_class = models.ForeignKey(LabelClass, on_delete=models.CASCADE, related_name="+")
    x = models.FloatField()
    y = models.FloatField()
    w = models.FloatField()
    h = models.FloatField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # False: open, still to accept or delete. True: the previous version as it was, kept for the review's
    # comparison (added / removed / moved boxes) until the batch is relabelled again.
    previous = models.BooleanField(default=False)

    class Meta:
        verbose_name = gettext_lazy("suggested box")
        verbose_name_plural = gettext_lazy("suggested boxes")
        ordering = ["image", "id"]

    def __str__(self) -> str:
        return f"suggested {self.label_class_id} on image {self.image_id}"


class UploadSession(models.Model):
    """One upload from the browser (or `import_images`): files arrive in chunks, workers process them.

    The batch exists from the start and fills as images are ready; `received` files are stored and
    waiting for the worker, `processed` became images, `failed` were dropped (arrival or deep check).
    """

    class Status(models.TextChoices):
        RECEIVING = "receiving", gettext_lazy("receiving files")
        PROCESSING = "processing", gettext_lazy("processing")
        DONE = "done", gettext_lazy("done")
        CANCELLED = "cancelled", gettext_lazy("cancelled")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="upload_sessions")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="upload_sessions")
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVING)
    # The client's fingerprint of its file list (names, sizes, dates), so a reload finds this session again.
    fingerprint = models.CharField(max_length=64, blank=True)
    expected = models.PositiveIntegerField(default=0)
    received = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    batch = models.ForeignKey(Batch, null=True, blank=True, on_delete=models.SET_NULL, related_name="upload_sessions")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = gettext_lazy("upload")
        verbose_name_plural = gettext_lazy("uploads")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "status"], name="uploadsession_project_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["receiving", "processing", "done", "cancelled"]),
                name="uploadsession_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("upload_report", args=[self.project_id, self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.RECEIVING, self.Status.PROCESSING)


class UploadFile(models.Model):
    """One file of an upload session: stored and waiting, made into an image, or refused with a reason."""

    class State(models.TextChoices):
        RECEIVED = "received", gettext_lazy("waiting to be processed")
        READY = "ready", gettext_lazy("ready")
        FAILED = "failed", gettext_lazy("refused")

    session = models.ForeignKey(UploadSession, on_delete=models.CASCADE, related_name="files")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    sha256 = models.CharField(max_length=64, blank=True)
    original_name = models.CharField(max_length=255)
    # The stored file while it waits for the worker (it owns the file until the image row does).
    stored = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    state = models.CharField(max_length=20, choices=State.choices, default=State.RECEIVED)
    reason = models.CharField(max_length=500, blank=True)
    image = models.ForeignKey(Image, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = gettext_lazy("uploaded file")
        verbose_name_plural = gettext_lazy("uploaded files")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "sha256"], condition=~Q(sha256=""), name="uploadfile_unique_content_per_session"
            ),
            # Two sessions of one project never both wait on the same content.
            models.UniqueConstraint(
                fields=["project", "sha256"], condition=Q(state="received"), name="uploadfile_unique_waiting_content"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["received", "ready", "failed"]), name="uploadfile_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.original_name


class UploadPart(models.Model):
    """One byte range of a .zip archive sent to an upload session, stored as it came until a worker unpacks it.

    The stored part is in the StoredFile ledger before its first byte is written and leaves it in the
    transaction that creates this row, which owns the file from then on; the worker that reassembles
    the archive removes the parts and their rows together (as does cancelling the session).
    """

    session = models.ForeignKey(UploadSession, on_delete=models.CASCADE, related_name="parts")
    # The browser's key for the archive (SHA-256 of its name, size and date): parts of one archive share it.
    archive = models.CharField(max_length=64)
    name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(help_text="The whole archive's size in bytes.")
    count = models.PositiveIntegerField(help_text="How many parts the archive is sent in.")
    index = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    length = models.PositiveIntegerField()
    stored = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = gettext_lazy("archive part")
        verbose_name_plural = gettext_lazy("archive parts")
        ordering = ["session", "archive", "index"]
        constraints = [
            models.UniqueConstraint(fields=["session", "archive", "index"], name="uploadpart_unique_index"),
        ]

    def __str__(self) -> str:
        return f"{self.name} [{self.index + 1}/{self.count}]"


# --- webhooks (batches/webhooks/) ---------------------------------------------------------------------


class WebhookEvent(models.TextChoices):
    """What a project's webhooks can be told about; the value is the payload's `event`."""

    BATCH_CREATED = "batch.created", gettext_lazy("Batch created")
    BATCH_ASSIGNED = "batch.assigned", gettext_lazy("Batch assigned or reassigned")
    BATCH_SUBMITTED = "batch.submitted", gettext_lazy("Batch submitted")
    BATCH_APPROVED = "batch.approved", gettext_lazy("Batch approved")
    BATCH_REJECTED = "batch.rejected", gettext_lazy("Batch rejected")
    BATCH_RESET = "batch.reset", gettext_lazy("Batch reset to Unassigned")
    BATCH_DELETED = "batch.deleted", gettext_lazy("Batch deleted")
    UPLOAD_FINISHED = "upload.finished", gettext_lazy("Upload finished")
    EXPORT_READY = "export.ready", gettext_lazy("Export ready")


class Webhook(models.Model):
    """A URL a project's events are posted to, signed with the webhook's secret (docs/API.md, "Webhooks")."""

    Event = WebhookEvent
    TEST_EVENT = "ping"  # "send a test event": delivered whatever the webhook subscribes to

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="webhooks", verbose_name=gettext_lazy("project")
    )
    url = models.URLField(gettext_lazy("URL"), max_length=2000)
    # Kept readable (it signs every delivery); shown to the project's managers only.
    secret = models.CharField(max_length=64)
    # The WebhookEvent values this webhook receives.
    events = models.JSONField(gettext_lazy("events"), default=list)
    active = models.BooleanField(gettext_lazy("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=gettext_lazy("created by"),
    )
    created_at = models.DateTimeField(gettext_lazy("created at"), default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = gettext_lazy("webhook")
        verbose_name_plural = gettext_lazy("webhooks")
        indexes = [models.Index(fields=["project", "active"], name="webhook_project_active_idx")]

    def __str__(self) -> str:
        return self.url

    def event_labels(self) -> list[str]:
        labels = dict(WebhookEvent.choices)
        return [str(labels[event]) for event in self.events if event in labels]


class WebhookDelivery(models.Model):
    """One event for one webhook: its signed body, and how its attempts went (the delivery log)."""

    class Status(models.TextChoices):
        PENDING = "pending", gettext_lazy("pending")
        DELIVERED = "delivered", gettext_lazy("delivered")
        FAILED = "failed", gettext_lazy("failed")

    webhook = models.ForeignKey(
        Webhook, on_delete=models.CASCADE, related_name="deliveries", verbose_name=gettext_lazy("webhook")
    )
    # The receiver's replay guard: the same id on every attempt of this delivery.
    event_id = models.UUIDField(gettext_lazy("event id"), default=uuid.uuid4, unique=True)
    event = models.CharField(gettext_lazy("event"), max_length=40)
    # The exact bytes posted (and signed) on every attempt.
    body = models.TextField(gettext_lazy("body"))
    status = models.CharField(gettext_lazy("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(gettext_lazy("attempts"), default=0)
    next_attempt_at = models.DateTimeField(gettext_lazy("next attempt at"), null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(gettext_lazy("HTTP status"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(gettext_lazy("duration (ms)"), null=True, blank=True)
    error = models.CharField(gettext_lazy("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(gettext_lazy("created at"), default=timezone.now)
    last_attempt_at = models.DateTimeField(gettext_lazy("last attempt at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = gettext_lazy("webhook delivery")
        verbose_name_plural = gettext_lazy("webhook deliveries")
        indexes = [
            models.Index(fields=["webhook", "-created_at"], name="delivery_webhook_recent_idx"),
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "delivered", "failed"]), name="delivery_status_valid"
            ),
        ]

    def __str__(self) -> str:
        # The admin's title for a delivery: in the reader's language, as the delivery log shows it.
        return f"{self.event_label} ({self.get_status_display()})"

    @staticmethod
    def event_choices() -> list[tuple[str, str]]:
        """Every event a delivery can carry, with its words: those a webhook subscribes to, and the test event."""
        return [*WebhookEvent.choices, (Webhook.TEST_EVENT, gettext_lazy("Test event"))]

    @property
    def event_label(self) -> str:
        return str(dict(self.event_choices()).get(self.event, self.event))

    @property
    def error_text(self) -> str:
        """The last attempt's error in the reader's language (stored as {"m": message, "p": values})."""
        try:
            data = json.loads(self.error)
        except ValueError:
            return self.error
        if not isinstance(data, dict) or not isinstance(data.get("m"), str):
            return self.error
        # Numbers (an HTTP status, seconds) in the reader's digits; a reason is itself a sentence to translate.
        params = {
            name: _(value) if name == "reason" else localise_digits(str(value)) if isinstance(value, int) else value
            for name, value in (data.get("p") or {}).items()
        }
        return _(data["m"]) % params if params else _(data["m"])
