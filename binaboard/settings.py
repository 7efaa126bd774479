"""BinaBoard settings: one file, driven by environment variables (every one is listed in docs/DEPLOY.md).

Safe development defaults with DEBUG=1; production defaults otherwise. The secret key is checked
where it is used, not here: the WSGI/ASGI entry points (and gunicorn.conf.py) refuse to start with a
missing, short or published key when DEBUG is off, while commands that need no secret (`check`,
`migrate`, `collectstatic`, `makemigrations --check`) run without one.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy

BASE_DIR = Path(__file__).resolve().parent.parent


# --- reading the environment ------------------------------------------------------------------------


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no, on/off)")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_secret(name: str) -> str:
    """NAME, or the contents of the file named by NAME_FILE (systemd credentials, Docker/K8s secrets)."""
    value = os.environ.get(name, "")
    path = os.environ.get(f"{name}_FILE", "")
    if value or not path:
        return value
    try:
        return Path(path).read_text().strip()
    except OSError as exc:
        raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {exc.strerror}") from None


# --- core --------------------------------------------------------------------------------------------

DEBUG = env_bool("DEBUG", False)
DEVELOPMENT_SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"
# Empty with DEBUG off is allowed here: binaboard.startup refuses to serve requests without a good key.
SECRET_KEY = env_secret("SECRET_KEY") or (DEVELOPMENT_SECRET_KEY if DEBUG else "")
# Old keys still accepted for signatures and sessions while a new SECRET_KEY rolls out.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "binaboard.apps.BinaBoardAdminConfig",  # django.contrib.admin with our site (binaboard/admin_site.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",  # the API (batches/api): its bundled Swagger UI files are served as static files
    "guardian",
    "binaboard.apps.AxesConfig",  # django-axes, sign-in throttling (see "Accounts and sign-in" below)
    "binaboard",
    "accounts",
    "batches",
    # Both task backends' apps are always installed (see "background tasks" below), so switching
    # TASKS_BACKEND never changes the migrations or the admin.
    "binaboard.apps.TasksDbConfig",  # django_tasks_db, named in the admin's language (binaboard/apps.py)
    "django_rq",
]

MIDDLEWARE = [
    # First, so every log line of the request (and the response header) carries its id.
    "binaboard.request_id.RequestIdMiddleware",
    # Before the host check and the HTTPS redirect: load balancers probe by IP over plain HTTP.
    "binaboard.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Text answers gzipped for browsers that accept it (binaboard/compression.py); only header-only
    # middleware above it, so it compresses the finished body.
    "binaboard.compression.TextGZipMiddleware",
    # Header-only middleware before WhiteNoise, so static files get the same frame and CSP headers.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After the user is known: signed-in pages private and revalidated, API answers not stored
    # (binaboard/cache_headers.py).
    "binaboard.cache_headers.PrivateAnswersMiddleware",
    "accounts.preferences.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out sign-in into the "too many attempts" page
]

ROOT_URLCONF = "binaboard.urls"
WSGI_APPLICATION = "binaboard.wsgi.application"
ASGI_APPLICATION = "binaboard.asgi.application"
CSRF_FAILURE_VIEW = "binaboard.errors.csrf_failure"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
            ],
        },
    },
]


# --- database ----------------------------------------------------------------------------------------


def database_from_url(url: str) -> dict:
    """Turn DATABASE_URL into a DATABASES entry through dj-database-url.

    Query options reach the driver as they are (`?sslmode=require&connect_timeout=5`); persistent
    connections are checked before reuse, so a restarted database costs one retry, not an error.
    """
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        name = dj_database_url.parse(url).get("NAME") or "db.sqlite3"
        return sqlite_database(BASE_DIR / name)  # an absolute NAME stays as it is
    if scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfigured(f"DATABASE_URL scheme {scheme!r} is not supported (use postgres:// or sqlite:///)")
    config = dj_database_url.parse(url, conn_max_age=env_int("CONN_MAX_AGE", 60), conn_health_checks=True)
    config["TEST"] = {"NAME": os.environ.get("TEST_DB_NAME") or None}  # helpers running side by side pick their own
    return config


def sqlite_database(path: Path) -> dict:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": path,
        "OPTIONS": {
            # Take the write lock at BEGIN so a transaction never fails half-way with "database is locked".
            "transaction_mode": "IMMEDIATE",
            "timeout": 5,
            "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA busy_timeout=5000;",
        },
        # A file, not memory: WAL and the live server of browser tests need one.
        "TEST": {"NAME": BASE_DIR / os.environ.get("TEST_DB_NAME", "test.sqlite3")},
    }


DATABASE_URL = os.environ.get("DATABASE_URL", "")
DATABASES = {"default": database_from_url(DATABASE_URL) if DATABASE_URL else sqlite_database(BASE_DIR / "db.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# --- accounts and permissions -------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out sign-in before any password check
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "project_list"
LOGOUT_REDIRECT_URL = "login"

# --- Accounts and sign-in (issue 10: passwords, project creators, login throttling) ---------------------
# Stricter than Django's defaults: 10 characters, and a password half like the username or e-mail
# (e.g. "annotator2024" for annotator) is refused. See docs/SECURITY.md.
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"max_similarity": 0.5},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Who may create projects: "staff" (staff users and holders of the accounts.create_project permission,
# which operators grant in the admin), "permission" (holders only) or "everyone"; superusers always may.
PROJECT_CREATORS = os.environ.get("PROJECT_CREATORS", "staff").strip().lower()
if PROJECT_CREATORS not in {"staff", "permission", "everyone"}:
    raise ImproperlyConfigured(f"PROJECT_CREATORS={PROJECT_CREATORS!r}: use staff, permission or everyone.")

# Sign-in throttling (django-axes, accounts/signin.py), on the app's login and the admin's: a username on
# one address is paused after LOGIN_FAILURE_LIMIT failures, a whole address after
# LOGIN_FAILURE_LIMIT_PER_IP, for LOGIN_COOLOFF_MINUTES after the last failure.
AXES_ENABLED = env_bool("LOGIN_THROTTLING", True)
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_LIMIT_PER_IP = env_int("LOGIN_FAILURE_LIMIT_PER_IP", 20)
if not 1 <= AXES_FAILURE_LIMIT <= LOGIN_FAILURE_LIMIT_PER_IP:
    raise ImproperlyConfigured("Need 1 <= LOGIN_FAILURE_LIMIT <= LOGIN_FAILURE_LIMIT_PER_IP.")
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_RESET_ON_SUCCESS = False  # else any working account could reset its address's count between guesses
AXES_HANDLER = "accounts.signin.PairAndAddressHandler"
AXES_LOCKOUT_CALLABLE = "accounts.signin.lockout_response"
AXES_CLIENT_IP_CALLABLE = "accounts.signin.client_ip"
AXES_USERNAME_CALLABLE = "accounts.signin.attempted_username"
# The client's address is REMOTE_ADDR unless the header your own proxy sets is named here (e.g.
# X-Forwarded-For, with nginx's `proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for`);
# CLIENT_IP_PROXY_COUNT proxies of yours append to it. Never name a header your proxy passes through.
CLIENT_IP_HEADER = os.environ.get("CLIENT_IP_HEADER", "").strip().upper().replace("-", "_")
if CLIENT_IP_HEADER and not CLIENT_IP_HEADER.startswith("HTTP_"):
    CLIENT_IP_HEADER = f"HTTP_{CLIENT_IP_HEADER}"
CLIENT_IP_PROXY_COUNT = env_int("CLIENT_IP_PROXY_COUNT", 1)
if CLIENT_IP_PROXY_COUNT < 1:
    raise ImproperlyConfigured("CLIENT_IP_PROXY_COUNT must be 1 or more (leave CLIENT_IP_HEADER empty for none).")
# --- end of accounts and sign-in ------------------------------------------------------------------------

# --- e-mail and notifications (issue 18; docs/DEPLOY.md, "E-mail") -------------------------------------


SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def mailer_from_url(url: str, timeout: int) -> dict:
    """EMAIL_URL as Django's default mailer: smtp://user:pass@host:25, smtp+tls://… (STARTTLS, port 587),
    smtps://… or smtp+ssl://… (TLS, port 465), console://, file:///abs/dir, locmem:// or dummy://."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    simple = {
        "console": "django.core.mail.backends.console.EmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
        "dummy": "django.core.mail.backends.dummy.EmailBackend",
    }
    if scheme in simple:
        return {"BACKEND": simple[scheme]}
    if scheme == "file":
        return {"BACKEND": "django.core.mail.backends.filebased.EmailBackend", "OPTIONS": {"file_path": parts.path}}
    if scheme not in {"smtp", "smtp+tls", "smtps", "smtp+ssl"}:
        raise ImproperlyConfigured(f"EMAIL_URL scheme {scheme!r} is not supported (smtp, smtps, console, file...)")
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured("EMAIL_URL has a port that is not a number.") from None
    return smtp_mailer(
        host=parts.hostname or "localhost",
        port=port,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        use_tls=scheme == "smtp+tls",
        use_ssl=scheme in {"smtps", "smtp+ssl"},
        timeout=timeout,
    )


