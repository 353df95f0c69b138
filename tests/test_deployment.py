"""The full stack's files, read as `docker compose` would (no Docker engine runs here)."""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
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
        # The worker renders the full plan's PDF that the web serves: one store for both.
        assert "pdfs:/app/var/pdfs" in services[name]["volumes"]
        assert env["SITE_URL"] == "http://localhost:8000"
    assert "pdfs" in compose()["volumes"]
    db_env = services["db"]["environment"]
    url = services["web"]["environment"]["DATABASE_URL"]
    assert url == f"postgres://{db_env['POSTGRES_USER']}:{db_env['POSTGRES_PASSWORD']}@db:5432/{db_env['POSTGRES_DB']}"


def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (INSTRUCTION, arguments), continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def image_copy(target: Path) -> None:
    """What `COPY . .` puts in the image: the repository less what .dockerignore leaves out."""
    ignored = [p.strip() for p in (ROOT / ".dockerignore").read_text().splitlines() if p.strip()]
    patterns = [p.removeprefix("**/") for p in ignored]
    shutil.copytree(ROOT, target, ignore=shutil.ignore_patterns(*patterns))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_image_builds_its_static_files_and_serves_them_with_its_own_command(tmp_path):
    """Run the Dockerfile's own build step and start command (with the bind address moved to a
    free loopback port): production settings, only a secret from the environment, static files
    collected, hashed and served by the web process itself."""
    steps = dockerfile()
    env_line = next(args for op, args in steps if op == "ENV")
    build_env = dict(pair.split("=", 1) for pair in env_line.split())
    apt = next(args for op, args in steps if op == "RUN" and "apt-get install" in args)
    assert "libpango-1.0-0" in apt and "fonts-dejavu-core" in apt  # what WeasyPrint needs at run time
    assert any(op == "RUN" and args == "pip install -r requirements.txt" for op, args in steps)

    app = tmp_path / "app"
    image_copy(app)
    assert not (app / ".venv").exists() and not (app / "db.sqlite3").exists()
    base_env = {
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        **build_env,
    }
    collect = next(args for op, args in steps if op == "RUN" and "collectstatic" in args)
    built = subprocess.run(["sh", "-c", collect], cwd=app, env=base_env, capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    manifest = json.loads((app / "staticfiles" / "staticfiles.json").read_text())
    hashed_css = manifest["paths"]["css/app.css"]
    assert hashed_css != "css/app.css"

    cmd = json.loads(next(args for op, args in steps if op == "CMD"))
    assert cmd[:2] == ["gunicorn", "smart_trust.wsgi:application"]
    port = free_port()
    cmd[cmd.index("--bind") + 1] = f"127.0.0.1:{port}"
    # Plain HTTP on loopback, as behind a TLS proxy that does the redirect itself.
    run_env = {
        **base_env,
        "SECRET_KEY": "a-run-time-secret",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
    }
    server = subprocess.Popen(cmd, cwd=app, env=run_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/{hashed_css}", timeout=5) as response:
                    assert response.status == 200
                    assert "max-age=315360000" in response.headers["Cache-Control"]  # hashed: cached for good
                    assert b"{" in response.read()
                break
            except (ConnectionError, TimeoutError, urllib.error.URLError):  # still booting on a busy machine
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "gunicorn did not answer within 30 s"
                time.sleep(0.3)
    finally:
        server.terminate()
        server.wait(timeout=30)


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
