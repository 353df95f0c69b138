"""Reading one school's ratings by term, and the ratings for meetings: the LGC report, the Trust
Board report and the exports (CSV and Excel).

Built on reviews.selectors (rating_sheet, plan_figures) and the heatmap of reviews.selectors_trust,
so every figure agrees with the rating page and the heatmap; a fixed number of queries whatever the
number of schools (tests/test_reviews_trust_queries.py).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.http import Http404
from django.utils import timezone

from plans.models import AcademicYear, Action, Aim, PlanKind, Priority, SchoolPlan
from schools.models import School

from . import rules
from .models import Rating, TermDates, Voice
from .selectors import (
    ActionFigure,
    ActionRow,
    PriorityRow,
    current_term,
    plan_figures,
    rated_plans,
    rating_sheet,
    terms_of,
)
from .selectors_trust import (
    FLAG_NAMES,
    RED_AMBER,
    Heatmap,
    Shown,
    all_terms,
    bar,
    heatmap,
    published_sdp,
)

# --- one school: its priorities by term -----------------------------------------------------


@dataclass
class TermCell:
    term: TermDates
    begun: bool
    spread: rules.Spread
    judgement: Rating | None

    @property
    def bar(self) -> list[dict]:
        return bar(self.spread)


@dataclass
class PriorityByTerm:
    priority: Priority
    cells: list[TermCell]


@dataclass
class SchoolYear:
    school: School
    year: AcademicYear
    years: list[AcademicYear]
    plan: SchoolPlan | None
    terms: list[TermDates]
    priorities: list[PriorityByTerm]
    totals: list[TermCell]
    counts: list[dict[str, int]]


def year_from(slug: str | None, today: datetime.date | None = None) -> AcademicYear:
    """The academic year asked for ("2023-24"), else the current term's; 404 for a bad slug."""
    if slug:
        year = AcademicYear.objects.filter(start_year=_start_year(slug)).first()
        if year is None or year.slug != slug:
            raise Http404("There is no such academic year.")
        return year
    term = current_term(today)
    if term is not None:
        return term.academic_year
    year = AcademicYear.objects.order_by("-start_year").first()
    if year is None:
        raise Http404("There is no academic year yet.")
    return year


def _start_year(slug: str) -> int:
    try:
        return int(slug.split("-")[0])
    except ValueError:
        return 0


def school_year(*, school: School, year: AcademicYear, today: datetime.date | None = None) -> SchoolYear:
    """The school's published SDP of the year: each priority's spread in each of the three terms
    (a term not yet begun shows no figures), with the governors' overall judgement where given."""
    today = today or timezone.localdate()
    terms = terms_of(year)
    years = list(AcademicYear.objects.order_by("-start_year"))
    plan = published_sdp(trust=school.trust_id, school=school, year_id=year.pk)
    if plan is None:
        return SchoolYear(school, year, years, None, terms, [], [], [])
    priorities = list(Priority.objects.filter(plan=plan).select_related("aim").order_by("order", "pk"))
    judgements = {
        (r.term_id, r.priority_id): r
        for r in Rating.objects.filter(plan=plan, voice=Voice.GOVERNORS, priority__isnull=False, term__in=terms)
    }
    by_term = {t.pk: plan_figures([plan], t, today)[plan.pk] for t in terms if t.starts <= today}
    rows = []
    for p in priorities:
        cells = []
        for t in terms:
            figures = by_term.get(t.pk)
            actions = [a.counted for a in figures.actions if a.priority_id == p.pk] if figures else []
            cells.append(TermCell(t, figures is not None, rules.Spread.of(actions), judgements.get((t.pk, p.pk))))
        rows.append(PriorityByTerm(p, cells))
    totals = [
        TermCell(t, t.pk in by_term, by_term[t.pk].spread if t.pk in by_term else rules.Spread.of([]), None)
        for t in terms
    ]
    counts = [by_term[t.pk].counts if t.pk in by_term else {} for t in terms]
    return SchoolYear(school, year, years, plan, terms, rows, totals, counts)


# --- the LGC report --------------------------------------------------------------------------


@dataclass
class LgcReport(Shown):
    school: School
    term: TermDates
    last_term: TermDates | None
    terms: list[TermDates]
    plan: SchoolPlan | None
    priorities: list[PriorityRow]
    spread: rules.Spread
    last_spread: rules.Spread
    counts: dict[str, int]
    flagged: dict[str, list[tuple[PriorityRow, ActionRow]]]
    red_amber: list[tuple[PriorityRow, ActionRow]]
    judgements: list[PriorityRow]