def smtp_mailer(
    *, host: str, port: int | None, username: str, password: str, use_tls: bool, use_ssl: bool, timeout: int
) -> dict:
    if use_tls and use_ssl:
        raise ImproperlyConfigured("Choose EMAIL_USE_TLS (STARTTLS) or EMAIL_USE_SSL (TLS), not both.")
    options = {"host": host, "port": port, "use_tls": use_tls, "use_ssl": use_ssl, "timeout": timeout}
    if username:
        options.update(username=username, password=password)
    return {"BACKEND": SMTP_BACKEND, "OPTIONS": options}


# EMAIL_URL wins; otherwise the usual EMAIL_* variables; with neither, development prints e-mails to the
# console and production speaks SMTP to localhost:25 (a local relay). Messages are always sent by workers.
EMAIL_URL = os.environ.get("EMAIL_URL", "").strip()
_email_timeout = env_int("EMAIL_TIMEOUT", 20)
_email_backend = os.environ.get("EMAIL_BACKEND", "").strip()
if EMAIL_URL:
    MAILERS = {"default": mailer_from_url(EMAIL_URL, _email_timeout)}
elif _email_backend and _email_backend != SMTP_BACKEND:
    MAILERS = {"default": {"BACKEND": _email_backend}}
elif _email_backend or os.environ.get("EMAIL_HOST") or not DEBUG:
    MAILERS = {
        "default": smtp_mailer(
            host=os.environ.get("EMAIL_HOST", "localhost"),
            port=env_int("EMAIL_PORT", 0) or None,
            username=os.environ.get("EMAIL_HOST_USER", ""),
            password=env_secret("EMAIL_HOST_PASSWORD"),
            use_tls=env_bool("EMAIL_USE_TLS", False),
            use_ssl=env_bool("EMAIL_USE_SSL", False),
            timeout=_email_timeout,
        )
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "BinaBoard <binaboard@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The address people open links in e-mails at (no trailing slash): e-mails are written by workers, which
# have no request to take the host from.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000" if DEBUG else "").strip().rstrip("/")
# Password reset: how long a link works, and how many requests one address (or one client) may make an hour.
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_HOURS", 3) * 3600
PASSWORD_RESET_LIMIT_PER_HOUR = env_int("PASSWORD_RESET_LIMIT_PER_HOUR", 5)
# Invitations: how long a link works; whether someone without an account may create one from it; whether
# a manager may still add an existing account directly, without the person accepting (off: invitations only).
INVITATION_DAYS = env_int("INVITATION_DAYS", 14)
INVITATION_SIGNUP = env_bool("INVITATION_SIGNUP", True)
MEMBERS_DIRECT_ADD = env_bool("MEMBERS_DIRECT_ADD", False)
# A person's daily digest goes out once their oldest unsent notification is this many hours old.
DIGEST_HOURS = env_int("DIGEST_HOURS", 24)
# --- end of e-mail and notifications ----------------------------------------------------------------------

# guardian: no anonymous user row; object permissions live in direct-FK tables.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False


# --- language and time ----------------------------------------------------------------------------------

# English and Persian (right to left): the person's saved choice (accounts.preferences), else the browser's.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", gettext_lazy("English")), ("fa", gettext_lazy("Persian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "binaboard_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True


# --- static files and media -------------------------------------------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
# Media is private: served only through a view that checks project membership, never at a public URL.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = None

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Production: hashed, compressed files from STATIC_ROOT (run `collectstatic`), served by WhiteNoise
    # with a year-long cache; a page linking a file missing from the manifest fails loudly.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Development (and tests) serve static files straight from the app folders, re-read on every request.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# Image storage (issue 4): local disk under MEDIA_ROOT by default; STORAGE_BACKEND=s3 stores images
# and thumbnails in an S3-compatible bucket through django-storages. The bucket stays private: a member
# who passes the media views' permission check is redirected to a short-lived presigned URL.
STORAGE_BACKEND = os.environ.get("STORAGE_BACKEND", "local").strip().lower()
# How long a presigned image URL stays valid (S3 only).
MEDIA_URL_EXPIRE_SECONDS = env_int("S3_URL_EXPIRE_SECONDS", 600)


def s3_media_origins(*, bucket: str, endpoint: str, region: str, addressing_style: str) -> list[str]:
    """The origins presigned URLs point at (for CSP img-src), as botocore builds them."""
    if endpoint:
        parts = urlsplit(endpoint)
        host = f"{bucket}.{parts.netloc}" if addressing_style == "virtual" else parts.netloc
        return [f"{parts.scheme}://{host}"]
    origins = [f"https://{bucket}.s3.amazonaws.com"]
    if region:
        origins.append(f"https://{bucket}.s3.{region}.amazonaws.com")
    return origins


S3_MEDIA_ORIGINS: list[str] = []
if STORAGE_BACKEND == "s3":
    if not os.environ.get("S3_BUCKET"):
        raise ImproperlyConfigured("STORAGE_BACKEND=s3 needs S3_BUCKET (and S3_ENDPOINT_URL for non-AWS servers).")
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["S3_BUCKET"],
            "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("S3_REGION") or None,
            # Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or boto3's usual chain (roles, profiles).
            "location": os.environ.get("S3_PREFIX", ""),
            "addressing_style": os.environ.get("S3_ADDRESSING_STYLE") or None,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": MEDIA_URL_EXPIRE_SECONDS,
            "signature_version": "s3v4",  # presigned URLs with an explicit lifetime (X-Amz-Expires)
            # Storage names are random UUIDs: skip the existence check (one round trip per file).
            "file_overwrite": True,
        },
    }
    S3_MEDIA_ORIGINS = env_list(
        "S3_MEDIA_ORIGIN",
        s3_media_origins(
            bucket=os.environ["S3_BUCKET"],
            endpoint=os.environ.get("S3_ENDPOINT_URL", ""),
            region=os.environ.get("S3_REGION", ""),
            addressing_style=os.environ.get("S3_ADDRESSING_STYLE", ""),
        ),
    )
