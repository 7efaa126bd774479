from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group, Permission
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
    # How this person arranges each project's board: {"<project id>": {"compact": bool, "sort": {column: key},
    # "collapsed": [column, ...]}}. On the user row, so every board answer reads it with no query of its own.
    board_layout = models.JSONField(default=dict, blank=True, editable=False)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        ordering = ["username"]
        # A site permission the operator grants in the admin; settings.PROJECT_CREATORS says who else may.
        permissions = [("create_project", gettext_lazy("Can create projects"))]

    def __str__(self) -> str:
        return self.username


class Project(models.Model):
    class AnnotatorVisibility(models.TextChoices):
        ASSIGNED = "assigned", gettext_lazy("Only the batches assigned to them")
        BOARD = "board", gettext_lazy("The whole board")

    name = models.CharField(gettext_lazy("name"), max_length=200)
    description = models.TextField(gettext_lazy("description"), blank=True)
    review_required = models.BooleanField(
        gettext_lazy("review required"),
        default=True,
        help_text=gettext_lazy("Submitted batches go to Review; when off they go straight to Dataset."),
    )
    allow_self_review = models.BooleanField(
        gettext_lazy("allow self-review"),
        default=False,
        help_text=gettext_lazy("Let a reviewer approve a batch they annotated themselves."),
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
    prelabels_to_check = models.BooleanField(
        gettext_lazy("imported labels are to check"),
        default=True,
        help_text=gettext_lazy(
            "Images imported with labels (COCO, YOLO, Pascal VOC) count as not annotated until an annotator "
            "saves them; when off they count as done."
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=gettext_lazy("created by"),
    )
    created_at = models.DateTimeField(gettext_lazy("created at"), default=timezone.now)
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
        verbose_name = gettext_lazy("project")
        verbose_name_plural = gettext_lazy("projects")
        ordering = ["name", "id"]
        # view_project comes with Django's default permissions.
        permissions = [
            ("annotate_project", gettext_lazy("Annotate batches assigned to them")),
            ("review_project", gettext_lazy("Approve or reject batches in Review")),
            ("manage_project", gettext_lazy("Upload, assign, delete, manage members, classes and exports")),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("board", args=[self.pk])


class ProjectUserObjectPermission(UserObjectPermissionBase):
    """Direct-FK object permissions: a real foreign key, joinable and indexed (guardian's fast path)."""

    content_object = models.ForeignKey(Project, on_delete=models.CASCADE, verbose_name=gettext_lazy("project"))
    # guardian's fields, as guardian declares them, with names the admin shows in the operator's language.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, verbose_name=gettext_lazy("user"))
    permission = models.ForeignKey(Permission, on_delete=models.CASCADE, verbose_name=gettext_lazy("permission"))

    class Meta(UserObjectPermissionBase.Meta):
        db_table = "batches_projectuserobjectpermission"
        verbose_name = gettext_lazy("project permission of a user")
        verbose_name_plural = gettext_lazy("project permissions of users")


class ProjectGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Project, on_delete=models.CASCADE, verbose_name=gettext_lazy("project"))
    group = models.ForeignKey(Group, on_delete=models.CASCADE, verbose_name=gettext_lazy("group"))
    permission = models.ForeignKey(Permission, on_delete=models.CASCADE, verbose_name=gettext_lazy("permission"))

    class Meta(GroupObjectPermissionBase.Meta):
        db_table = "batches_projectgroupobjectpermission"
        verbose_name = gettext_lazy("project permission of a group")
        verbose_name_plural = gettext_lazy("project permissions of groups")


# A project's roles as people read them (accounts/roles.py grants them), in the order they are listed.
ROLE_LABELS = {
    "manager": gettext_lazy("Manager"),
    "reviewer": gettext_lazy("Reviewer"),
    "annotator": gettext_lazy("Annotator"),
}


def role_labels(roles) -> list[str]:
    """These roles as the reader's language names them, in the order above."""
    roles = set(roles)
    return [str(label) for role, label in ROLE_LABELS.items() if role in roles]


colour_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", gettext_lazy("Use a colour like #1f77b4."))
# New classes take these in turn (the add form, a label import), so that two classes rarely share a colour.
CLASS_PALETTE = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
]


class LabelClass(models.Model):
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="label_classes", verbose_name=gettext_lazy("project")
    )
    name = models.CharField(gettext_lazy("name"), max_length=100)
    colour = models.CharField(gettext_lazy("colour"), max_length=7, default="#1f77b4", validators=[colour_validator])
    key = models.PositiveSmallIntegerField(
        gettext_lazy("key"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(9)],
        help_text=gettext_lazy("Number key 1–9 that picks this class while annotating."),
    )

    class Meta:
        db_table = "batches_labelclass"
        ordering = ["key", "name"]
        verbose_name = gettext_lazy("label class")
        verbose_name_plural = gettext_lazy("label classes")
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


