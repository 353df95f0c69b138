"""Reading ratings: one plan's rating sheet, and the figures of many plans at once.

Every page that shows ratings starts here, and every figure is computed by reviews.rules from the
same facts, so a count on the heatmap, a report and a home page always agree. The queries are a
fixed number whatever the number of schools, plans or actions (tests/test_reviews_queries.py).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Max, Prefetch, Q
from django.http import Http404
from django.utils import timezone

from plans.models import Action, Evidence, PlanKind, Priority, SchoolPlan, SuccessCriterion, Term
from plans.models.school_plans import PUBLISHED_STATES

from . import rules
from .models import TERM_ORDER, Rating, TermDates, TermReopening, Voice
from .services import ensure_terms, settings_for

# How many of an action's latest evidence notes the rating page shows (the rest are on the plan).
EVIDENCE_SHOWN = 3


# --- terms -----------------------------------------------------------------------------------


def terms_of(academic_year) -> list[TermDates]:
    terms = list(TermDates.objects.filter(academic_year=academic_year).select_related("academic_year"))
    if len(terms) < len(Term.values):
        terms = ensure_terms(academic_year)
    return sorted(terms, key=lambda t: t.sort_key)


def term_of(academic_year, name: str) -> TermDates:
    if name not in Term.values:
        raise Http404("There is no such term.")
    return next(t for t in terms_of(academic_year) if t.term == name)


def term_now(academic_year, today: datetime.date | None = None) -> TermDates:
    """The year's term that matters today: the one open for ratings, else the last to have begun
    (the autumn term before the year starts)."""
    today = today or timezone.localdate()
    terms = terms_of(academic_year)
    return next((t for t in terms if t.is_open(today)), None) or next(
        (t for t in reversed(terms) if t.starts <= today), terms[0]
    )


def term_by_slug(slug: str) -> TermDates:
    """A term from its slug, "2023-24-spring"."""
    year, _, name = slug.rpartition("-")
    try:
        start_year = int(year.split("-")[0])
    except ValueError:
        raise Http404("There is no such term.") from None
    term = (
        TermDates.objects.filter(academic_year__start_year=start_year, term=name)
        .select_related("academic_year")
        .first()
    )
    if term is None or term.slug != slug:
        raise Http404("There is no such term.")
    return term


def every_term() -> dict:
    """Every academic year's terms, newest year first, each with its reopenings (who, when, why,
    until): three queries whatever the number of years."""
    terms = TermDates.objects.select_related("academic_year").prefetch_related(
        Prefetch("reopenings", queryset=TermReopening.objects.select_related("by").order_by("at", "pk"))
    )
    years: dict = {}
    for term in sorted(terms, key=lambda t: t.sort_key):
        years.setdefault(term.academic_year, []).append(term)
    return dict(sorted(years.items(), key=lambda item: -item[0].start_year))


def previous_term(term: TermDates) -> TermDates | None:
    return TermDates.objects.filter(starts__lt=term.starts).select_related("academic_year").order_by("-starts").first()


def current_term(today: datetime.date | None = None) -> TermDates | None:
    """The term running today, or the last one to have started (in a holiday)."""
    today = today or timezone.localdate()
    return (
        TermDates.objects.filter(starts__lte=today).select_related("academic_year").order_by("-starts").first()
        or TermDates.objects.select_related("academic_year").order_by("starts").first()
    )


def judged_on(term: TermDates, today: datetime.date | None = None) -> datetime.date:
    """The day a term is judged on: today while it runs, its last day once it has ended."""
    today = today or timezone.localdate()
    return min(today, term.ends)


def _due_dates(terms: list[TermDates]) -> dict[tuple[int, str], datetime.date]:
    return {(t.academic_year_id, t.term): t.ends for t in terms}


def _last_end(term: TermDates, before: TermDates | None) -> datetime.date:
    return before.ends if before else term.starts - datetime.timedelta(days=1)


# --- facts -----------------------------------------------------------------------------------


def _given(rating) -> rules.Given | None:
    if rating is None:
        return None
    if isinstance(rating, dict):
        return rules.Given(rating["value"], bool(rating["current_value"] or rating["evidence"]))
    return rules.Given(rating.value, bool(rating.current_value or rating.evidence))


def _facts(*, status, due, mine, theirs, last, last_evidence_at, since) -> rules.ActionFacts:
    fresh = bool(last_evidence_at and timezone.localtime(last_evidence_at).date() > since)
    return rules.ActionFacts(
        status=status,
        due=due,
        governors=_given(theirs),
        self_assessment=_given(mine),
        last_governors=(last["value"] if isinstance(last, dict) else last.value) if last else None,
        evidence_since_last_term=fresh,
    )


# --- one plan's rating sheet -----------------------------------------------------------------


@dataclass
class ActionRow:
    action: Action
    self_assessment: Rating | None
    governors: Rating | None
    last_governors: Rating | None
    flags: rules.Flags
    counted: str
    measured: bool
    latest_evidence: list[Evidence]


@dataclass
class PriorityRow:
    priority: Priority
    actions: list[ActionRow]
    spread: rules.Spread
    judgement: Rating | None
    last_judgement: Rating | None


@dataclass
class Sheet:
    plan: SchoolPlan
    term: TermDates
    last_term: TermDates | None
    priorities: list[PriorityRow]
    spread: rules.Spread
    counts: dict[str, int] = field(default_factory=dict)
    values: list[str] = field(default_factory=list)

    @property
    def actions(self) -> list[ActionRow]:
        return [a for p in self.priorities for a in p.actions]


def rating_sheet(*, plan: SchoolPlan, term: TermDates, today: datetime.date | None = None) -> Sheet:
    """Every priority and action of the plan with what a rater needs beside it: its criteria,
    latest evidence, both voices this term and the governors' rating last term. Seven queries."""
    last_term = previous_term(term)
    since = _last_end(term, last_term)
    as_of = judged_on(term, today)
    due_of = _due_dates(terms_of(plan.academic_year))
    actions = list(
        Action.objects.filter(plan=plan)
        .select_related("lead")
        .annotate(last_evidence_at=Max("evidence__added_at"))
        .prefetch_related(
            Prefetch("criteria", queryset=SuccessCriterion.objects.order_by("order", "pk")),
            Prefetch("evidence", queryset=Evidence.objects.order_by("-added_at", "-pk")),
        )
        .order_by("order", "pk")
    )
    ratings = Rating.objects.filter(plan=plan, term_id__in=[term.pk] + ([last_term.pk] if last_term else []))
    by_key = {(r.term_id, r.voice, r.action_id or -r.priority_id): r for r in ratings.select_related("by")}
    rows: dict[int, list[ActionRow]] = defaultdict(list)
    for a in actions:
        mine = by_key.get((term.pk, Voice.SELF, a.pk))
        theirs = by_key.get((term.pk, Voice.GOVERNORS, a.pk))
        last = by_key.get((last_term.pk, Voice.GOVERNORS, a.pk)) if last_term else None
        due = a.due_date or due_of.get((plan.academic_year_id, a.due_term))
        facts = _facts(
            status=a.status, due=due, mine=mine, theirs=theirs, last=last,
            last_evidence_at=a.last_evidence_at, since=since,
        )  # fmt: skip
        rows[a.priority_id].append(
            ActionRow(
                action=a,
                self_assessment=mine,
                governors=theirs,
                last_governors=last,
                flags=rules.flags(facts, as_of),
                counted=rules.counted(facts),
                measured=any(c.target is not None for c in a.criteria.all()),
                latest_evidence=list(a.evidence.all())[:EVIDENCE_SHOWN],
            )
        )
    priorities = []
    for p in Priority.objects.filter(plan=plan).select_related("aim").order_by("order", "pk"):
        action_rows = rows.get(p.pk, [])
        priorities.append(
            PriorityRow(
                priority=p,
                actions=action_rows,
                spread=rules.Spread.of(r.counted for r in action_rows),
                judgement=by_key.get((term.pk, Voice.GOVERNORS, -p.pk)),
                last_judgement=by_key.get((last_term.pk, Voice.GOVERNORS, -p.pk)) if last_term else None,
            )
        )
    every = [r for p in priorities for r in p.actions]
    return Sheet(
        plan=plan,
        term=term,
        last_term=last_term,
        priorities=priorities,
        spread=rules.Spread.of(r.counted for r in every),
        counts=flag_counts(r.flags for r in every),
        values=settings_for(plan.trust).values,
    )


