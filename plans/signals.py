"""Every write to the strategic plan's content moves its version on (plans.page_cache), whoever
makes it: the plan file import, the administration screens or a migration. Connected in apps.py."""

from django.db.models.signals import m2m_changed, post_delete, post_save

from . import page_cache
from .models import strategic


def _changed(sender, **kwargs) -> None:
    if kwargs.get("raw"):  # loading fixtures: the version row may not be there yet
        return
    page_cache.strategic_content_changed()


def connect() -> None:
    for model in strategic_models():
        post_save.connect(_changed, sender=model, dispatch_uid=f"content-{model._meta.label}-save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"content-{model._meta.label}-delete")
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            m2m_changed.connect(_changed, sender=through, dispatch_uid=f"content-{through._meta.label}-m2m")


def strategic_models() -> list:
    """The models of plans.models.strategic whose rows are plan content (not their history rows,
    not the version itself)."""
    from django.apps import apps

    return [
        model
        for model in apps.get_app_config("plans").get_models()
        if model.__module__ == strategic.__name__ and model is not strategic.ContentVersion
    ]
