"""What the calendar page and a person's calendar feed show: a year's stages, which of them
concern the person, and where each stands today.

Which stages are "mine": those where the person still owes something today (reviews.cycle.owing),
those whose responsible role they hold, and those that tell a role they hold. "My school" adds,
for people who work in schools, every stage a school role answers for or where one of their
schools still owes something. Where a stage stands (its status) counts only what the person may
see: their own items, their schools' and the trust's, or everything for trust-wide roles; so a
headteacher never learns from the calendar which other school is late.

Everything is read in a fixed number of queries whatever the number of schools and plans: the
stages in one query, the trust's people in one, and owing()'s fixed number per open stage.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from governance import policy
from governance.models import SCHOOL_ROLES, User
from plans.models import AcademicYear
from schools.models import Trust

from .cycle import Owed, ensure_cycle, owed_for, year_shown
from .models_cycle import Due, Stage

MINE, SCHOOL, ALL = "mine", "school", "all"
SHOW_LABELS = {MINE: "Mine", SCHOOL: "My school", ALL: "Every stage"}
HEADINGS = {MINE: "Your stages", SCHOOL: "Your school's stages", ALL: "Every stage"}

# Where a stage stands, in words (the template adds a colour, never instead of the words).
NOT_STARTED, OPEN, OVERDUE, DONE = "Not started yet", "Open", "Overdue", "Done"


@dataclass(frozen=True)
class Viewer:
    """The person looking, as the calendar needs them: one read of their roles (governance.policy)."""

    user: User
    roles: frozenset[str]
    schools: frozenset[int]

    @property
    def user_id(self) -> int:
        return self.user.pk

    @classmethod
    def of(cls, user: User) -> Viewer:
        held = policy.held_roles(user)
        return cls(user=user, roles=frozenset(h.role for h in held), schools=frozenset(policy.school_ids(user)))

    def sees(self, owed: Owed) -> bool:
        """May the person know this item is still owed (governance.policy decides)."""
        return policy.sees_what_is_owed(self.user, owed.school_id, owed.owners)

    def shows(self) -> list[str]:
        """The filters offered: "My school" only to people who work in a school."""
        return [MINE, SCHOOL, ALL] if self.schools else [MINE, ALL]


@dataclass(frozen=True)
class StageRow:
    stage: Stage
    status: str
    yours: tuple[Owed, ...]  # what the person still owes in this stage
    outstanding: int  # how many items the person may see are still owed
    mine: bool
    school: bool

    @property
    def dates(self) -> str:
        return stage_dates(self.stage)

    @property
    def status_class(self) -> str:
        return STATUS_CLASSES[self.status]


STATUS_CLASSES = {NOT_STARTED: "rag-not_yet_due", OPEN: "rag-amber", OVERDUE: "rag-red", DONE: "rag-green"}


def stage_dates(stage: Stage) -> str:
    """ "1 June – 15 July 2026"; the year twice only when the stage crosses a new year."""
    starts, due = stage.starts, stage.due
    if starts == due:
        return f"{due:%-d %B %Y}"
    if starts.year == due.year:
        return f"{starts:%-d %B} – {due:%-d %B %Y}"
    return f"{starts:%-d %B %Y} – {due:%-d %B %Y}"


def status_of(stage: Stage, seen: list[Owed], today: datetime.date) -> str:
    if today < stage.starts:
        return NOT_STARTED
    if stage.due_kind == Due.NOTHING:  # for information: it simply runs its course
        return DONE if today > stage.due else OPEN
    if not seen:
        return DONE
    return OVERDUE if any(o.is_overdue(today) for o in seen) else OPEN


def _stages(trust: Trust) -> QuerySet[Stage]:
    return Stage.objects.filter(trust=trust).select_related("academic_year", "term", "term__academic_year")


def rows_for(viewer: Viewer, trust: Trust, stages: list[Stage], today: datetime.date) -> list[StageRow]:
    """Every stage given, with where it stands for this person and whether it is theirs."""
    owed_by_stage: dict[int, list[Owed]] = defaultdict(list)
    for owed in owed_for(trust, stages, today)[0]:
        owed_by_stage[owed.stage.pk].append(owed)
    rows = []
    for stage in stages:
        owed = owed_by_stage.get(stage.pk, [])
        seen = [o for o in owed if viewer.sees(o)]
        yours = tuple(o for o in owed if viewer.user_id in o.owners)
        mine = bool(yours) or stage.responsible in viewer.roles or bool(viewer.roles & set(stage.told))
        school = bool(viewer.schools) and (
            stage.responsible in SCHOOL_ROLES or any(o.school_id in viewer.schools for o in owed)
        )
        rows.append(StageRow(stage, status_of(stage, seen, today), yours, len(seen), mine, mine or school))
    return rows


def shown(rows: list[StageRow], show: str) -> list[StageRow]:
    if show == MINE:
        return [r for r in rows if r.mine]
    if show == SCHOOL:
        return [r for r in rows if r.school]
    return rows


# --- the page --------------------------------------------------------------------------------


@dataclass
class CalendarPage:
    year: AcademicYear
    years: list[AcademicYear]
    current: AcademicYear
    show: str
    shows: list[tuple[str, str, int]]  # the filters offered: value, label, how many stages each shows
    rows: list[StageRow]
    today: datetime.date

    @property
    def heading(self) -> str:
        return HEADINGS[self.show]


def current_year(trust: Trust, today: datetime.date) -> AcademicYear:
    """The year whose cycle runs today (else the latest before it), its stages made the first time
    anyone asks; a year itself is never made here (reviews.cycle.year_shown)."""
    year = year_shown(today)
    if year is None:
        raise Http404("The trust has no academic year yet.")
    ensure_cycle(trust, year)
    return year


def years_with_stages(trust: Trust, current: AcademicYear) -> list[AcademicYear]:
    years = list(AcademicYear.objects.filter(stages__trust=trust).distinct().order_by("start_year"))
    if current not in years:
        years = sorted([*years, current], key=lambda y: y.start_year)
    return years


def year_in(years: list[AcademicYear], slug: str) -> AcademicYear | None:
    return next((y for y in years if y.slug == slug), None)


def calendar_page(
    user: User,
    trust: Trust,
    *,
    year: AcademicYear,
    years: list[AcademicYear],
    current: AcademicYear,
    show: str | None,
    today: datetime.date,
) -> CalendarPage:
    """The calendar page: one year's stages with the person's filter applied ("mine" unless
    another filter they are offered is asked for)."""
    viewer = Viewer.of(user)
    offered = viewer.shows()
    show = show if show in offered else MINE
    rows = rows_for(viewer, trust, list(_stages(trust).filter(academic_year=year)), today)
    return CalendarPage(
        year=year,
        years=years,
        current=current,
        show=show,
        shows=[(s, SHOW_LABELS[s], len(shown(rows, s))) for s in offered],
        rows=shown(rows, show),
        today=today,
    )


# --- the feed --------------------------------------------------------------------------------


def feed_rows(user: User, trust: Trust, today: datetime.date) -> list[StageRow]:
    """The person's own stages ("mine") of the running cycle and of the next one if it has been
    made already (the feed never makes a year: the CEO's edits carry forward when it is made)."""
    current = current_year(trust, today)
    stages = list(_stages(trust).filter(academic_year__start_year__in=[current.start_year, current.start_year + 1]))
    return shown(rows_for(Viewer.of(user), trust, stages, today), MINE)
