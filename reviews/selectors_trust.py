"""Reading ratings across the trust: the heatmap, a cell's actions and an aim's golden thread (one
school by term, the reports and the exports are in reviews.selectors_reports).

Every figure comes from reviews.selectors (plan_figures, rating_sheet), so a count here is the same
count as on the rating page and the home pages. Each function costs a fixed number of queries
whatever the number of schools (tests/test_reviews_trust_queries.py): the trust's plans are read
together, never one school at a time. Who may read them is asked of governance.policy by the views.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import quote

from django.db.models import Count, F, Max, Q, Sum
from django.http import Http404
from django.urls import reverse

from governance.signals import PEOPLE
from plans.models import Action, Aim, PlanKind, Priority, SchoolPlan, Strand
from plans.models.school_plans import PUBLISHED_STATES
from plans.page_cache import PLAN_CONTENT
from schools.models import Phase, School
from smart_trust.rendered import data_versions, digest

from . import rules
from .models import Rating, RatingValue, TermDates, Voice
from .selectors import (
    ActionFigure,
    ActionRow,
    PriorityRow,
    current_term,
    flag_counts,
    plan_figures,
    rated_plans,
    rating_sheet,
    term_by_slug,
)
from .services import RATINGS

RED_AMBER = (RatingValue.RED, RatingValue.AMBER)
FLAG_NAMES = ("not_rated", "overdue", "stale", "disputed")


# --- drawing a spread ------------------------------------------------------------------------


def bar(spread: rules.Spread) -> list[dict]:
    """The spread's parts with where each starts on a bar 100 wide (an SVG's x and width, so the
    page needs no style attribute under the strict CSP)."""
    x = 0.0
    parts = []
    for part in spread.parts:
        parts.append({**part, "x": round(x, 1)})
        x += part["share"]
    return parts


def movement_words(points: float | None) -> str:
    """ "up 12 points", "down 0.5 points", "no change"; "" when there is nothing to compare."""
    if points is None:
        return ""
    if points == 0:
        return "no change"
    size = abs(points)
    number = f"{size:g}"
    unit = "point" if size == 1 else "points"
    return f"{'up' if points > 0 else 'down'} {number} {unit}"


# --- terms, aims and filters -----------------------------------------------------------------


def term_from(slug: str | None, today: datetime.date | None = None) -> TermDates | None:
    """The term a page asks for ("2023-24-spring"), else the current one; 404 for a bad slug."""
    if slug:
        return term_by_slug(slug)
    return current_term(today)


def all_terms() -> list[TermDates]:
    """Every term, latest first, for a page's choice of term."""
    return list(TermDates.objects.select_related("academic_year").order_by("-academic_year__start_year", "-starts"))


def trust_aims(trust, start_year: int) -> list[Aim]:
    """The aims of the trust's strategic plan covering the academic year, in strand order."""
    return list(
        Aim.objects.filter(plan__trust=trust, plan__start_year__lte=start_year, plan__end_year__gt=start_year)
        .select_related("strand", "plan")
        .order_by("plan__start_year", "strand__order", "strand__pk", "order", "pk")
    )


@dataclass
class AimGroup:
    """The aims of one strand: a group of the heatmap's columns."""

    strand: Strand | None
    aims: list[Aim]

    @property
    def name(self) -> str:
        return self.strand.name if self.strand else "Other aims"


def group_by_strand(aims: list[Aim]) -> list[AimGroup]:
    groups: list[AimGroup] = []
    for aim in aims:
        if groups and groups[-1].strand == aim.strand:
            groups[-1].aims.append(aim)
        else:
            groups.append(AimGroup(aim.strand, [aim]))
    return groups


def strands_of(aims: list[Aim]) -> list[Strand]:
    seen: dict[int, Strand] = {}
    for aim in aims:
        if aim.strand is not None:
            seen.setdefault(aim.strand.pk, aim.strand)
    return list(seen.values())


# --- the heatmap -----------------------------------------------------------------------------


@dataclass
class Cell:
    aim: Aim
    spread: rules.Spread
    url: str

    @property
    def bar(self) -> list[dict]:
        return bar(self.spread)


