"""Every academic year has its three terms from the moment it exists (reviews.services.ensure_terms);
the central team then sets the trust's own dates. Connected in apps.py."""

from . import services


def year_saved(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        services.ensure_terms(instance)