def lgc_report(*, school: School, term: TermDates, today: datetime.date | None = None) -> LgcReport:
    """For the LGC's meeting: the school's spread and movement, the items to ask about (disputed,
    stale, overdue, not rated, each with its reasons) and every Red and Amber with its commentary."""
    plan = published_sdp(trust=school.trust_id, school=school, year_id=term.academic_year_id)
    terms = [t for t in all_terms() if t.academic_year_id == term.academic_year_id or t.pk == term.pk]
    if plan is None:
        empty = rules.Spread.of([])
        return LgcReport(school, term, None, terms, None, [], empty, empty, {}, {}, [], [])
    sheet = rating_sheet(plan=plan, term=term, today=today)
    pairs = [(p, a) for p in sheet.priorities for a in p.actions]
    last = rules.Spread.of(a.last_governors.value if a.last_governors else rules.NOT_RATED for _, a in pairs)
    flagged = {name: [(p, a) for p, a in pairs if getattr(a.flags, name)] for name in FLAG_NAMES}
    counts = dict(sheet.counts)
    counts["self_assessed"] = sum(a.self_assessment is not None for _, a in pairs)
    return LgcReport(
        school=school,
        term=term,
        last_term=sheet.last_term,
        terms=terms,
        plan=plan,
        priorities=sheet.priorities,
        spread=sheet.spread,
        last_spread=last,
        counts=counts,
        flagged=flagged,
        red_amber=[(p, a) for p, a in pairs if a.counted in RED_AMBER],
        judgements=[p for p in sheet.priorities if p.judgement and p.judgement.value in RED_AMBER],
    )


# --- the Trust Board report ------------------------------------------------------------------


@dataclass
class AimRow:
    aim: Aim
    spread: rules.Spread
    trustees: Rating | None

    @property
    def bar(self) -> list[dict]:
        return bar(self.spread)


@dataclass
class BoardReport:
    heatmap: Heatmap
    red_amber: list[Rating]
    disputed: list[tuple[Action, ActionFigure]]
    aims: list[AimRow]


def board_report(*, trust, term: TermDates, today: datetime.date | None = None) -> BoardReport:
    """For the Trust Board: the heatmap with movement and flags per school, the commentaries behind
    every Red and Amber across the trust, what is disputed and why, and the trustees' aim ratings."""
    figures = heatmap(trust=trust, term=term, today=today)
    plans = [r.plan for r in figures.rows]
    red_amber = list(
        Rating.objects.filter(term=term, voice=Voice.GOVERNORS, plan__in=plans, value__in=RED_AMBER)
        .select_related("plan__school", "plan__academic_year", "action__priority", "priority", "by")
        .order_by("plan__school__name", "priority__order", "action__priority__order", "action__order", "pk")
    )
    disputed_figures = {a.action_id: a for r in figures.rows for a in r.actions if a.flags.disputed}
    disputed = [
        (action, disputed_figures[action.pk])
        for action in Action.objects.filter(pk__in=disputed_figures)
        .select_related("priority", "plan__school")
        .order_by("plan__school__name", "priority__order", "order", "pk")
    ]
    trustees = {
        r.aim_id: r
        for r in Rating.objects.filter(term=term, voice=Voice.TRUSTEES, aim__in=figures.aims).select_related("by")
    }
    aims = [AimRow(cell.aim, cell.spread, trustees.get(cell.aim.pk)) for cell in figures.totals]
    return BoardReport(heatmap=figures, red_amber=red_amber, disputed=disputed, aims=aims)


# --- the exports -----------------------------------------------------------------------------

EXPORT_HEADER = [
    "School",
    "Plan",
    "Priority",
    "Action",
    "Aim",
    "Self-assessment",
    "Self-assessment commentary",
    "Governors' rating",
    "Counts as",
    "Commentary",
    "Current value",
    "Evidence",
    "Flags",
    "Rated by",
    "Rated at",
]


def export_rows(*, trust, term: TermDates, today: datetime.date | None = None) -> list[list]:
    """One row per action of every published SDP and BDP of the term's year, in the order of
    EXPORT_HEADER. "Rated at" is a datetime in the trust's time zone (None when not rated)."""
    plans = rated_plans(trust=trust, term=term) + rated_plans(trust=trust, term=term, kind=PlanKind.BDP)
    figures = plan_figures(plans, term, today)
    by_action = {a.action_id: a for f in figures.values() for a in f.actions}
    ratings = {
        (r.action_id, r.voice): r
        for r in Rating.objects.filter(plan__in=plans, term=term, action__isnull=False).select_related("by")
    }
    actions = (
        Action.objects.filter(plan__in=plans)
        .select_related("priority__aim", "plan__school", "plan__trust", "plan__academic_year")
        .order_by("plan__school__name", "plan__kind", "priority__order", "priority__pk", "order", "pk")
    )
    rows = []
    for action in actions:
        plan = action.plan
        mine = ratings.get((action.pk, Voice.SELF))
        theirs = ratings.get((action.pk, Voice.GOVERNORS))
        figure = by_action.get(action.pk)
        rows.append(
            [
                plan.owner_name,
                plan.title,
                action.priority.title,
                action.what,
                action.priority.aim.code if action.priority.aim else "",
                rules.LABELS[mine.value] if mine else "",
                mine.commentary if mine else "",
                rules.LABELS[theirs.value] if theirs else "",
                rules.LABELS[figure.counted] if figure else rules.LABELS[rules.NOT_RATED],
                theirs.commentary if theirs else "",
                theirs.current_value if theirs else "",
                theirs.evidence if theirs else "",
                " ".join(figure.flags.reasons) if figure else "",
                str(theirs.by) if theirs else "",
                timezone.localtime(theirs.at).replace(tzinfo=None, microsecond=0) if theirs else None,
            ]
        )
    return rows
