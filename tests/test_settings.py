"""Settings come from the environment, with quick-start defaults; production refuses unsafe starts."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'engine': settings.DATABASES['default']['ENGINE'], "
    "'name': str(settings.DATABASES['default']['NAME']), "
    "'broker': settings.CELERY_BROKER_URL, 'email': settings.EMAIL_BACKEND, "
    "'hosts': settings.ALLOWED_HOSTS, 'static': settings.STORAGES['staticfiles']['BACKEND'], "
    "'cache': settings.CACHES['default']['BACKEND'], 'cache_at': settings.CACHES['default'].get('LOCATION', ''), "
    "'sessions': settings.SESSION_ENGINE}))"
)


def settings_with(env: dict) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {
        "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS",
        "EMAIL_HOST", "EMAIL_BACKEND", "DJANGO_SETTINGS_MODULE"}}  # fmt: skip
    clean.update(env, DJANGO_SETTINGS_MODULE="smart_trust.settings")
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def test_quick_start_defaults_need_nothing_installed():
    result = settings_with({"DEBUG": "true"})
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"].endswith("db.sqlite3")
    assert values["broker"] == "filesystem://"
    assert values["email"] == "django.core.mail.backends.console.EmailBackend"
    assert values["cache"] == "django.core.cache.backends.locmem.LocMemCache"  # one process's own


def test_production_values_come_from_the_environment():
    result = settings_with({
        "SECRET_KEY": "s3cret", "DATABASE_URL": "postgres://u:p@db.example:5432/smart",
        "REDIS_URL": "redis://cache.example:6379/0", "ALLOWED_HOSTS": "plans.example.org, www.example.org",
        "EMAIL_HOST": "smtp.example.org",
    })  # fmt: skip
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["name"] == "smart"
    assert values["broker"] == "redis://cache.example:6379/0"
    assert values["hosts"] == ["plans.example.org", "www.example.org"]
    assert values["email"] == "django.core.mail.backends.smtp.EmailBackend"
    assert values["static"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    # A second web server misses nothing: pages are cached in the shared Redis, sessions (and
    # sign-in throttling, two-factor devices) live in the database, not in a process or on its disk.
    assert values["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert values["cache_at"] == "redis://cache.example:6379/0"
    assert values["sessions"] == "django.contrib.sessions.backends.db"


def test_refuses_to_start_without_secret_key_when_not_debugging():
    result = settings_with({"DEBUG": "false"})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
