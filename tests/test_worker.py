"""A real Celery worker takes a job from the configured broker (Redis in CI) and answers it."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from tests.conftest import in_ci
from tests.test_ops_broker import database_url

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_answers_through_the_broker_and_its_heartbeat_reaches_health(client, tmp_path):
    if in_ci():
        assert settings.CELERY_BROKER_URL.startswith("redis://"), "CI must run the worker against Redis"
    if connection.vendor == "sqlite":
        pytest.skip("the worker needs a database it can share with the test (PostgreSQL)")
    # The worker (with beat) writes its heartbeat to this test's database, every second here.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "smart_trust.settings", "DEBUG": "true",
           "DATABASE_URL": database_url(), "HEARTBEAT_SECONDS": "1"}  # fmt: skip
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    assert client.get(reverse("health")).json()["worker"]["status"] == "never seen"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "smart_trust", "worker", "--beat", "--pool=solo", "--loglevel=warning",
         "--without-mingle", "--without-gossip", "--hostname", f"test-{os.getpid()}@%h",
         "--schedule", str(tmp_path / "beat-schedule")],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        result = None
        while time.monotonic() < deadline:
            check = subprocess.run(
                [sys.executable, "manage.py", "check_worker", "--timeout", "10"],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            result = check
            if check.returncode == 0:
                break
            assert worker.poll() is None, f"worker exited: {worker.stdout.read()}"
        assert result is not None and result.returncode == 0, result.stderr
        assert "Worker answered: pong" in result.stdout
        while time.monotonic() < deadline:
            body = client.get(reverse("health")).json()
            if body["worker"]["status"] == "ok":
                break
            time.sleep(0.5)
        assert body["worker"]["status"] == "ok", body
        assert body["worker"]["seconds_ago"] < 10
        assert body["redis"] == "ok" or not in_ci()
    finally:
        worker.terminate()
        worker.wait(timeout=30)