elif STORAGE_BACKEND != "local":
    raise ImproperlyConfigured(f"STORAGE_BACKEND={STORAGE_BACKEND!r} is not supported (use local or s3).")
# e.g. "/protected-media/": the media views check permission, then nginx sends the file from an
# `internal` location aliased to MEDIA_ROOT (local storage only).
MEDIA_X_ACCEL_REDIRECT = os.environ.get("MEDIA_X_ACCEL_REDIRECT", "")


# --- uploads -------------------------------------------------------------------------------------------------

# Upload limits, checked by batches.ingest (per file, per request, per archive; pixels before decoding).
UPLOAD_MAX_FILE_BYTES = env_int("UPLOAD_MAX_FILE_MB", 50) * 1024 * 1024
UPLOAD_MAX_REQUEST_BYTES = env_int("UPLOAD_MAX_REQUEST_MB", 1024) * 1024 * 1024
UPLOAD_MAX_FILES = env_int("UPLOAD_MAX_FILES", 1000)
UPLOAD_MAX_PIXELS = env_int("UPLOAD_MAX_MEGAPIXELS", 50) * 1_000_000
ARCHIVE_MAX_ENTRIES = env_int("ARCHIVE_MAX_ENTRIES", 10_000)
ARCHIVE_MAX_BYTES = env_int("ARCHIVE_MAX_UNPACKED_MB", 4096) * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = UPLOAD_MAX_FILES
# One chunk request of an upload session (the browser sends a few at once; docs/UPLOADS.md).
UPLOAD_CHUNK_FILES = env_int("UPLOAD_CHUNK_FILES", 20)
UPLOAD_CHUNK_BYTES = env_int("UPLOAD_CHUNK_MB", 64) * 1024 * 1024
# A .zip in an upload session is sent in parts of at most this size (stored until a worker unpacks it).
UPLOAD_PART_BYTES = env_int("UPLOAD_PART_MB", 8) * 1024 * 1024
# An upload session that has received nothing for this long is cancelled by cleanup_media (files, batch).
UPLOAD_SESSION_ABANDON_HOURS = env_int("UPLOAD_SESSION_ABANDON_HOURS", 24)
# Processes that check images in parallel for larger uploads (1: always in the request's process).
INGEST_WORKERS = env_int("INGEST_WORKERS", min(os.cpu_count() or 1, 4))


