from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "governance"
    verbose_name = "People and roles"

    def ready(self) -> None:
        from . import signals

        signals.connect()