class Shown:
    """How a spread with its last term's is shown: movement in points and words, and its bar.
    For anything with `spread` and `last_spread` (a school's row, the LGC report)."""

    spread: rules.Spread
    last_spread: rules.Spread

    @property
    def movement(self) -> float | None:
        return rules.movement(self.spread, self.last_spread)

    @property
    def movement_words(self) -> str:
        return movement_words(self.movement)

    @property
    def bar(self) -> list[dict]:
        return bar(self.spread)


@dataclass
class SchoolRow(Shown):
    school: School
    plan: SchoolPlan
    cells: list[Cell]
    actions: list[ActionFigure]
    rank: int | None = None

    # Worked out once: the page asks each several times (rank, score, words, bar).
    @cached_property
    def spread(self) -> rules.Spread:
        return rules.Spread.of(a.counted for a in self.actions)

    @cached_property
    def last_spread(self) -> rules.Spread:
        return rules.Spread.of(a.last_counted for a in self.actions)

    @property
    def score(self) -> float | None:
        return self.spread.score

    @cached_property
    def counts(self) -> dict[str, int]:
        counts = flag_counts(a.flags for a in self.actions)
        counts["self_assessed"] = sum(a.self_value is not None for a in self.actions)
        return counts


@dataclass
class Heatmap:
    trust: object
    term: TermDates | None
    last_term: TermDates | None
    terms: list[TermDates]
    groups: list[AimGroup]
    rows: list[SchoolRow]
    without_plan: list[School]
    strands: list[Strand]
    phases: list[tuple[str, str]] = field(default_factory=lambda: list(Phase.choices))
    phase: str = ""
    strand: Strand | None = None
    totals: list[Cell] = field(default_factory=list)

    @property
    def aims(self) -> list[Aim]:
        return [a for g in self.groups for a in g.aims]

    @property
    def spread(self) -> rules.Spread:
        return rules.Spread.of(a.counted for r in self.rows for a in r.actions)

    @property
    def bar(self) -> list[dict]:
        return bar(self.spread)

    @property
    def phase_label(self) -> str:
        return dict(Phase.choices).get(self.phase, "")

    @property
    def filtered(self) -> bool:
        return bool(self.phase or self.strand)


def rank(rows: list[SchoolRow]) -> list[SchoolRow]:
    """Highest score first; equal scores share a rank ("1, 2, 2, 4"); no score, no rank, last."""
    rows = sorted(rows, key=lambda r: (r.score is None, -(r.score or 0), r.school.name))
    previous = None
    for position, row in enumerate(rows, start=1):
        if row.score is None:
            row.rank = None
            continue
        row.rank = previous.rank if previous is not None and previous.score == row.score else position
        previous = row
    return rows


def heatmap_version(*, trust, term: TermDates, terms: list[TermDates], today: datetime.date) -> str:
    """A digest of everything a term's heatmap shows, in two queries whatever the number of schools:
    the year's published SDPs (their ids and content versions, which move on with every change to
    a plan, its items and evidence), the data versions of the ratings (every rating, term date and
    reopening), the people (schools' names and phases) and the strategic plan (its aims), every
    term's dates (`terms`, all_terms: which term came before and when actions fall due) and
    today (what is overdue). The filters and the trust are the caller's to add."""
    plans = SchoolPlan.objects.filter(
        trust=trust, kind=PlanKind.SDP, academic_year_id=term.academic_year_id, state__in=PUBLISHED_STATES
    ).aggregate(
        count=Count("pk"),
        ids=Sum("pk"),
        last=Max("pk"),
        versions=Sum("content_version"),
        weighed=Sum(F("pk") * F("content_version")),
    )
    return digest(
        [
            data_versions(RATINGS, PEOPLE, PLAN_CONTENT),
            sorted(plans.items()),
            term.pk,
            [
                (t.pk, t.slug, t.label, t.starts, t.ends, t.rating_opens, t.rating_closes, t.reopened_until)
                for t in terms
            ],
            today,
        ]
    )


