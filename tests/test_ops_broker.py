"""Redis down: a request never waits on the broker, no job is lost, /health/ and check_worker say so."""

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from django.db import OperationalError, connection
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError

from smart_trust import jobs
from smart_trust.models import Heartbeat, OutboxJob
from smart_trust.tasks import heartbeat, ping

ROOT = Path(__file__).resolve().parent.parent
CLOSED = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def run(code: str, **env) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "smart_trust.settings", "DEBUG": "true", "PYTHONPATH": str(ROOT),
           "REDIS_URL": CLOSED, **env}  # fmt: skip
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_with_redis_down_queuing_and_health_answer_within_two_seconds_and_the_job_waits():
    if connection.vendor == "sqlite":
        pytest.skip("the subprocess needs a database file it can share")
    done = run(
        """
        import json, time
        import django
        django.setup()
        from django.db import transaction
        from django.test import RequestFactory
        from smart_trust.health import health
        from smart_trust.jobs import enqueue
        from smart_trust.models import OutboxJob
        from smart_trust.tasks import ping
        started = time.monotonic()
        with transaction.atomic():
            enqueue(ping)
        queued = time.monotonic() - started
        started = time.monotonic()
        response = health(RequestFactory().get("/health/"))
        print(json.dumps({"queued": queued, "health": time.monotonic() - started, "status": response.status_code,
                          "body": json.loads(response.content), "waiting": OutboxJob.objects.count()}))
        """,
        DATABASE_URL=database_url(),
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["queued"] < 2, result
    assert result["health"] < 2, result
    assert result["waiting"] == 1  # kept for the worker's heartbeat to send later
    assert result["status"] == 200
    assert result["body"]["database"] == "ok"
    assert result["body"]["redis"].startswith("unreachable at redis://127.0.0.1:1/0")
    assert result["body"]["status"] == "degraded"
    job = OutboxJob.objects.get()
    assert job.task == "smart_trust.tasks.ping" and job.attempts == 1 and job.last_error


@pytest.mark.django_db(transaction=True)
def test_with_redis_down_the_cached_pages_still_answer_rendered_afresh(demo_live):
    """The page cache lives in Redis in production: with Redis down, every page is rendered as if
    nothing were kept (plans.page_cache, smart_trust.rendered), quickly, never an error page."""
    if connection.vendor == "sqlite":
        pytest.skip("the subprocess needs a database file it can share")
    done = run(
        """
        import json, time
        import django
        django.setup()
        from django.conf import settings
        from django.test import Client
        started = time.monotonic()
        pages = ["/plans/tsp-2022-27/", "/plans/tsp-2022-27/aims/TSP1/", "/plans/tsp-2022-27/pocket-guide/2023-24/"]
        answers = [Client().get(page) for page in pages]
        print(json.dumps({"seconds": time.monotonic() - started, "codes": [a.status_code for a in answers],
                          "cache": settings.CACHES["default"]["BACKEND"],
                          "aim": "Key drivers" in answers[1].content.decode()}))
        """,
        DATABASE_URL=database_url(),
        ALLOWED_HOSTS="testserver",
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert result["codes"] == [200, 200, 200] and result["aim"]
    assert result["seconds"] < 3, result


def test_check_worker_with_redis_down_says_so_and_fails_without_a_traceback():
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "manage.py", "check_worker", "--timeout", "5"], cwd=ROOT, capture_output=True, text=True,
        timeout=60, env={**os.environ, "DEBUG": "true", "REDIS_URL": CLOSED},
    )  # fmt: skip
    assert time.monotonic() - started < 15
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "The broker at redis://127.0.0.1:1/0 cannot be reached" in done.stderr
    assert "Start Redis, or point REDIS_URL at a running one." in done.stderr