# --- background tasks ------------------------------------------------------------------------------------------

# Background work (exports, file removal, cleanup) is declared with Django's `django.tasks` and runs on
# the backend TASKS_BACKEND names (docs/DEPLOY.md, "Workers"):
# - "db" (default): django-tasks-db keeps the queue in the database; workers run `manage.py worker`
#   (around `db_worker`). Works on SQLite and PostgreSQL, nothing else to run.
# - "rq": RQ on Redis at REDIS_URL, for many workers on many machines (`manage.py worker` runs `rqworker`).
# - "immediate": each task runs at once in the process that enqueues it (scripts, some tests).
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "db").strip().lower()
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
TASK_QUEUES = ["default"]
TASK_BACKENDS = {
    "db": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": TASK_QUEUES},
    "rq": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": TASK_QUEUES},
    "immediate": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend", "QUEUES": TASK_QUEUES},
}
if TASKS_BACKEND not in TASK_BACKENDS:
    raise ImproperlyConfigured(f"TASKS_BACKEND={TASKS_BACKEND!r} is not supported (use db, rq or immediate).")
TASKS = {"default": TASK_BACKENDS[TASKS_BACKEND]}
RQ_QUEUES = {name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": -1} for name in TASK_QUEUES}
RQ_SHOW_ADMIN_LINK = TASKS_BACKEND == "rq"

# The cache holds rendered board cards (batches/templatetags/board_cards.py). CACHE_URL names a Redis
# (redis://…) that every app process shares; without it, the Redis of TASKS_BACKEND=rq when that is in
# use, otherwise each process keeps its own cards in memory.
CACHE_URL = os.environ.get("CACHE_URL", REDIS_URL if TASKS_BACKEND == "rq" else "").strip()
if CACHE_URL and not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    # Otherwise every page that caches would fail at its first request, not here.
    raise ImproperlyConfigured(f"CACHE_URL={CACHE_URL!r} is not a Redis URL (use redis://, rediss:// or unix://).")
if CACHE_URL:
    # A Redis that cannot be reached is an empty cache (binaboard/cache.py), never a 500.
    CACHES = {"default": {"BACKEND": "binaboard.cache.ForgivingRedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "binaboard",
            "OPTIONS": {"MAX_ENTRIES": 10000},
        }
    }
# Work that recurs (task path → seconds between runs), enqueued by the workers' maintenance.
PERIODIC_TASKS = {
    "batches.tasks.cleanup_media": env_int("CLEANUP_INTERVAL_SECONDS", 6 * 3600),
    "accounts.notifications.send_digests": env_int("DIGEST_INTERVAL_SECONDS", 3600),  # issue 18: daily digests due
}

# --- webhooks (docs/DEPLOY.md, "Webhooks") ---
# Hosts a webhook may reach although they resolve to loopback, private, link-local or other non-public
# addresses (an intranet receiver): exact host names or IP addresses, comma-separated. Empty: none.
WEBHOOK_ALLOWED_HOSTS = [host.lower().strip("[]") for host in env_list("WEBHOOK_ALLOWED_HOSTS", [])]
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10)
# Attempts in all per delivery; the wait doubles from WEBHOOK_BACKOFF_SECONDS up to WEBHOOK_BACKOFF_MAX_SECONDS.
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 6)
WEBHOOK_BACKOFF_SECONDS = env_int("WEBHOOK_BACKOFF_SECONDS", 30)
WEBHOOK_BACKOFF_MAX_SECONDS = env_int("WEBHOOK_BACKOFF_MAX_SECONDS", 3600)
# Delivered and failed deliveries stay in the webhooks' log this long.
WEBHOOK_LOG_DAYS = env_int("WEBHOOK_LOG_DAYS", 30)
if WEBHOOK_TIMEOUT_SECONDS < 1 or WEBHOOK_MAX_ATTEMPTS < 1 or WEBHOOK_BACKOFF_SECONDS < 1:
    raise ImproperlyConfigured(
        "WEBHOOK_TIMEOUT_SECONDS, WEBHOOK_MAX_ATTEMPTS and WEBHOOK_BACKOFF_SECONDS must be 1 or more."
    )
