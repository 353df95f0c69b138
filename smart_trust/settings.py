"""Settings for SMART Trust Planning, read from the environment (twelve-factor).

Every value has a default that lets the quick start (`make run`) work with nothing installed:
an SQLite file, a Celery broker on the local filesystem and e-mail printed to the console.
Production sets DATABASE_URL, REDIS_URL, SECRET_KEY and ALLOWED_HOSTS. A secret may instead be
read from a file named by NAME_FILE (SECRET_KEY_FILE, DATABASE_URL_FILE, EMAIL_HOST_PASSWORD_FILE,
REDIS_URL_FILE, CELERY_BROKER_URL_FILE), as Docker and Kubernetes secrets are mounted.
"""

import json
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_secret(name: str, default: str = "") -> str:
    """NAME from the environment, or the contents of the file NAME_FILE names (one trailing newline
    removed); setting both is a mistake worth stopping for."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        if os.environ.get(name):
            raise ImproperlyConfigured(f"Set {name} or {name}_FILE, not both.")
        try:
            return Path(path).read_text().rstrip("\r\n")
        except OSError as error:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {path} ({error.strerror}).") from None
    return os.environ.get(name, default)


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")

SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable (or DEBUG=true for local development)."
        )
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "smart_trust",
    "governance",
    "schools",
    "plans",
    "reviews",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A public PDF already rendered (the published pocket guide) is served here, before the session
    # and sign-in machinery it does not need (smart_trust.pdf: one cache read, one query).
    "smart_trust.pdf.PublicPdfMiddleware",
    "csp.middleware.CSPMiddleware",
    # A NUL byte in the path or query is a 400 before any view or query sees it.
    "smart_trust.badinput.RefuseNulBytesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Keeps a session in use alive (the idle sign-out), writing it at most once a minute.
    "smart_trust.sessions.RenewSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Signed-in pages are never kept by a browser or a shared cache.
    "smart_trust.headers.PrivatePagesMiddleware",
    # Someone who must use two-factor sign-in and has no device sets one up before anything else.
    "governance.mfa.TwoFactorSetupMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records the signed-in person on every history row written during a request.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last: refuses sign-in attempts once an account or an address has failed too often.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "smart_trust.urls"

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
                "smart_trust.context_processors.site",
                "smart_trust.context_processors.draft_saved",
            ],
        },
    },
]

WSGI_APPLICATION = "smart_trust.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        env_secret("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The quick start's SQLite under more than one web worker: a writer waits up to 20 s for the
    # lock instead of failing with "database is locked". Write transactions take the lock at BEGIN
    # (IMMEDIATE), so a reader never has to upgrade to a writer mid-transaction, and WAL lets reads
    # go on while one process writes.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
    }

AUTH_USER_MODEL = "governance.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failed sign-ins are throttled per account and, separately, per address.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# The sign-in form posts the e-mail address in the field Django calls "username".
AXES_USERNAME_FORM_FIELD = "username"
# ...and counted on the address in lower case, so changing its letter case does not reset the count.
AXES_USERNAME_CALLABLE = "governance.throttle.axes_username"
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "0.25"))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Signed-in sessions end after this much inactivity: a request renews the clock, writing the
# session at most once a minute (smart_trust/sessions.py), not on every request.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_IDLE_MINUTES", "60")) * 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed files served by WhiteNoise; needs `collectstatic`, so plain
        # storage while developing.
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "media/"

# Where people reach the site: the links in PDFs (and e-mails) start here, and a PDF's render
# may read only the files under its static/ and media/ (smart_trust.pdf).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Rendered PDFs (smart_trust.pdf): kept apart from uploads, never served without a permission
# check. PDF_STORAGE_BACKEND names another storage (django-storages' S3Storage, say) and
# PDF_STORAGE_OPTIONS its options as JSON.
STORAGES["pdfs"] = {
    "BACKEND": os.environ.get("PDF_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"),
    "OPTIONS": json.loads(os.environ.get("PDF_STORAGE_OPTIONS") or "null")
    or {"location": Path(os.environ.get("PDF_ROOT", BASE_DIR / "var" / "pdfs"))},
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# E-mail: printed to the console unless an SMTP host is given.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
# A mail server that does not answer holds a worker this long, never a web request (mail is sent by the worker).
EMAIL_TIMEOUT = float(os.environ.get("EMAIL_TIMEOUT", "20"))
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "SMART Trust Planning <planning@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Where the accessibility statement (/accessibility/) sends people who need another format or
# find a problem: an e-mail address (shown as a link) or words.
ACCESSIBILITY_CONTACT = os.environ.get("ACCESSIBILITY_CONTACT", "").strip() or "the trust's office"

# Celery. With REDIS_URL (or CELERY_BROKER_URL) set, Redis carries the jobs; otherwise a
# broker on the local filesystem needs no server and still runs jobs in a separate worker.
REDIS_URL = env_secret("REDIS_URL")
CELERY_BROKER_URL = env_secret("CELERY_BROKER_URL") or REDIS_URL or "filesystem://"
# The shared cache (rendered parts of pages per content version, plans.page_cache): Redis, so every
# web process and every server sees the same entries. Without Redis (the quick start) each process
# keeps its own; entries are keyed by version, so neither ever serves an outdated page.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "smart-trust",
            # A cache that does not answer quickly is skipped (page_cache renders instead).
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 2000}}}
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or (
    REDIS_URL or f"file://{BASE_DIR / 'var' / 'celery' / 'results'}"
)
if CELERY_BROKER_URL == "filesystem://":
    _queue_dir = BASE_DIR / "var" / "celery" / "queue"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(BASE_DIR / "var" / "celery" / "processed"),
        "control_folder": str(BASE_DIR / "var" / "celery" / "control"),
        "store_processed": False,
    }
    for _folder in ("queue", "processed", "results", "control"):
        (BASE_DIR / "var" / "celery" / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
# A request never waits on a broker that is down: about a second to connect and publish, then the
# job stays in the outbox (smart_trust/jobs.py) for the worker's heartbeat to send. The worker
# itself keeps retrying its own connection (broker_connection_retry stays on).
CELERY_BROKER_CONNECTION_TIMEOUT = 1
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 1, "max_retries": 1}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 1
CELERY_REDIS_SOCKET_TIMEOUT = 5
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
}
# How often the worker says it is alive (/health/ shows when it last did) and sends waiting jobs.
HEARTBEAT_SECONDS = float(os.environ.get("HEARTBEAT_SECONDS", "30"))
# The review cycle (reviews.notify): how often beat makes the day's reminders and digests, and
# sends what waits. Mail goes only on school days (from the term dates) in working hours.
CYCLE_TICK_SECONDS = float(os.environ.get("CYCLE_TICK_SECONDS", "900"))
DELIVER_SECONDS = float(os.environ.get("DELIVER_SECONDS", "60"))
NOTICE_WORKING_HOURS = (int(os.environ.get("NOTICE_FIRST_HOUR", "8")), int(os.environ.get("NOTICE_LAST_HOUR", "18")))
NOTICE_WEEKLY_CAP = int(os.environ.get("NOTICE_WEEKLY_CAP", "10"))
# The one place where periodic jobs are scheduled.
CELERY_BEAT_SCHEDULE: dict = {
    "heartbeat": {"task": "smart_trust.tasks.heartbeat", "schedule": HEARTBEAT_SECONDS},
    "cycle-tick": {"task": "reviews.tasks.cycle_tick", "schedule": CYCLE_TICK_SECONDS},
    "deliver-waiting": {"task": "reviews.tasks.deliver_waiting", "schedule": DELIVER_SECONDS},
}

# Production hardening: `manage.py check --deploy` passes with no warning on these defaults.
# HTTPS only: plain HTTP is redirected and browsers are told (HSTS) to use HTTPS for a year.
# Behind a TLS-terminating proxy set BEHIND_TLS_PROXY=true (the proxy's X-Forwarded-Proto says
# the request was HTTPS); where the proxy itself redirects and sends HSTS, SECURE_SSL_REDIRECT=false
# and SECURE_HSTS_SECONDS=0 leave it to the proxy. /health/ answers plain HTTP for probes.
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else str(365 * 24 * 60 * 60)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
if env_bool("BEHIND_TLS_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Two-factor sign-in (django-otp): the name an authenticator app shows beside the code.
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "SMART Trust Planning")

# Content Security Policy: scripts and styles only from our own static files, never inline
# (templates carry no <script> block, no style attribute and no event handler attribute).
# Bootstrap's CSS draws its icons from data: images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint logs each step of every render at INFO; its warnings (a refused fetch) still show.
    "loggers": {"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}

# Bootstrap's alert classes for Django's message levels.
MESSAGE_TAGS = {40: "danger"}
