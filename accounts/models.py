from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """The site's user. Project roles are object permissions (see accounts.roles)."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        ordering = ["username"]
        # A site permission the operator grants in the admin; settings.PROJECT_CREATORS says who else may.
        permissions = [("create_project", "Can create projects")]

    def __str__(self) -> str:
        return self.username
