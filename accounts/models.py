from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


class User(AbstractUser):
    """The site's user. Project roles are object permissions (see accounts.roles)."""

    class Calendar(models.TextChoices):
        GREGORIAN = "gregorian", gettext_lazy("Gregorian")
        JALALI = "jalali", gettext_lazy("Solar Hijri (Jalali)")

    # Empty: follow the browser's language; the calendar then follows the language (Jalali for Persian).
    language = models.CharField(
        gettext_lazy("language"),
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=gettext_lazy("Empty: the browser's."),
    )
    calendar = models.CharField(
        gettext_lazy("calendar"),
        max_length=10,
        blank=True,
        choices=Calendar.choices,
        help_text=gettext_lazy("Empty: Jalali in Persian, Gregorian otherwise."),
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        ordering = ["username"]
        # A site permission the operator grants in the admin; settings.PROJECT_CREATORS says who else may.
        permissions = [("create_project", "Can create projects")]

    def __str__(self) -> str:
        return self.username


class Project(models.Model):
    class AnnotatorVisibility(models.TextChoices):
        ASSIGNED = "assigned", gettext_lazy("Only the batches assigned to them")
        BOARD = "board", gettext_lazy("The whole board")

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    review_required = models.BooleanField(
        default=True, help_text="Submitted batches go to Review; when off they go straight to Dataset."
    )
    allow_self_review = models.BooleanField(
        default=False, help_text="Let a reviewer approve a batch they annotated themselves."
    )
    # Least privilege for new projects; projects made before this setting existed keep the whole board
    # (migration 0004), so no team's board changes under them.
    annotator_visibility = models.CharField(
        gettext_lazy("annotators see"),
        max_length=20,
        choices=AnnotatorVisibility.choices,
        default=AnnotatorVisibility.ASSIGNED,
        help_text=gettext_lazy(
            "With “only the batches assigned to them”, annotators see just their own batches (cards, counts, "
            "pages and images) and reviewers see Review and Dataset plus their own; managers always see everything."
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # rework (#19): a batch waiting longer than this in Annotating or Review is marked on its card (0: never).
    stale_after_days = models.PositiveSmallIntegerField(
        gettext_lazy("stale after (days)"),
        default=5,
        help_text=gettext_lazy(
            "A batch waiting longer than this in Annotating or Review is marked as stale on its card; 0 turns it off."
        ),
    )

    class Meta:
        db_table = "batches_project"  # the table it had when it lived in batches (accounts migration 0003 moved it)
        ordering = ["name", "id"]
        # view_project comes with Django's default permissions.
        permissions = [
            ("annotate_project", "Annotate batches assigned to them"),
            ("review_project", "Approve or reject batches in Review"),
            ("manage_project", "Upload, assign, delete, manage members, classes and exports"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("board", args=[self.pk])


class ProjectUserObjectPermission(UserObjectPermissionBase):
    """Direct-FK object permissions: a real foreign key, joinable and indexed (guardian's fast path)."""

    content_object = models.ForeignKey(Project, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        db_table = "batches_projectuserobjectpermission"


class ProjectGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Project, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        db_table = "batches_projectgroupobjectpermission"


colour_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a colour like #1f77b4.")


class LabelClass(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="label_classes")
    name = models.CharField(max_length=100)
    colour = models.CharField(max_length=7, default="#1f77b4", validators=[colour_validator])
    key = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(9)],
        help_text="Number key 1–9 that picks this class while annotating.",
    )

    class Meta:
        db_table = "batches_labelclass"
        ordering = ["key", "name"]
        verbose_name_plural = "label classes"
        constraints = [
            models.UniqueConstraint(Lower("name"), "project", name="labelclass_unique_name_per_project"),
            models.UniqueConstraint(fields=["project", "key"], name="labelclass_unique_key_per_project"),
            models.CheckConstraint(
                condition=Q(key__gte=1, key__lte=9) | Q(key__isnull=True), name="labelclass_key_1_9"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="labelclass_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name