# Deliveries whose retry was lost (no worker took it) are picked up by this sweep.
PERIODIC_TASKS["batches.webhooks.delivery.retry_due_deliveries"] = env_int("WEBHOOK_SWEEP_SECONDS", 60)
# Exports with image files, or of more images than this, are made by a worker into a file to download
# later; smaller label-only exports stream at once. Export files are kept EXPORT_KEEP_DAYS days.
EXPORT_STREAM_MAX_IMAGES = env_int("EXPORT_STREAM_MAX_IMAGES", 5000)
EXPORT_KEEP_DAYS = env_int("EXPORT_KEEP_DAYS", 7)
# --- rework (#19): a reset can be undone (Restore) for this many days; then its snapshot is purged.
RESET_SNAPSHOT_DAYS = env_int("RESET_SNAPSHOT_DAYS", 14)
PERIODIC_TASKS["batches.tasks.purge_reset_snapshots"] = env_int("PURGE_SNAPSHOTS_INTERVAL_SECONDS", 3600)
# How often a worker looks for batches that became stale (Project.stale_after_days) and tells the managers.
PERIODIC_TASKS["batches.notifications.notify_stale"] = env_int("STALE_INTERVAL_SECONDS", 3600)
# Seconds the flow analytics of a project stay cached (a new move makes them stale before; refreshed by a
# worker for long histories).
ANALYTICS_CACHE_SECONDS = env_int("ANALYTICS_CACHE_SECONDS", 7 * 24 * 3600)
# --- end rework
# A task still marked running this long after it started is taken for one whose worker died (killed,
# machine lost): the workers' maintenance puts it back on the queue. Longer than the longest task.
TASK_ABANDONED_AFTER = timedelta(seconds=env_int("TASK_ABANDONED_SECONDS", 30 * 60))
# How often a task is tried in all before it is left failed (each worker death counts as one try).
TASK_MAX_ATTEMPTS = env_int("TASK_MAX_ATTEMPTS", 3)
# How often each worker runs the maintenance (abandoned tasks back on the queue, periodic work due).
TASK_MAINTENANCE_SECONDS = env_int("TASK_MAINTENANCE_SECONDS", 60)
# `manage.py worker` lowers its CPU priority by this much (os.nice): where web and workers share cores,
# requests (an upload's chunks, pages) come first and the workers take what is left. 0 leaves it.
WORKER_NICE = env_int("WORKER_NICE", 10)
# How long a database-queue worker (TASKS_BACKEND=db) waits, when the queue is empty, before it looks again.
# django-tasks-db's default is a second: the first chunk of an upload, or the next one when the workers have
# caught up with the browser, waited that long for nothing. One indexed query per look (RQ workers block on
# Redis instead: no polling).
WORKER_POLL_MS = env_int("WORKER_POLL_MS", 100)
if (
    TASK_MAX_ATTEMPTS < 1
    or TASK_MAINTENANCE_SECONDS < 1
    or TASK_ABANDONED_AFTER.total_seconds() < 1
    or WORKER_POLL_MS < 1
):
    raise ImproperlyConfigured(
        "TASK_MAX_ATTEMPTS, TASK_MAINTENANCE_SECONDS, TASK_ABANDONED_SECONDS and WORKER_POLL_MS must be 1 or more."
    )


