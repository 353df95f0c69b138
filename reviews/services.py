"""Changing ratings and terms. Every write is attributed (history: who, when, why) and moves the
ratings' data version on in the same transaction, so kept figures are redone (smart_trust.rendered).

Who may do what is asked of governance.policy by the views; the services check what the data must
obey whoever asks: the term's window, the rating rules (reviews.rules), and that nobody's rating is
overwritten by an edit made on an old copy of it.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from plans.models import AcademicYear, Action, Aim, Evidence, Priority, SchoolPlan, Term
from smart_trust.rendered import data_changed

from . import rules
from .models import Rating, ReviewSettings, TermDates, TermReopening, Voice

RATINGS = "ratings"

# The usual English school year: (term, (start month, day), (end month, day), window opens, closes),
# months from September (the academic year's first) on. Each new year gets these; the central team
# changes them to the trust's own dates.
TERM_TEMPLATE = [
    (Term.AUTUMN, (9, 4), (12, 20), (11, 18), (12, 13)),
    (Term.SPRING, (1, 6), (3, 28), (3, 1), (3, 20)),
    (Term.SUMMER, (4, 14), (7, 22), (6, 16), (7, 11)),
]


class RatingRefused(ValidationError):
    """The rating cannot be kept as it is: the message (by field) says what to change."""


class RatingConflict(Exception):
    """Someone else changed the rating since the person opened it; `current` is theirs."""

    def __init__(self, current: Rating):
        super().__init__("Someone else rated this since you opened the page.")
        self.current = current


def settings_for(trust) -> ReviewSettings:
    found = ReviewSettings.objects.filter(trust=trust).first()
    return found or ReviewSettings(trust=trust)


def _date(start_year: int, month_day: tuple[int, int]) -> datetime.date:
    month, day = month_day
    return datetime.date(start_year if month >= 9 else start_year + 1, month, day)


def ensure_terms(academic_year: AcademicYear) -> list[TermDates]:
    """The year's three terms, made from the template where they are missing."""
    for term, starts, ends, opens, closes in TERM_TEMPLATE:
        y = academic_year.start_year
        TermDates.objects.get_or_create(
            academic_year=academic_year,
            term=term,
            defaults={
                "starts": _date(y, starts),
                "ends": _date(y, ends),
                "rating_opens": _date(y, opens),
                "rating_closes": _date(y, closes),
            },
        )
    return list(TermDates.objects.filter(academic_year=academic_year).select_related("academic_year"))


def _attribute(obj, by, reason: str) -> None:
    obj._history_user = by
    obj._change_reason = reason[:100]


def _check_open(term: TermDates, today: datetime.date) -> None:
    if not term.is_open(today):
        if today < term.rating_opens:
            when = f"opens on {term.rating_opens:%-d %B %Y}"
        else:
            when = f"closed on {term.rating_closes:%-d %B %Y}; only the CEO can reopen it"
        raise RatingRefused(f"Ratings for {term.name} {term.academic_year.label} {when}.")


def evidence_on_record(*, action: Action, term: TermDates, voice: str, since: datetime.date) -> bool:
    """Evidence for this term is there already: added to the action since `since` (last term's
    end), or brought by the other voice of the school's two (a figure or evidence)."""
    if Evidence.objects.filter(action=action, added_at__date__gt=since).exists():
        return True
    other = Voice.GOVERNORS if voice == Voice.SELF else Voice.SELF
    return Rating.objects.filter(action=action, term=term, voice=other).exclude(current_value="", evidence="").exists()


def last_term_end(term: TermDates) -> datetime.date:
    """The day the term before this one ended (this term's first day when there is none)."""
    before = TermDates.objects.filter(ends__lt=term.starts).order_by("-ends").values_list("ends", flat=True).first()
    return before or term.starts - datetime.timedelta(days=1)


