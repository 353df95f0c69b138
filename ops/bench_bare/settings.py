"""Settings of the bare comparison project: nothing but URL routing and the template engine."""

from pathlib import Path

SECRET_KEY = "bare-bench-project-serves-no-secrets"  # noqa: S105 - loopback-only benchmark floor
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = "bench_bare.urls"
WSGI_APPLICATION = "bench_bare.wsgi.application"
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
DATABASES: dict = {}
USE_TZ = True
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [Path(__file__).resolve().parent / "templates"],
        "OPTIONS": {"autoescape": True},
    }
]
