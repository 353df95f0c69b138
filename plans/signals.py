"""Every write to the strategic plan's content moves its version on (plans.page_cache), whoever
makes it: the plan file import, the administration screens or a migration; and a new name (a
person's, as an action's lead or in a plan's history; a school's; the trust's) moves on the
version of every school plan that shows it, so no kept page shows the old one. Connected in
apps.py."""

from django.conf import settings
from django.db.models import F, Q
from django.db.models.signals import m2m_changed, post_delete, post_save

from schools.models import School, Trust

from . import page_cache
from .models import Action, PlanEvent, SchoolPlan, strategic
from .plan_history import ITEM_MODELS


def _changed(sender, **kwargs) -> None:
    if kwargs.get("raw"):  # loading fixtures: the version row may not be there yet
        return
    page_cache.strategic_content_changed()


def _person_saved(sender, instance, update_fields=None, raw=False, **kwargs) -> None:
    if raw or (update_fields is not None and "full_name" not in update_fields):
        return  # e.g. signing in writes last_login only
    # Where the name shows: as an action's lead, and in a plan's history as who made a change or
    # took a step. A rename is rare; this looks everywhere once.
    shown = Q(pk__in=Action.objects.filter(lead=instance).values("plan_id"))
    shown |= Q(pk__in=PlanEvent.objects.filter(by=instance).values("plan_id"))
    for model in ITEM_MODELS.values():
        shown |= Q(pk__in=model.history.filter(history_user=instance).values("plan_id"))
    SchoolPlan.objects.filter(shown).update(content_version=F("content_version") + 1)


def _owner_saved(sender, instance, raw=False, **kwargs) -> None:
    """A school's or the trust's new name shows on every page of its plans (their titles)."""
    if raw:
        return
    if isinstance(instance, Trust):
        _changed(sender)  # and on the strategic plan's pages
        plans = SchoolPlan.objects.filter(trust=instance)
    else:
        plans = SchoolPlan.objects.filter(school=instance)
    plans.update(content_version=F("content_version") + 1)


def connect() -> None:
    # The trust's and a school's names show on the plans' pages too.
    post_save.connect(_owner_saved, sender=Trust, dispatch_uid="content-trust-save")
    post_save.connect(_owner_saved, sender=School, dispatch_uid="content-school-save")
    post_save.connect(_person_saved, sender=settings.AUTH_USER_MODEL, dispatch_uid="content-person-name")
    for model in strategic_models():
        post_save.connect(_changed, sender=model, dispatch_uid=f"content-{model._meta.label}-save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"content-{model._meta.label}-delete")
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            m2m_changed.connect(_changed, sender=through, dispatch_uid=f"content-{through._meta.label}-m2m")


def strategic_models() -> list:
    """The models of plans.models.strategic whose rows are plan content (not their history rows)."""
    from django.apps import apps

    return [model for model in apps.get_app_config("plans").get_models() if model.__module__ == strategic.__name__]
