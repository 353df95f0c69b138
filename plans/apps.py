from django.apps import AppConfig


class PlansConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "plans"

    def ready(self) -> None:
        from . import pdf_plan, signals  # noqa: F401 - pdf_plan registers the full plan's renderer for the worker

        signals.connect()
