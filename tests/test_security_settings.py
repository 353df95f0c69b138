"""Production settings: `check --deploy` clean, HTTPS switches, secrets from files, a strict
Content Security Policy, and signed-in pages kept out of every cache."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent
# Variables of this machine or CI that would change what the settings read.
SETTINGS_VARIABLES = {
    "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "EMAIL_HOST",
    "EMAIL_BACKEND", "EMAIL_HOST_PASSWORD", "DJANGO_SETTINGS_MODULE", "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "BEHIND_TLS_PROXY",
    "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
    # The browser tests set this in the test process; a deployment never would (async.E001).
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}  # fmt: skip
PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({name: getattr(settings, name, None) for name in "
    "['SECRET_KEY', 'EMAIL_HOST_PASSWORD', 'REDIS_URL', 'CELERY_BROKER_URL', 'SECURE_SSL_REDIRECT', "
    "'SECURE_HSTS_SECONDS', 'SECURE_PROXY_SSL_HEADER', 'SESSION_COOKIE_SECURE']} | "
    "{'db': settings.DATABASES['default']['NAME'], 'db_password': settings.DATABASES['default']['PASSWORD']}))"
)
A_LONG_RANDOM_KEY = "r8Jq2vXk-7pLw3Nz_Tg5Hs9Yb1Mc6Fd0Ae4Ku8Qo2Ri7Vj3Xn5Zl9Pw1Sy6Ct0Gb"


def run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES and not k.endswith("_FILE")}
    clean.update(env, DJANGO_SETTINGS_MODULE="smart_trust.settings")
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120)


def probe(env: dict) -> dict:
    result = run(["-c", PROBE], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def production_env(tmp_path: Path) -> dict:
    key = tmp_path / "secret_key"
    key.write_text(A_LONG_RANDOM_KEY + "\n")
    return {
        "DEBUG": "false",
        "SECRET_KEY_FILE": str(key),
        "ALLOWED_HOSTS": "plans.example.org",
        "DATABASE_URL": "postgres://smart:pw@db.example:5432/smart",
    }


def test_check_deploy_passes_with_no_warning_on_production_settings(tmp_path):
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_production_is_https_only_by_default_and_a_tls_proxy_can_take_it_over(tmp_path):
    values = probe(production_env(tmp_path))
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] == 365 * 24 * 60 * 60
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] is None

    proxied = probe(
        {
            **production_env(tmp_path),
            "BEHIND_TLS_PROXY": "true",
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_HSTS_SECONDS": "0",
        }
    )
    assert proxied["SECURE_SSL_REDIRECT"] is False
    assert proxied["SECURE_HSTS_SECONDS"] == 0
    assert proxied["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_quick_start_stays_on_plain_http():
    values = probe({"DEBUG": "true"})
    assert values["SECURE_SSL_REDIRECT"] is False and values["SECURE_HSTS_SECONDS"] == 0


def test_secrets_are_read_from_files_named_by_NAME_FILE(tmp_path):
    files = {
        "SECRET_KEY": A_LONG_RANDOM_KEY,
        "DATABASE_URL": "postgres://smart:from-a-file@db.example:5432/filedb",
        "EMAIL_HOST_PASSWORD": "smtp pass with spaces ",
        "REDIS_URL": "redis://:redispw@cache.example:6379/3",
    }
    env = {"DEBUG": "false", "ALLOWED_HOSTS": "plans.example.org"}
    for name, value in files.items():
        path = tmp_path / name.lower()
        path.write_text(value + "\n")  # as `echo` or a secrets manager writes it
        env[f"{name}_FILE"] = str(path)
    values = probe(env)
    assert values["SECRET_KEY"] == A_LONG_RANDOM_KEY
    assert values["db"] == "filedb" and values["db_password"] == "from-a-file"
    assert values["EMAIL_HOST_PASSWORD"] == "smtp pass with spaces "
    assert values["REDIS_URL"] == values["CELERY_BROKER_URL"] == "redis://:redispw@cache.example:6379/3"


def test_a_missing_secret_file_or_both_forms_refuse_to_start(tmp_path):
    missing = run(["-c", PROBE], {"DEBUG": "false", "SECRET_KEY_FILE": str(tmp_path / "nope")})
    assert missing.returncode != 0
    assert "SECRET_KEY_FILE: cannot read" in missing.stderr
    (tmp_path / "key").write_text(A_LONG_RANDOM_KEY)
    both = run(["-c", PROBE], {"DEBUG": "false", "SECRET_KEY": "x", "SECRET_KEY_FILE": str(tmp_path / "key")})
    assert both.returncode != 0
    assert "Set SECRET_KEY or SECRET_KEY_FILE, not both." in both.stderr


@override_settings(SECURE_SSL_REDIRECT=True)
def test_plain_http_is_redirected_except_the_health_probe(client, demo):
    response = client.get(reverse("plans:index"))
    assert response.status_code == 301 and response["Location"].startswith("https://")
    assert client.get(reverse("health")).status_code != 301


def test_every_page_carries_a_content_security_policy_without_inline_exceptions(client, demo):
    policy = client.get(reverse("home"))["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script> block"),
    (re.compile(r"<style\b", re.I), "<style> block"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event handler attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_no_template_has_inline_script_or_style():
    """What the CSP would refuse never reaches a template (the browser test proves it on pages)."""
    offenders = []
    for path in [*ROOT.glob("templates/**/*.html"), *ROOT.glob("*/templates/**/*.html")]:
        if path.is_relative_to(ROOT / "templates" / "pdf"):
            continue  # WeasyPrint's input (smart_trust.pdf), never served to a browser: its <style> holds the branding
        text = path.read_text()
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                offenders.append(f"{path.relative_to(ROOT)}: {what}: {match.group(0)!r}")
    assert offenders == []


def cache_control(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


@pytest.mark.parametrize(
    "url", [reverse("home"), reverse("account"), reverse("school_plans:index"), reverse("plans:index")]
)
def test_signed_in_pages_are_private_and_never_stored(client, sign_in_as, url):
    sign_in_as("head")
    assert {"private", "no-store"} <= cache_control(client.get(url))


def test_a_signed_in_download_is_private_too(client, sign_in_as):
    sign_in_as("central")
    response = client.get(reverse("people_import_template"))
    assert response.status_code == 200
    assert {"private", "no-store"} <= cache_control(response)


def test_public_pages_for_someone_not_signed_in_are_not_marked_private(client, demo):
    assert "no-store" not in cache_control(client.get(reverse("plans:index")))