# --- notifications and invitations (issue 18) ------------------------------------------------------------


class Notification(models.Model):
    """Something that reached a person: shown under the bell, and e-mailed as they chose (accounts.notifications).

    What it says is rendered from `kind` and `data` when it is read, in the reader's language; `data`
    keeps names as they were (a batch may be renamed or gone later) and ids for the links.
    """

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", gettext_lazy("Batch assigned to me")
        RETURNED = "returned", gettext_lazy("Batch returned to me")
        REVIEW = "review", gettext_lazy("Batch waiting for my review")
        APPROVED = "approved", gettext_lazy("My batch approved")
        TAKEN_AWAY = "taken_away", gettext_lazy("Batch reset or reassigned away from me")
        EXPORT_READY = "export_ready", gettext_lazy("Export ready")
        UPLOAD_DONE = "upload_done", gettext_lazy("Upload finished")
        INVITED = "invited", gettext_lazy("Invited to a project")
        STALE = "stale", gettext_lazy("Batch waiting too long (managers)")

    class Email(models.TextChoices):
        NONE = "none", "none"  # not to be e-mailed
        PENDING = "pending", "pending"  # to be e-mailed at once, by a worker
        DIGEST = "digest", "digest"  # waits for the daily digest
        SENT = "sent", "sent"

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    email = models.CharField(max_length=10, choices=Email.choices, default=Email.NONE)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = gettext_lazy("notification")
        verbose_name_plural = gettext_lazy("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["email", "created_at"], name="notification_email_due"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"


class NotificationSetting(models.Model):
    """How a person wants one kind of notification e-mailed; without a row, the kind's default."""

    class Email(models.TextChoices):
        IMMEDIATELY = "immediately", gettext_lazy("At once")
        DIGEST = "digest", gettext_lazy("In a daily digest")
        OFF = "off", gettext_lazy("Never")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings")
    kind = models.CharField(max_length=20, choices=Notification.Kind.choices)
    email = models.CharField(max_length=20, choices=Email.choices)

    class Meta:
        verbose_name = gettext_lazy("notification setting")
        verbose_name_plural = gettext_lazy("notification settings")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_setting_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.email}"


class Invitation(models.Model):
    """A manager's invitation to join a project in some roles; the person accepts or declines from its link.

    Only a hash of the link's token is stored: the token itself is in the e-mail (and the invitee's
    notification), so the table alone opens nothing.
    """

    class Status(models.TextChoices):
        PENDING = "pending", gettext_lazy("pending")
        ACCEPTED = "accepted", gettext_lazy("accepted")
        DECLINED = "declined", gettext_lazy("declined")
        REVOKED = "revoked", gettext_lazy("revoked")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="invitations")
    invitee = models.CharField(max_length=254, help_text="The username or address as the manager typed it.")
    email = models.EmailField(blank=True, help_text="Where the invitation was sent.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="invitations"
    )
    roles = models.JSONField(default=list)
    token_hash = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = gettext_lazy("invitation")
        verbose_name_plural = gettext_lazy("invitations")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.invitee} to {self.project_id} ({self.status})"

    @property
    def expired(self) -> bool:
        return self.status == self.Status.PENDING and self.expires_at <= timezone.now()

    @property
    def role_labels(self) -> list[str]:
        """The invited roles as the reader's language names them (Manager, Reviewer, Annotator), in that order."""
        return role_labels(self.roles)


# --- end of notifications and invitations ----------------------------------------------------------------


class ApiToken(models.Model):
    """A personal API token (accounts/tokens.py): only its SHA-256 is stored; the secret is shown once."""

    class Scope(models.TextChoices):
        READ = "read", gettext_lazy("Read only")
        WRITE = "write", gettext_lazy("Read and write")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(gettext_lazy("name"), max_length=100)
    prefix = models.CharField(max_length=12, help_text="The first characters of the token, to recognise it.")
    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the token.")
    scope = models.CharField(gettext_lazy("scope"), max_length=10, choices=Scope.choices, default=Scope.READ)
    # Empty: every project the person is a member of.
    projects = models.ManyToManyField(Project, blank=True, related_name="+", verbose_name=gettext_lazy("projects"))
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(gettext_lazy("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(gettext_lazy("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(gettext_lazy("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = gettext_lazy("API token")
        verbose_name_plural = gettext_lazy("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())

    @property
    def writes(self) -> bool:
        return self.scope == self.Scope.WRITE