def flag_counts(flags) -> dict[str, int]:
    counts = {"not_rated": 0, "overdue": 0, "stale": 0, "disputed": 0, "self_assessed": 0}
    for f in flags:
        for name in ("not_rated", "overdue", "stale", "disputed"):
            counts[name] += getattr(f, name)
    return counts


# --- many plans at once ----------------------------------------------------------------------


@dataclass(frozen=True)
class ActionFigure:
    """One action of a plan as the trust-wide figures count it."""

    action_id: int
    priority_id: int
    aim_id: int | None
    counted: str
    last_counted: str
    self_value: str | None
    flags: rules.Flags


@dataclass
class PlanFigures:
    plan: SchoolPlan
    actions: list[ActionFigure]

    @property
    def spread(self) -> rules.Spread:
        return rules.Spread.of(a.counted for a in self.actions)

    @property
    def last_spread(self) -> rules.Spread:
        return rules.Spread.of(a.last_counted for a in self.actions)

    @property
    def counts(self) -> dict[str, int]:
        counts = flag_counts(a.flags for a in self.actions)
        counts["self_assessed"] = sum(a.self_value is not None for a in self.actions)
        return counts

    def under(self, aim_id: int) -> list[ActionFigure]:
        return [a for a in self.actions if a.aim_id == aim_id]


