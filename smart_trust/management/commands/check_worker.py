from celery.exceptions import TimeoutError as CeleryTimeout
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from smart_trust.tasks import ping


class Command(BaseCommand):
    help = "Send a job through the broker and wait for a worker to answer it."

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=20.0)

    def handle(self, *args, **options):
        try:
            answer = ping.delay().get(timeout=options["timeout"])
        except CeleryTimeout as exc:
            raise CommandError(
                f"No worker answered within {options['timeout']} s on {settings.CELERY_BROKER_URL.split('@')[-1]}. "
                "Start one with: celery -A smart_trust worker"
            ) from exc
        self.stdout.write(self.style.SUCCESS(f"Worker answered: {answer}"))
