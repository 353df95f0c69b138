"""Connected in apps.py:
- every academic year has its three terms from the moment it exists (reviews.services.ensure_terms);
  the central team then sets the trust's own dates;
- a term's rating stages follow its window (reviews.cycle.sync_term_stages);
- each step of a plan's life tells the people it concerns, in the step's transaction
  (reviews.notify.plan_step), and so does publishing the pocket guide (the May e-mail)."""

from smart_trust.rendered import data_changed

from . import cycle, notify, services


def year_saved(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        services.ensure_terms(instance)


def term_saved(sender, instance, raw: bool = False, **kwargs) -> None:
    if not raw:
        cycle.sync_term_stages(instance)


def plan_event_saved(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        notify.plan_step(instance)


def pocket_guide_published(sender, guide, by, **kwargs) -> None:
    notify.guide_published(guide)


def cycle_data_changed(sender, raw: bool = False, **kwargs) -> None:
    """What reviews.cycle.owing reads has changed: the home page's list is worked out again."""
    if not raw:
        data_changed(cycle.CYCLE)
