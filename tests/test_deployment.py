"""The full stack's files, read as `docker compose` would (no Docker engine runs here)."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_the_whole_stack():
    services = compose()["services"]
    assert set(services) == {"web", "worker", "beat", "db", "redis", "mail"}
    assert "gunicorn smart_trust.wsgi:application" in services["web"]["command"]
    assert "migrate" in services["web"]["command"]
    assert services["worker"]["command"].startswith("celery -A smart_trust worker")
    assert services["beat"]["command"].startswith("celery -A smart_trust beat")
    assert services["db"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert "8000:8000" in services["web"]["ports"]


def test_app_services_share_configuration_pointing_at_the_stack():
    services = compose()["services"]
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and "@db:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert env["EMAIL_HOST"] == "mail"
        assert env["DEBUG"] == "false" and env["SECRET_KEY"]
        assert services[name]["depends_on"]["db"]["condition"] == "service_healthy"
    db_env = services["db"]["environment"]
    url = services["web"]["environment"]["DATABASE_URL"]
    assert url == f"postgres://{db_env['POSTGRES_USER']}:{db_env['POSTGRES_PASSWORD']}@db:5432/{db_env['POSTGRES_DB']}"


def test_dockerfile_installs_requirements_and_collects_static():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install -r requirements.txt" in dockerfile
    assert "collectstatic" in dockerfile
    assert "libpango" in dockerfile  # WeasyPrint


def test_no_asset_is_fetched_from_another_site():
    """Every stylesheet, script, image and font comes from the app itself."""
    pattern = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.I)
    css_pattern = re.compile(r"""@import\s+url\(\s*["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//""", re.I)
    offenders = []
    for path in [*ROOT.glob("templates/**/*.html"), *ROOT.glob("*/templates/**/*.html")]:
        if pattern.search(path.read_text()):
            offenders.append(str(path))
    for path in ROOT.glob("static/**/*.css"):
        if css_pattern.search(path.read_text()):
            offenders.append(str(path))
    assert offenders == []
