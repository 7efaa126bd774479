"""The secret key must be real before the app serves anyone.

Checked where the key is used, not when settings load: the WSGI and ASGI entry points (and
gunicorn.conf.py, before any worker starts) refuse to start with DEBUG off and a missing, short or
published key, with a one-line reason. Management commands that sign nothing (`check`, `migrate`,
`collectstatic`, `makemigrations --check`) run without a key; `check --deploy` reports a bad one.
"""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

MIN_LENGTH = 50
PUBLISHED_PREFIX = "django-insecure-"


def secret_key_problem(key: str) -> str | None:
    """Why this key must not sign sessions in production, or None when it is fine."""
    if not key:
        return "SECRET_KEY is not set (set SECRET_KEY or SECRET_KEY_FILE; for development, set DEBUG=1)."
    if key.startswith(PUBLISHED_PREFIX):
        return f"SECRET_KEY starts with {PUBLISHED_PREFIX!r}: it is a published development key."
    if len(key) < MIN_LENGTH:
        return f"SECRET_KEY is {len(key)} characters long; use at least {MIN_LENGTH} random characters."
    return None


def configured_key() -> str:
    try:
        return settings.SECRET_KEY
    except ImproperlyConfigured:  # Django refuses to hand out an empty key
        return ""


def refuse_insecure_secret_key() -> None:
    """Raise ImproperlyConfigured with one line when DEBUG is off and the key is unfit."""
    if settings.DEBUG:
        return
    problem = secret_key_problem(configured_key())
    if problem:
        raise ImproperlyConfigured(f"BinaBoard refuses to start: {problem}")


@checks.register(checks.Tags.security, deploy=True)
def check_secret_key(app_configs, **kwargs) -> list[checks.CheckMessage]:
    problem = secret_key_problem(configured_key())
    if problem and not settings.DEBUG:
        return [checks.Error(problem, id="binaboard.E001")]
    return []
