"""What the load test (ops/load.py) and the benchmark (ops/bench.py) share: a scratch PostgreSQL
database beside DATABASE_URL's, the production settings for it, and gunicorn on a free loopback port.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/smart_trust"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd: list[str], env: dict, timeout: float = 600) -> str:
    """Run a command in the project directory; stop the whole script with its output if it fails."""
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode:
        sys.exit(f"{' '.join(cmd[:3])} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def database_url() -> str:
    url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (a scratch database is made beside it).")
    return url


def scratch_database(url: str, suffix: str, *, keep: bool = False) -> tuple[str, bool]:
    """The URL of DATABASE_URL's name + suffix, and whether it was made new. With keep, an existing
    one is left as it is; otherwise it is dropped and made again, empty."""
    server, name = url.split("?")[0].rsplit("/", 1)
    scratch = f"{name}{suffix}"
    admin = psycopg2.connect(f"{server}/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [scratch])
        exists = cursor.fetchone() is not None
        if not (keep and exists):
            cursor.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{scratch}"')
    admin.close()
    return f"{server}/{scratch}", not (keep and exists)


def production_env(db_url: str, **extra: str) -> dict:
    """The app's environment as production runs it (DEBUG off, a secret key), on plain loopback HTTP."""
    env = {**os.environ, "DATABASE_URL": db_url, "DJANGO_SETTINGS_MODULE": "smart_trust.settings",
           "PYTHONPATH": str(ROOT), "DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(40),
           "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "false", "SECURE_HSTS_SECONDS": "0",
           "SESSION_COOKIE_SECURE": "false", "CSRF_COOKIE_SECURE": "false", **extra}  # fmt: skip
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    return env


def start_gunicorn(
    app: str, env: dict, *, workers: int, ready_path: str = "/health/", cwd: Path = ROOT
) -> tuple[subprocess.Popen, str]:
    """gunicorn (sync workers) serving `app` on 127.0.0.1 at a free port, once `ready_path` answers;
    returns the process and the base URL. Stop it with stop()."""
    port = free_port()
    log = tempfile.TemporaryFile(mode="w+")  # not a pipe: a full pipe nobody reads would stop the server
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--worker-class", "sync", "--timeout", "60"],
        cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=log, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(base + ready_path, timeout=5).close()  # noqa: S310 - loopback
            return server, base
        except OSError:
            if server.poll() is not None:
                log.seek(0)
                sys.exit(f"gunicorn ({app}) stopped: {log.read()}")
            time.sleep(0.5)
    stop(server)
    sys.exit(f"gunicorn ({app}) did not answer {ready_path} within a minute")


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
