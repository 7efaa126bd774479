from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """The site's user. Project roles are object permissions (see accounts.roles)."""

    class Calendar(models.TextChoices):
        GREGORIAN = "gregorian", _("Gregorian")
        JALALI = "jalali", _("Solar Hijri (Jalali)")

    # Empty: follow the browser's language; the calendar then follows the language (Jalali for Persian).
    language = models.CharField(
        _("language"), max_length=10, blank=True, choices=settings.LANGUAGES, help_text=_("Empty: the browser's.")
    )
    calendar = models.CharField(
        _("calendar"),
        max_length=10,
        blank=True,
        choices=Calendar.choices,
        help_text=_("Empty: Jalali in Persian, Gregorian otherwise."),
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        ordering = ["username"]

    def __str__(self) -> str:
        return self.username