def test_a_queued_job_goes_to_the_broker_after_commit_and_leaves_the_outbox(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        jobs.enqueue(ping)
        assert OutboxJob.objects.count() == 1  # written with the change, sent only after commit
    assert OutboxJob.objects.count() == 0


def test_a_job_the_broker_refused_waits_and_the_heartbeat_sends_it(db, django_capture_on_commit_callbacks, monkeypatch):
    def refuse(*args, **kwargs):
        raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(ping, "apply_async", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        jobs.enqueue(ping)
    job = OutboxJob.objects.get()
    assert job.attempts == 1 and "Connection refused" in job.last_error
    monkeypatch.undo()
    assert heartbeat() == 1
    assert OutboxJob.objects.count() == 0
    assert Heartbeat.objects.get(name="worker").at > timezone.now() - timezone.timedelta(seconds=5)


def test_an_unknown_task_ahead_of_a_good_job_keeps_its_error_and_does_not_block_it(db):
    gone = OutboxJob.objects.create(task="smart_trust.tasks.renamed_long_ago")
    good = OutboxJob.objects.create(task=ping.name)
    assert jobs.drain() == 1
    assert not OutboxJob.objects.filter(pk=good.pk).exists()  # sent, though queued after the unknown one
    gone.refresh_from_db()
    assert gone.attempts == 1
    assert gone.last_error == "Unknown task smart_trust.tasks.renamed_long_ago: renamed or removed since queued"


def test_a_job_that_fails_for_another_reason_is_recorded_and_skipped(db, monkeypatch):
    bad = OutboxJob.objects.create(task=ping.name)
    OutboxJob.objects.create(task=ping.name)
    real = ping.apply_async

    def fail_once(*args, **kwargs):
        monkeypatch.setattr(ping, "apply_async", real)  # the next job goes through
        raise TypeError("Object of type Decimal is not JSON serializable")

    monkeypatch.setattr(ping, "apply_async", fail_once)
    assert jobs.drain() == 1
    assert list(OutboxJob.objects.values_list("pk", flat=True)) == [bad.pk]  # good was sent
    bad.refresh_from_db()
    assert bad.attempts == 1 and bad.last_error == "TypeError: Object of type Decimal is not JSON serializable"


@pytest.mark.parametrize(
    "down",
    [
        BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused."),
        ConnectionRefusedError(111, "Connection refused"),
        RedisConnectionError("Error 111 connecting to 127.0.0.1:6379."),
    ],
)
def test_a_broker_down_error_stops_the_drain(db, monkeypatch, down):
    calls = []

    def refuse(*args, **kwargs):
        calls.append(kwargs)
        raise down

    monkeypatch.setattr(ping, "apply_async", refuse)
    first, second = OutboxJob.objects.create(task=ping.name), OutboxJob.objects.create(task=ping.name)
    assert jobs.drain() == 0
    assert len(calls) == 1  # the broker is not asked again for every waiting job
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.attempts == 1 and first.last_error.startswith(type(down).__name__)
    assert second.attempts == 0 and second.last_error == ""


def test_health_reports_database_redis_and_worker(client, db, django_assert_max_num_queries):
    Heartbeat.objects.create(name="worker", at=timezone.now() - timezone.timedelta(seconds=12))
    with django_assert_max_num_queries(1):
        body = client.get(reverse("health")).json()
    assert body["database"] == "ok"
    assert body["worker"]["status"] == "ok" and body["worker"]["seconds_ago"] == 12
    if os.environ.get("REDIS_URL"):
        assert body["redis"] == "ok" and body["status"] == "ok"


def test_health_says_when_the_worker_is_late_or_never_seen(client, db):
    assert client.get(reverse("health")).json()["worker"] == {"status": "never seen", "last_answered": None}
    Heartbeat.objects.create(name="worker", at=timezone.now() - timezone.timedelta(hours=1))
    body = client.get(reverse("health")).json()
    assert body["worker"]["status"] == "late" and body["status"] == "degraded"


def test_health_is_503_with_a_clear_body_when_the_database_is_down(client, db, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(Heartbeat.objects, "filter", down)
    response = client.get(reverse("health"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down" and body["database"] == "unreachable: OperationalError"
