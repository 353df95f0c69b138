from celery import current_app
from celery.exceptions import TimeoutError as CeleryTimeout
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from smart_trust.tasks import ping


class Command(BaseCommand):
    help = "Send a job through the broker and wait for a worker to answer it."

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=20.0)

    def handle(self, *args, **options):
        where = settings.CELERY_BROKER_URL.split("@")[-1]
        try:
            with current_app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, timeout=2)
            answer = ping.delay().get(timeout=options["timeout"])
        except CeleryTimeout as exc:
            raise CommandError(
                f"No worker answered within {options['timeout']} s on {where}. "
                "Start one with: celery -A smart_trust worker"
            ) from exc
        except (OperationalError, RedisError, OSError, RuntimeError) as exc:
            # RuntimeError: Celery's Redis result store gives up reconnecting with one.
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise CommandError(
                f"The broker at {where} cannot be reached ({reason}). Start Redis, or point REDIS_URL at a running one."
            ) from exc
        self.stdout.write(self.style.SUCCESS(f"Worker answered: {answer}"))
