"""Queue a Celery job from a request without ever waiting on the broker, and without losing it.

`enqueue(task, *args)` writes an OutboxJob in the caller's transaction and, once that commits,
hands it to the broker with short timeouts (settings: CELERY_BROKER_CONNECTION_TIMEOUT and the
publish retry policy, about a second in all). If the broker is down the job stays in the outbox
and the request goes on; the worker's heartbeat (every HEARTBEAT_SECONDS) sends what waits.
Delivery is at least once: a job may run twice if the process dies between the broker taking it
and the row being deleted, so tasks must be safe to run twice (docs/operations.md).
"""

import logging

from celery import current_app
from django.db import transaction

from .models import OutboxJob

logger = logging.getLogger(__name__)


def enqueue(task, *args, **kwargs) -> OutboxJob:
    job = OutboxJob.objects.create(task=task.name, args=list(args), kwargs=kwargs)
    transaction.on_commit(lambda: send(job.pk))
    return job


def send(pk: int) -> bool:
    """Hand one waiting job to the broker; False (and the job kept) if the broker is unreachable."""
    with transaction.atomic():
        job = OutboxJob.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
        if job is None:  # already sent, or another process is sending it
            return False
        try:
            current_app.tasks[job.task].apply_async(args=job.args, kwargs=job.kwargs)
        except Exception as exc:  # the broker's errors vary by transport; the job simply waits
            job.attempts += 1
            job.last_error = " ".join(f"{type(exc).__name__}: {exc}".split())[:500]
            job.save(update_fields=["attempts", "last_error"])
            logger.warning("Broker unreachable; job %s waits in the outbox: %s", job, job.last_error)
            return False
        job.delete()
        return True


def drain(limit: int = 500) -> int:
    """Send the jobs that wait, oldest first; stops at the first failure. Returns how many went."""
    sent = 0
    for pk in OutboxJob.objects.values_list("pk", flat=True)[:limit]:
        if not send(pk):
            break
        sent += 1
    return sent
