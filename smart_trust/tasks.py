from celery import shared_task


@shared_task
def ping() -> str:
    """Answered by a running worker; `manage.py check_worker` and the CI worker test use it."""
    return "pong"