def rated_plans(*, trust, term: TermDates, kind: str = PlanKind.SDP, extra: Q | None = None) -> list[SchoolPlan]:
    """The plans rated in the term: this year's finalised and signed-off plans of that kind."""
    plans = SchoolPlan.objects.filter(
        trust=trust, kind=kind, academic_year_id=term.academic_year_id, state__in=PUBLISHED_STATES
    )
    if extra is not None:
        plans = plans.filter(extra)
    return list(plans.select_related("school", "academic_year"))


def plan_figures(
    plans: list[SchoolPlan], term: TermDates, today: datetime.date | None = None
) -> dict[int, PlanFigures]:
    """The figures of every plan in `plans` for `term`, in four queries whatever their number."""
    if not plans:
        return {}
    ids = [p.pk for p in plans]
    last_term = previous_term(term)
    since = _last_end(term, last_term)
    as_of = judged_on(term, today)
    due_of = _due_dates(list(TermDates.objects.filter(academic_year_id__in={p.academic_year_id for p in plans})))
    terms = [term.pk] + ([last_term.pk] if last_term else [])
    ratings = {
        (r["term_id"], r["voice"], r["action_id"]): r
        for r in Rating.objects.filter(plan_id__in=ids, term_id__in=terms, action__isnull=False).values(
            "term_id", "voice", "action_id", "value", "current_value", "evidence"
        )
    }
    year_of = {p.pk: p.academic_year_id for p in plans}
    figures = {p.pk: PlanFigures(plan=p, actions=[]) for p in plans}
    rows = (
        Action.objects.filter(plan_id__in=ids)
        .order_by()
        .values("pk", "plan_id", "priority_id", "priority__aim_id", "status", "due_date", "due_term")
        .annotate(last_evidence_at=Max("evidence__added_at"))
    )
    for a in rows:
        mine = ratings.get((term.pk, Voice.SELF, a["pk"]))
        theirs = ratings.get((term.pk, Voice.GOVERNORS, a["pk"]))
        last = ratings.get((last_term.pk, Voice.GOVERNORS, a["pk"])) if last_term else None
        due = a["due_date"] or due_of.get((year_of[a["plan_id"]], a["due_term"]))
        facts = _facts(
            status=a["status"], due=due, mine=mine, theirs=theirs, last=last,
            last_evidence_at=a["last_evidence_at"], since=since,
        )  # fmt: skip
        figures[a["plan_id"]].actions.append(
            ActionFigure(
                action_id=a["pk"],
                priority_id=a["priority_id"],
                aim_id=a["priority__aim_id"],
                counted=rules.counted(facts),
                last_counted=last["value"] if last else rules.NOT_RATED,
                self_value=mine["value"] if mine else None,
                flags=rules.flags(facts, as_of),
            )
        )
    return figures


def term_sort_key(term: TermDates) -> tuple[int, int]:
    return (term.academic_year.start_year, TERM_ORDER[term.term])
