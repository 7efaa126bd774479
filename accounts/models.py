from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """The site's user. Project roles are object permissions (see accounts.roles)."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        ordering = ["username"]

    def __str__(self) -> str:
        return self.username
