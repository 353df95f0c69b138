"""GET /health/: for load balancers, `docker compose` and people. Cheap: one query, one Redis PING
with a half-second limit. 503 only when the database is down (the app cannot work without it);
a missing broker or a silent worker is reported in the body, since pages still answer."""

from datetime import timedelta

import redis
from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .models import Heartbeat

# A worker that has not answered for this long (a few missed heartbeats) is reported as late.
WORKER_LATE_AFTER = timedelta(seconds=settings.HEARTBEAT_SECONDS * 4)


def _redact(url: str) -> str:
    return url.split("@")[-1]


def broker_status() -> str:
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return f"not used ({url.split(':')[0]} broker)"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5).ping()
    except redis.RedisError as exc:
        return f"unreachable at {_redact(url)}: {exc}"
    return "ok"


def worker_status() -> dict:
    beat = Heartbeat.objects.filter(name="worker").first()
    if beat is None:
        return {"status": "never seen", "last_answered": None}
    age = timezone.now() - beat.at
    return {
        "status": "ok" if age <= WORKER_LATE_AFTER else "late",
        "last_answered": beat.at.isoformat(),
        "seconds_ago": round(age.total_seconds()),
    }


@require_GET
@never_cache
def health(request: HttpRequest) -> JsonResponse:
    try:
        worker = worker_status()  # the one query: it proves the database answers
    except DatabaseError as exc:
        body = {"status": "down", "database": f"unreachable: {type(exc).__name__}", "redis": broker_status()}
        return JsonResponse(body, status=503)
    redis_state = broker_status()
    ok = redis_state == "ok" or redis_state.startswith("not used")
    return JsonResponse(
        {
            "status": "ok" if ok and worker["status"] == "ok" else "degraded",
            "database": "ok",
            "redis": redis_state,
            "worker": worker,
        }
    )
