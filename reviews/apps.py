from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reviews"
    verbose_name = "Termly ratings"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from plans.models import AcademicYear

        from . import pdf, signals  # noqa: F401 - pdf registers the Board report's renderer for the worker

        post_save.connect(signals.year_saved, sender=AcademicYear, dispatch_uid="reviews-year-terms")
