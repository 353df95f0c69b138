from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reviews"
    verbose_name = "Termly ratings"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from plans.models import AcademicYear, PlanEvent
        from plans.services import pocket_guide_published

        from . import pdf, signals  # noqa: F401 - pdf registers the Board report's renderer for the worker
        from .models import TermDates

        post_save.connect(signals.year_saved, sender=AcademicYear, dispatch_uid="reviews-year-terms")
        post_save.connect(signals.term_saved, sender=TermDates, dispatch_uid="reviews-term-stages")
        post_save.connect(signals.plan_event_saved, sender=PlanEvent, dispatch_uid="reviews-plan-event-notices")
        pocket_guide_published.connect(signals.pocket_guide_published, dispatch_uid="reviews-guide-published")
