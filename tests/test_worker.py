"""A real Celery worker takes a job from the configured broker (Redis in CI) and answers it."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import in_ci

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.worker
def test_real_worker_answers_through_the_broker():
    if in_ci():
        assert settings.CELERY_BROKER_URL.startswith("redis://"), "CI must run the worker against Redis"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "smart_trust.settings", "DEBUG": "true"}
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "smart_trust", "worker", "--pool=solo", "--loglevel=warning",
         "--without-mingle", "--without-gossip", "--hostname", f"test-{os.getpid()}@%h"],
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
    finally:
        worker.terminate()
        worker.wait(timeout=30)
