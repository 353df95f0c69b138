from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reviews"
    verbose_name = "Termly ratings"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from plans.models import AcademicYear, Action, PlanEvent, SchoolPlan
        from plans.services import pocket_guide_published

        # pdf registers the Board report's renderer for the worker; tasks registers the cycle's
        # jobs, which the outbox hands over by name.
        from . import pdf, signals, tasks  # noqa: F401
        from .models import ComplianceArea, ComplianceCheck, Stage, StageDone, TermDates

        for model in (SchoolPlan, Action, Stage, StageDone, ComplianceArea, ComplianceCheck, TermDates):
            for signal in (post_save, post_delete):
                signal.connect(signals.cycle_data_changed, sender=model, dispatch_uid=f"reviews-cycle-{model.__name__}")

        post_save.connect(signals.year_saved, sender=AcademicYear, dispatch_uid="reviews-year-terms")
        post_save.connect(signals.term_saved, sender=TermDates, dispatch_uid="reviews-term-stages")
        post_save.connect(signals.plan_event_saved, sender=PlanEvent, dispatch_uid="reviews-plan-event-notices")
        pocket_guide_published.connect(signals.pocket_guide_published, dispatch_uid="reviews-guide-published")