def heatmap(
    *,
    trust,
    term: TermDates | None,
    phase: str = "",
    strand_slug: str = "",
    today: datetime.date | None = None,
    terms: list[TermDates] | None = None,
) -> Heatmap:
    """Schools x the trust's aims for one term. With a strand chosen, the columns are its aims and
    each school's figures (spread, score, movement, flags) count only the actions under them.
    `terms` is all_terms() when the caller has read it already."""
    terms = all_terms() if terms is None else terms
    if term is None:
        return Heatmap(trust, None, None, terms, [], [], [], [])
    phase = phase if phase in Phase.values else ""
    every_aim = trust_aims(trust, term.academic_year.start_year)
    strands = strands_of(every_aim)
    strand = next((s for s in strands if s.slug == strand_slug), None)
    aims = [a for a in every_aim if strand is None or a.strand_id == strand.pk]
    shown = {a.pk for a in aims}
    schools = School.objects.filter(trust=trust).order_by("name")
    extra = None
    if phase:
        schools = schools.filter(phase=phase)
        extra = Q(school__phase=phase)
    plans = rated_plans(trust=trust, term=term, extra=extra)
    figures = plan_figures(plans, term, today)
    cell_url = cell_urls(term)
    rows = []
    # Each action's value under its aim, gathered once (not once per aim: a large trust has
    # thousands of actions).
    every_school: dict[int, list[str]] = defaultdict(list)
    for plan in plans:
        actions = figures[plan.pk].actions
        if strand is not None:
            actions = [a for a in actions if a.aim_id in shown]
        by_aim: dict[int, list[str]] = defaultdict(list)
        for a in actions:
            by_aim[a.aim_id].append(a.counted)
        cells = []
        for aim in aims:
            values = by_aim.get(aim.pk, ())
            every_school[aim.pk].extend(values)
            spread = rules.Spread.of(values)
            cells.append(Cell(aim, spread, cell_url(plan.school, aim) if spread.total else ""))
        rows.append(SchoolRow(school=plan.school, plan=plan, cells=cells, actions=actions))
    with_plan = {p.school_id for p in plans}
    totals = [Cell(aim, rules.Spread.of(every_school[aim.pk]), "") for aim in aims]
    return Heatmap(
        trust=trust,
        term=term,
        last_term=max((t for t in terms if t.starts < term.starts), key=lambda t: t.starts, default=None),
        terms=terms,
        groups=group_by_strand(aims),
        rows=rank(rows),
        without_plan=[s for s in schools if s.pk not in with_plan],
        strands=strands,
        phase=phase,
        strand=strand,
        totals=totals,
    )


def cell_urls(term: TermDates):
    """The address of a term's cells, for a school and an aim: reversed once, not once a cell (a
    large trust's heatmap has a thousand)."""
    pattern = reverse("reviews:cell", kwargs={"term": term.slug, "school": "school", "aim": "--aim--"})
    before, _, after = pattern.rpartition("/school/--aim--/")

    def url(school: School, aim: Aim) -> str:
        return f"{before}/{quote(school.slug, safe='')}/{quote(aim.code, safe='')}/{after}"

    return url


# --- one cell: the actions behind it ---------------------------------------------------------


def trust_aim(trust, term: TermDates, code: str) -> Aim:
    aim = next((a for a in trust_aims(trust, term.academic_year.start_year) if a.code == code), None)
    if aim is None:
        raise Http404("The trust's plan for that year has no such aim.")
    return aim


def published_sdp(*, trust, school: School, year_id: int) -> SchoolPlan | None:
    return (
        SchoolPlan.objects.filter(
            trust=trust, school=school, kind=PlanKind.SDP, academic_year_id=year_id, state__in=PUBLISHED_STATES
        )
        .select_related("school", "academic_year", "trust")
        .first()
    )


def school_of(trust, slug: str) -> School:
    school = School.objects.filter(trust=trust, slug=slug).first()
    if school is None:
        raise Http404("No such school")
    return school


@dataclass
class CellDetail:
    term: TermDates
    school: School
    aim: Aim
    plan: SchoolPlan
    priorities: list[PriorityRow]

    @property
    def actions(self) -> list[ActionRow]:
        return [a for p in self.priorities for a in p.actions]

    @property
    def spread(self) -> rules.Spread:
        return rules.Spread.of(a.counted for a in self.actions)