@transaction.atomic
def rate(
    *,
    term: TermDates,
    voice: str,
    item: Action | Priority | Aim,
    value: str,
    commentary: str = "",
    current_value: str = "",
    evidence: str = "",
    by,
    expected_version: int | None,
    today: datetime.date | None = None,
) -> Rating:
    """Keep `by`'s rating of `item` for `term` in `voice`: the one current rating of that item,
    term and voice, replacing the one before (kept in history). `expected_version` is the version
    the person saw (None: they saw none); a different one raises RatingConflict."""
    today = today or timezone.localdate()
    # The term as it stands now (a reopening may have just arrived); not locked, so governors rating
    # at the same time across the trust never wait on each other.
    term = TermDates.objects.select_related("academic_year").get(pk=term.pk)
    _check_open(term, today)
    target = _target(item)
    if isinstance(item, Aim):
        trust = item.plan.trust
        plan = None
    else:
        plan = SchoolPlan.objects.select_related("trust").get(pk=item.plan_id)
        trust = plan.trust
        if not plan.is_published:
            raise RatingRefused("Ratings start once the plan is finalised.")
        if plan.academic_year_id != term.academic_year_id:
            raise RatingRefused(f"This plan is for {plan.academic_year.label}, not {term.academic_year.label}.")
    measured = isinstance(item, Action) and item.criteria.filter(target__isnull=False).exists()
    on_record = isinstance(item, Action) and evidence_on_record(
        action=item, term=term, voice=voice, since=last_term_end(term)
    )
    found = rules.problems(
        value=value,
        commentary=commentary,
        current_value=current_value,
        evidence=evidence,
        offered=settings_for(trust).values,
        measured=measured,
        evidence_on_record=on_record,
    )
    if found:
        raise RatingRefused(found)
    current = Rating.objects.select_for_update().filter(term=term, voice=voice, **target).first()
    if current is not None and expected_version != current.version:
        raise RatingConflict(current)
    fields = {
        "value": value,
        "commentary": commentary.strip(),
        "current_value": current_value.strip(),
        "evidence": evidence.strip(),
    }
    if current is None:
        current = Rating(term=term, voice=voice, plan=plan, by=by, **target, **fields)
        reason = "Rated"
    else:
        if all(getattr(current, k) == v for k, v in fields.items()):
            return current  # the same rating again (a double click): nothing to keep
        for k, v in fields.items():
            setattr(current, k, v)
        current.by = by
        current.version += 1
        reason = "Rating changed"
    current.at = timezone.now()
    current.full_clean(exclude=["term", "plan", "action", "priority", "aim", "by"])
    _attribute(current, by, reason)
    try:
        with transaction.atomic():
            current.save()
    except IntegrityError:
        # Someone else's first rating of the item arrived in the same moment: theirs stands.
        raise RatingConflict(Rating.objects.get(term=term, voice=voice, **target)) from None
    data_changed(RATINGS)
    return current


def _target(item) -> dict:
    if isinstance(item, Action):
        return {"action": item}
    if isinstance(item, Priority):
        return {"priority": item}
    if isinstance(item, Aim):
        return {"aim": item}
    raise TypeError(f"Ratings are of actions, priorities and aims, not {type(item).__name__}")


@transaction.atomic
def reopen(
    *, term: TermDates, until: datetime.date, reason: str, by, today: datetime.date | None = None
) -> TermReopening:
    """The CEO opens a term's ratings again until `until`, saying why (kept, never edited)."""
    today = today or timezone.localdate()
    errors = {}
    if not reason.strip():
        errors["reason"] = "Say why the term is reopened: the governors and the Board will read it."
    if until < today:
        errors["until"] = f"Choose a day from today ({today:%-d %B %Y}) on."
    elif until > today + datetime.timedelta(days=92):
        errors["until"] = "Reopen for at most three months: choose an earlier day."
    if errors:
        raise ValidationError(errors)
    term = TermDates.objects.select_for_update().get(pk=term.pk)
    reopening = TermReopening.objects.create(term=term, by=by, until=until, reason=reason.strip())
    term.reopened_until = until
    _attribute(term, by, f"Reopened until {until:%-d %b %Y}")
    term.save(update_fields=["reopened_until"])
    data_changed(RATINGS)
    return reopening


@transaction.atomic
def term_save(*, term: TermDates, by) -> TermDates:
    """Keep new dates for a term (the central team's form has checked them)."""
    term.full_clean()
    _attribute(term, by, "Dates changed")
    term.save()
    data_changed(RATINGS)
    return term


@transaction.atomic
def settings_save(*, trust, values: dict, by) -> ReviewSettings:
    """Keep the trust's review settings (which values beyond Red, Amber and Green are offered, and
    whether staff read ratings); the first save makes the trust's row."""
    current = ReviewSettings.objects.select_for_update().filter(trust=trust).first() or ReviewSettings(trust=trust)
    changed = current.pk is None or any(getattr(current, k) != v for k, v in values.items())
    if not changed:
        return current
    for name, value in values.items():
        setattr(current, name, value)
    current.full_clean()
    _attribute(current, by, "Review settings changed")
    current.save()
    data_changed(RATINGS)
    return current
