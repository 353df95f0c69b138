from celery import shared_task
from django.utils import timezone

from .jobs import drain
from .models import Heartbeat


@shared_task
def ping() -> str:
    """Answered by a running worker; `manage.py check_worker` and the CI worker test use it."""
    return "pong"


@shared_task(ignore_result=True)
def heartbeat() -> int:
    """Scheduled by beat (CELERY_BEAT_SCHEDULE): records that a worker answered, for /health/, and
    sends any jobs that waited in the outbox while the broker was down. Safe to run twice."""
    Heartbeat.objects.update_or_create(name="worker", defaults={"at": timezone.now()})
    return drain()


@shared_task(ignore_result=True, acks_late=True)
def render_pdf(kind: str, key: str, *args) -> str:
    """Render a long PDF (the full plan) off the request path; safe to run twice (smart_trust.pdf)."""
    from . import pdf

    return pdf.render_now(kind, key, *args)
