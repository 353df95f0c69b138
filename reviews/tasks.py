"""The review cycle's jobs. Thin: each calls reviews.notify, and each is safe to run twice (the
decisions' keys are unique; a message is sent only by the worker that holds its row)."""

from celery import shared_task

from . import notify


@shared_task(ignore_result=True, acks_late=True)
def cycle_tick() -> dict[str, int]:
    """Beat, every CYCLE_TICK_SECONDS: today's reminders, the digests in working hours, and
    whatever is due is sent."""
    return notify.tick()


@shared_task(ignore_result=True, acks_late=True)
def deliver_messages(pks: list[int]) -> int:
    """Send these messages (queued after the change that made them commits)."""
    return notify.deliver(pks)


@shared_task(ignore_result=True, acks_late=True)
def deliver_waiting() -> int:
    """Beat, every minute: send what waits (retries, and messages whose job the broker lost)."""
    return notify.deliver()
