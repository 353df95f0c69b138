"""Every change to a person, a role or a school moves the "people" data version on
(smart_trust.rendered), whoever makes it (the people pages, the CSV import, the administration
screens), so the people list kept per version shows it at once. Connected in apps.py."""

from django.conf import settings
from django.db.models.signals import post_delete, post_save

from schools.models import School
from smart_trust.rendered import data_changed

from .models import RoleAssignment

PEOPLE = "people"


def _changed(sender, raw=False, update_fields=None, **kwargs) -> None:
    if raw or (update_fields is not None and set(update_fields) <= {"last_login"}):
        return  # loading fixtures; signing in (last_login) changes nothing the lists show
    data_changed(PEOPLE)


def connect() -> None:
    for model in (settings.AUTH_USER_MODEL, RoleAssignment, School):
        label = model if isinstance(model, str) else model._meta.label
        post_save.connect(_changed, sender=model, dispatch_uid=f"people-{label}-save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"people-{label}-delete")