def cell_detail(
    *, trust, term: TermDates, school: School, aim_code: str, today: datetime.date | None = None
) -> CellDetail:
    aim = trust_aim(trust, term, aim_code)
    plan = published_sdp(trust=trust, school=school, year_id=term.academic_year_id)
    if plan is None:
        raise Http404(f"{school.name} has no finalised SDP for {term.academic_year.label}.")
    sheet = rating_sheet(plan=plan, term=term, today=today)
    priorities = [p for p in sheet.priorities if p.priority.aim_id == aim.pk]
    return CellDetail(term=term, school=school, aim=aim, plan=plan, priorities=priorities)


# --- the golden thread of one aim ------------------------------------------------------------


@dataclass
class ThreadAction:
    action: Action
    figure: ActionFigure | None
    rating: Rating | None

    @property
    def counted(self) -> str:
        return self.figure.counted if self.figure else rules.NOT_RATED


@dataclass
class ThreadPriority:
    priority: Priority
    judgement: Rating | None
    actions: list[ThreadAction]

    @property
    def spread(self) -> rules.Spread:
        return rules.Spread.of(a.counted for a in self.actions)


@dataclass
class ThreadSchool:
    school: School
    plan: SchoolPlan
    priorities: list[ThreadPriority]

    @property
    def spread(self) -> rules.Spread:
        return rules.Spread.of(a.counted for p in self.priorities for a in p.actions)


@dataclass
class GoldenThread:
    aim: Aim
    term: TermDates
    terms: list[TermDates]
    schools: list[ThreadSchool]
    without_plan: list[School]
    trustees: Rating | None

    @property
    def spread(self) -> rules.Spread:
        return rules.Spread.of(a.counted for s in self.schools for p in s.priorities for a in p.actions)

    @property
    def linked(self) -> list[ThreadSchool]:
        return [s for s in self.schools if s.priorities]

    @property
    def not_linked(self) -> list[ThreadSchool]:
        return [s for s in self.schools if not s.priorities]


def strategic_aim(*, trust, plan_slug: str, code: str) -> Aim:
    aim = (
        Aim.objects.filter(plan__trust=trust, plan__slug=plan_slug, code=code)
        .select_related("plan", "strand", "plan__trust")
        .first()
    )
    if aim is None:
        raise Http404("No such aim")
    return aim


def terms_of_plan(plan) -> list[TermDates]:
    """The terms of the years a strategic plan covers, latest first."""
    return [t for t in all_terms() if plan.start_year <= t.academic_year.start_year < plan.end_year]


def golden_thread(*, aim: Aim, term: TermDates, today: datetime.date | None = None) -> GoldenThread:
    """Every school's priorities linked to the aim and their actions, with this term's governors'
    ratings, from the published SDPs of the term's year."""
    trust = aim.plan.trust
    plans = sorted(rated_plans(trust=trust, term=term), key=lambda p: p.school.name)
    figures = plan_figures(plans, term, today)
    by_action = {a.action_id: a for f in figures.values() for a in f.actions}
    priorities = list(Priority.objects.filter(plan__in=plans, aim=aim).order_by("order", "pk"))
    actions = defaultdict(list)
    for action in Action.objects.filter(priority__in=priorities).select_related("lead").order_by("order", "pk"):
        actions[action.priority_id].append(action)
    ratings = {
        (r.action_id or -r.priority_id): r
        for r in Rating.objects.filter(term=term, voice=Voice.GOVERNORS, plan__in=plans)
        .filter(Q(action__priority__in=priorities) | Q(priority__in=priorities))
        .select_related("by")
    }
    of_plan = defaultdict(list)
    for p in priorities:
        of_plan[p.plan_id].append(
            ThreadPriority(
                priority=p,
                judgement=ratings.get(-p.pk),
                actions=[ThreadAction(a, by_action.get(a.pk), ratings.get(a.pk)) for a in actions[p.pk]],
            )
        )
    schools = [ThreadSchool(school=p.school, plan=p, priorities=of_plan[p.pk]) for p in plans]
    with_plan = {p.school_id for p in plans}
    return GoldenThread(
        aim=aim,
        term=term,
        terms=terms_of_plan(aim.plan),
        schools=schools,
        without_plan=[s for s in School.objects.filter(trust=trust).order_by("name") if s.pk not in with_plan],
        trustees=Rating.objects.filter(term=term, voice=Voice.TRUSTEES, aim=aim).select_related("by").first(),
    )