# --- the API (batches/api, docs/API.md) ---------------------------------------------------------------------
# Requests per token (per person for a browser session) per window of seconds, counted in the cache above:
# share it (CACHE_URL) between processes, or each process counts its own. 0 turns the limit off.
API_RATE_LIMIT = env_int("API_RATE_LIMIT", 600)
API_RATE_WINDOW = env_int("API_RATE_WINDOW", 60)
if API_RATE_LIMIT < 0 or API_RATE_WINDOW < 1:
    raise ImproperlyConfigured("API_RATE_LIMIT must be 0 or more and API_RATE_WINDOW 1 or more.")


# --- security headers and TLS ---------------------------------------------------------------------------------

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    # Images from S3 come straight from the bucket, through presigned redirects.
    "img-src": [CSP.SELF, "data:", "blob:", *S3_MEDIA_ORIGINS],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# With DEBUG off the app assumes it sits behind a TLS-terminating proxy (nginx, a load balancer) that
# sets X-Forwarded-Proto and strips any copy sent by the client; docs/DEPLOY.md shows the nginx block.
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    if env_bool("SECURE_PROXY_SSL_HEADER", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


# --- logging ------------------------------------------------------------------------------------------------------

# One console handler on the root logger (systemd's journal or the container runtime collects it).
# Every line carries the request id; unhandled errors come through django.request with their traceback
# and the request's method, path and user id. LOG_FORMAT=json writes one JSON object per line.
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain").strip().lower()
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r} is not supported (use plain or json).")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "binaboard.logs.RequestContextFilter"}},
    "formatters": {
        "plain": {
            "()": "binaboard.logs.PlainFormatter",
            "format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s",
        },
        "json": {
            "()": "binaboard.logs.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_context"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own console handler (DEBUG only) would print every line twice: the root one is enough.
        "django": {"handlers": [], "level": "INFO"},
        "django.request": {"level": "ERROR"},
    },
}


# --- health checks -------------------------------------------------------------------------------------------------

# What /readyz checks, in order: the database, the file storage, the task queue of TASKS_BACKEND.
READINESS_CHECKS = [
    "binaboard.health.database_ready",
    "binaboard.health.storage_ready",
    "binaboard.queue.queue_ready",
]
