"""What a person's home page says is waiting for them: ratings to give while a term is open.

A governor reads "Rate the Saltash SDP for the spring term, open until 20 March: 12 of 60 rated";
a head or leader what awaits their self-assessment; a trustee the trust's aims; the CEO the
heatmap's summary. A fixed number of queries, whatever the number of schools.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from governance import policy
from plans.models import Action, Aim, SchoolPlan
from plans.models.school_plans import PUBLISHED_STATES
from schools.models import Trust

from . import rules, selectors
from .models import Rating, TermDates, Voice


@dataclass(frozen=True)
class Waiting:
    text: str
    url: str
    done: int
    total: int
    until: datetime.date

    @property
    def finished(self) -> bool:
        return self.total > 0 and self.done >= self.total


@dataclass(frozen=True)
class TrustSummary:
    term: TermDates
    schools: int
    spread: rules.Spread
    not_rated: int
    disputed: int
    schools_not_started: int


def open_terms(today: datetime.date) -> list[TermDates]:
    return list(
        TermDates.objects.filter(
            Q(rating_opens__lte=today, rating_closes__gte=today) | Q(reopened_until__gte=today)
        ).select_related("academic_year")
    )


def waiting_for(user, today: datetime.date | None = None, terms: list[TermDates] | None = None) -> list[Waiting]:
    """`terms`: the terms open today, when the caller has them already."""
    today = today or timezone.localdate()
    if not policy.held_roles(user):
        return []
    terms = open_terms(today) if terms is None else terms
    if not terms:
        return []
    by_year: dict[int, list[TermDates]] = {}
    for t in sorted(terms, key=lambda t: t.sort_key):
        by_year.setdefault(t.academic_year_id, []).append(t)
    plans = [
        p
        for p in SchoolPlan.objects.filter(academic_year_id__in=by_year, state__in=PUBLISHED_STATES)
        .select_related("school", "trust", "academic_year")
        .order_by("school__name", "kind")
        if policy.can_view_school_plan(user, p)
    ]
    asks = []  # (plan, term, voice)
    lead_plans = (
        set(Action.objects.filter(plan__in=plans, lead=user).values_list("plan_id", flat=True).distinct())
        if plans
        else set()
    )
    for plan in plans:
        for term in by_year[plan.academic_year_id]:
            if policy.rates_as_governor(user, plan):
                asks.append((plan, term, Voice.GOVERNORS))
            if policy.self_assesses(user, plan) or plan.pk in lead_plans:
                asks.append((plan, term, Voice.SELF))
    items: list[Waiting] = []
    if asks:
        ids = [p.pk for p, _, _ in asks]
        totals = dict(
            Action.objects.filter(plan_id__in=ids)
            .order_by()
            .values("plan_id")
            .annotate(n=Count("pk"))
            .values_list("plan_id", "n")
        )
        done = {
            (r["plan_id"], r["term_id"], r["voice"]): r["n"]
            for r in Rating.objects.filter(plan_id__in=ids, term__in=terms, action__isnull=False)
            .order_by()
            .values("plan_id", "term_id", "voice")
            .annotate(n=Count("pk"))
        }
        for plan, term, voice in asks:
            verb = "Rate" if voice == Voice.GOVERNORS else "Self-assess"
            noun = "rated" if voice == Voice.GOVERNORS else "self-assessed"
            until = term.open_until(today)
            n, total = done.get((plan.pk, term.pk, voice), 0), totals.get(plan.pk, 0)
            items.append(
                Waiting(
                    text=f"{verb} the {plan.owner_name} {plan.short_kind} for {term.name}, open until "
                    f"{until:%-d %B}: {n} of {total} {noun}",
                    url=reverse("reviews:rate", kwargs={"pk": plan.pk, "term": term.term}) + f"?voice={voice}",
                    done=n,
                    total=total,
                    until=until,
                )
            )
    if policy.rates_aims(user):
        for term in terms:
            y = term.academic_year.start_year
            counted = Aim.objects.filter(plan__start_year__lte=y, plan__end_year__gt=y).aggregate(
                total=Count("pk", distinct=True),
                rated=Count("ratings", filter=Q(ratings__term=term, ratings__voice=Voice.TRUSTEES), distinct=True),
            )
            n, total = counted["rated"], counted["total"]
            until = term.open_until(today)
            items.append(
                Waiting(
                    text=f"Rate the trust's aims for {term.name} {term.academic_year.label}, open until "
                    f"{until:%-d %B}: {n} of {total} rated",
                    url=reverse("reviews:aims", kwargs={"term": term.slug}),
                    done=n,
                    total=total,
                    until=until,
                )
            )
    return sorted(items, key=lambda w: (w.finished, w.until))


def trust_summary(
    user, today: datetime.date | None = None, terms: list[TermDates] | None = None, trust: Trust | None = None
) -> TrustSummary | None:
    """The heatmap in one paragraph, for the CEO's (and trustees') home page. `terms` (open today)
    and `trust` when the caller has them already."""
    if not policy.sees_trust_ratings(user):
        return None
    today = today or timezone.localdate()
    terms = open_terms(today) if terms is None else terms
    term = max(terms, key=lambda t: t.sort_key) if terms else selectors.current_term(today)
    if term is None:
        return None
    trust = trust or Trust.objects.of_person(user)
    if trust is None:
        return None
    figures = selectors.plan_figures(selectors.rated_plans(trust=trust, term=term), term, today)
    every = [a for f in figures.values() for a in f.actions]
    return TrustSummary(
        term=term,
        schools=len(figures),
        spread=rules.Spread.of(a.counted for a in every),
        not_rated=sum(a.flags.not_rated for a in every),
        disputed=sum(a.flags.disputed for a in every),
        schools_not_started=sum(1 for f in figures.values() if f.actions and f.spread.rated == 0),
    )
