"""Queue a Celery job from a request without ever waiting on the broker, and without losing it.

`enqueue(task, *args)` writes an OutboxJob in the caller's transaction and, once that commits,
hands it to the broker with short timeouts (settings: CELERY_BROKER_CONNECTION_TIMEOUT and the
publish retry policy, about a second in all). If the broker is down the job stays in the outbox
and the request goes on; the worker's heartbeat (every HEARTBEAT_SECONDS) sends what waits.
A job that fails for another reason (its task renamed or removed, arguments that cannot be
serialised) keeps the error on its row and is skipped, so it never holds up the jobs behind it.
Delivery is at least once: a job may run twice if the process dies between the broker taking it
and the row being deleted, so tasks must be safe to run twice (docs/operations.md).
"""

import logging
from enum import Enum

from celery import current_app
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .models import OutboxJob

logger = logging.getLogger(__name__)

# What "the broker cannot be reached" looks like, whatever the transport; anything else is the job's fault.
BROKER_DOWN = (BrokerError, OSError, RedisConnectionError, RedisTimeoutError)


class Sent(Enum):
    SENT = "sent"
    BROKER_DOWN = "broker down"  # the job waits; the next ones would too, so a drain stops
    FAILED = "failed"  # the job itself is at fault; recorded on its row and skipped
    TAKEN = "taken"  # already sent, or another process is sending it


def enqueue(task, *args, **kwargs) -> OutboxJob:
    job = OutboxJob.objects.create(task=task.name, args=list(args), kwargs=kwargs)
    transaction.on_commit(lambda: send(job.pk))
    return job


def enqueue_named(name: str, *args, **kwargs) -> OutboxJob:
    """`enqueue` by the task's registered name, for a module the task's own module imports."""
    job = OutboxJob.objects.create(task=name, args=list(args), kwargs=kwargs)
    transaction.on_commit(lambda: send(job.pk))
    return job


def _record(job: OutboxJob, error: str) -> None:
    job.attempts += 1
    job.last_error = " ".join(error.split())[:500]
    job.save(update_fields=["attempts", "last_error"])


def send(pk: int) -> Sent:
    """Hand one waiting job to the broker; the job is deleted only once the broker has it."""
    with transaction.atomic():
        job = OutboxJob.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
        if job is None:
            return Sent.TAKEN
        task = current_app.tasks.get(job.task)
        if task is None:
            _record(job, f"Unknown task {job.task}: renamed or removed since queued")
            logger.error("Outbox job %s skipped: %s", job, job.last_error)
            return Sent.FAILED
        try:
            task.apply_async(args=job.args, kwargs=job.kwargs)
        except BROKER_DOWN as exc:
            _record(job, f"{type(exc).__name__}: {exc}")
            logger.warning("Broker unreachable; job %s waits in the outbox: %s", job, job.last_error)
            return Sent.BROKER_DOWN
        except Exception as exc:  # the job's own fault (e.g. its arguments); the others still go
            _record(job, f"{type(exc).__name__}: {exc}")
            logger.exception("Outbox job %s could not be sent and is skipped", job)
            return Sent.FAILED
        job.delete()
        return Sent.SENT


def drain(limit: int = 500) -> int:
    """Send the jobs that wait, oldest first, skipping any that fail on their own account; stops
    when the broker is unreachable (the rest would wait too). Returns how many went."""
    sent = 0
    for pk in OutboxJob.objects.values_list("pk", flat=True)[:limit]:
        result = send(pk)
        if result is Sent.BROKER_DOWN:
            break
        sent += result is Sent.SENT
    return sent
