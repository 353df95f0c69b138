"""The monthly compliance checks: from November to March each school checks every area the trust
names (safeguarding, health and safety...) once a month.

The areas are the trust's data (`ensure_areas` gives a new trust the usual seven); the months are
those of the year's compliance stages (reviews.cycle.months_of), so the CEO's edits to the stage
move them. `record_checks` is the one way a school's month is written: every row in one
transaction, with the person in the history, or nothing at all. The selectors build the pages in a
fixed number of queries whatever the number of schools.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from governance import policy
from plans.models import AcademicYear
from schools.models import School, Trust

from .cycle import cycle_start_year, ensure_cycle, months_of
from .models import ComplianceArea, ComplianceCheck, Stage
from .models_cycle import Due

DEFAULT_AREAS = [
    "Safeguarding",
    "Health and safety",
    "Attendance",
    "SEND",
    "Data protection (GDPR)",
    "Finance",
    "Premises and estates",
]

Outcome = ComplianceCheck.Outcome
# An outcome short of "Met" says what is being done about it: governors ask about these.
NEEDS_NOTES = {
    Outcome.ACTIONS: "Say which actions are needed for {area}.",
    Outcome.NOT_MET: "Say what was not met for {area} and what is being done about it.",
}


# --- the areas ------------------------------------------------------------------------------


def ensure_areas(trust: Trust) -> list[ComplianceArea]:
    """The trust's areas; the usual seven the first time (a trust that has any, active or not,
    keeps its own). Safe to run again and from two places at once (get_or_create on the unique
    name)."""
    areas = list(ComplianceArea.objects.filter(trust=trust))
    if areas:
        return areas
    with transaction.atomic():
        for order, name in enumerate(DEFAULT_AREAS, start=1):
            ComplianceArea.objects.get_or_create(trust=trust, name=name, defaults={"order": order})
    return list(ComplianceArea.objects.filter(trust=trust))


def active_areas(trust: Trust) -> list[ComplianceArea]:
    return list(ComplianceArea.objects.filter(trust=trust, is_active=True))


def areas_with_counts(trust: Trust):
    """Every area of the trust, each with `n_checks` (an area with checks is never deleted)."""
    return ComplianceArea.objects.filter(trust=trust).annotate(n_checks=Count("checks")).order_by("order", "name")


def next_area_order(trust: Trust) -> int:
    last = ComplianceArea.objects.filter(trust=trust).order_by("-order").values_list("order", flat=True).first()
    return (last or 0) + 1


@transaction.atomic
def areas_save(*, trust: Trust, areas: Iterable[ComplianceArea], by) -> list[ComplianceArea]:
    """Save new and changed areas (added, renamed, moved, made inactive or active again), with the
    person in each one's history. Areas are never deleted here: one no longer checked is made
    inactive, so the checks made of it stay readable."""
    if not policy.keeps_compliance_areas(by):
        raise PermissionDenied("The central team and the CEO name the areas each school checks.")
    saved = []
    for area in areas:
        if area.pk is None:
            area.trust = trust
        elif area.trust_id != trust.pk:
            raise PermissionDenied("That area belongs to another trust.")
        area.name = " ".join(area.name.split())
        area.full_clean()
        area._history_user = by
        area.save()
        saved.append(area)
    return saved


def area_history(trust: Trust, limit: int = 20) -> list:
    """The latest changes to the trust's areas, newest first, with who made them."""
    return list(
        ComplianceArea.history.filter(trust_id=trust.pk)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[:limit]
    )


# --- the months -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Month:
    """One month of checks: its first day, the day it is due (the month's last day, or the
    stage's due date when sooner)."""

    first: datetime.date
    due: datetime.date

    @property
    def slug(self) -> str:
        return f"{self.first:%Y-%m}"

    @property
    def label(self) -> str:
        return f"{self.first:%B %Y}"

    def is_future(self, today: datetime.date) -> bool:
        return self.first > today

    def is_overdue(self, today: datetime.date) -> bool:
        return today > self.due


def last_day(first: datetime.date) -> datetime.date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def parse_month(slug: str) -> datetime.date | None:
    """ "2023-11" -> 1 November 2023; None for anything else (the page answers 404)."""
    if len(slug) != 7 or slug[4] != "-" or not (slug[:4].isdigit() and slug[5:].isdigit()):
        return None
    year, month = int(slug[:4]), int(slug[5:])
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        return None
    return datetime.date(year, month, 1)


def _months(stages: Iterable[Stage]) -> list[Month]:
    due: dict[datetime.date, datetime.date] = {}
    for stage in stages:
        for first in months_of(stage):
            # two stages covering a month (the CEO's edit): the later due date holds
            due[first] = max(due.get(first, first), min(last_day(first), stage.due))
    return [Month(first, due[first]) for first in sorted(due)]


def compliance_months(trust: Trust, year: AcademicYear) -> list[Month]:
    """The months of the year's compliance stages (the stages made the first time they are asked for)."""
    return _months(s for s in ensure_cycle(trust, year) if s.due_kind == Due.COMPLIANCE)


def cycle_year(first: datetime.date) -> AcademicYear | None:
    return AcademicYear.objects.filter(start_year=cycle_start_year(first)).first()


def refusal(months: list[Month], first: datetime.date, today: datetime.date) -> str:
    """Why a month's checks cannot be recorded ("" when they can), saying what to do instead."""
    label = f"{first:%B %Y}"
    if not any(m.first == first for m in months):
        if not months:
            return (
                f"{label} is not a month of compliance checks: the review cycle has no compliance stage "
                "around it. Choose a month from November to March."
            )
        return (
            f"{label} is not a month of compliance checks: choose a month from {months[0].label} to {months[-1].label}."
        )
    if first > today:
        return f"{label} has not started yet: its checks can be recorded from {first:%-d %B %Y}."
    return ""


# --- recording a month ----------------------------------------------------------------------


@dataclass(frozen=True)
class CheckRow:
    """What is recorded for one area: its outcome (Outcome) and notes."""

    area: ComplianceArea
    outcome: str
    notes: str = ""


def row_problems(area: ComplianceArea, outcome: str, notes: str) -> list[tuple[str, str]]:
    """What is wrong with one area's row, as (field, message): field is "outcome" or "notes"."""
    notes = notes.strip()
    if not outcome:
        if notes:
            return [
                (
                    "outcome",
                    f"Choose an outcome for {area.name} (Met, Met with actions or Not met), or clear its notes.",
                )
            ]
        return []
    if outcome not in Outcome.values:
        return [("outcome", f"Choose Met, Met with actions or Not met for {area.name}.")]
    if outcome in NEEDS_NOTES and not notes:
        return [("notes", NEEDS_NOTES[outcome].format(area=area.name))]
    return []


def record_checks(
    *, school: School, month: datetime.date, by, rows: Iterable[CheckRow], today: datetime.date | None = None
) -> list[ComplianceCheck]:
    """Record (or change) a school's checks for a month, every row or none: refused for a month
    outside the trust's compliance stages or not yet begun, an area the trust no longer checks, or
    a row that would mislead (an outcome short of Met without notes). Returns the checks changed;
    a row the same as what is recorded changes nothing and is not written again."""
    if not policy.records_compliance(by, school.pk):
        raise PermissionDenied(
            f"Only {school.name}'s headteacher and senior leaders, the central team and the CEO record its checks."
        )
    today = today or timezone.localdate()
    rows = list(rows)
    first = month.replace(day=1)
    year = cycle_year(first)
    months = compliance_months(school.trust, year) if year else []
    problems = [why] if (why := refusal(months, first, today)) else []
    seen: set[int] = set()
    for row in rows:
        if row.area.trust_id != school.trust_id or not row.area.is_active:
            problems.append(f"{row.area.name} is no longer checked each month: reload the page to see the areas.")
        if row.area.pk in seen:
            problems.append(f"{row.area.name} is given twice.")
        seen.add(row.area.pk)
        problems += [message for _field, message in row_problems(row.area, row.outcome, row.notes)]
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        # one school's month is saved by one person at a time: the second waits, then sees the first's rows
        School.objects.select_for_update().filter(pk=school.pk).first()
        have = {
            c.area_id: c
            for c in ComplianceCheck.objects.select_for_update().filter(school=school, month=first, area__in=seen)
        }
        now = timezone.now()
        changed = []
        for row in rows:
            notes = row.notes.strip()
            check = have.get(row.area.pk)
            if check is not None and (check.outcome, check.notes) == (row.outcome, notes):
                continue
            if check is None:
                check = ComplianceCheck(school=school, area=row.area, month=first)
            check.outcome, check.notes, check.by, check.at = row.outcome, notes, by, now
            check.full_clean(validate_unique=False, validate_constraints=False)  # the database holds those
            check._history_user = by
            check._change_reason = f"{row.area.name}, {first:%B %Y}: {check.get_outcome_display()}"
            check.save()
            changed.append(check)
    return changed


# --- what the pages read --------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One school's month on the overview, in words (never colour alone)."""

    school: School
    month: Month
    done: int
    total: int
    state: str  # "not_due", "complete", "overdue", "open"

    @property
    def words(self) -> str:
        if self.state == "not_due":
            return "Not yet due"
        if self.state == "complete":
            return f"All {self.total} checked"
        if self.state == "overdue":
            return f"Overdue: {self.done} of {self.total} checked"
        return f"{self.done} of {self.total} checked"

    @property
    def url(self) -> str:
        return reverse("cycle:compliance", kwargs={"school": self.school.slug, "month": self.month.slug})


def cell_state(done: int, total: int, month: Month, today: datetime.date) -> str:
    if month.is_future(today):
        return "not_due"
    if done >= total:
        return "complete"
    return "overdue" if month.is_overdue(today) else "open"


@dataclass
class Grid:
    year: AcademicYear
    months: list[Month]
    total: int  # the active areas
    rows: list[tuple[School, list[Cell]]]


def grid(trust: Trust, year: AcademicYear, schools: list[School], today: datetime.date) -> Grid:
    """Schools x the year's compliance months: how many active areas each has checked. A fixed
    number of queries: the stages, the areas, one count of the checks."""
    months = compliance_months(trust, year)
    total = ComplianceArea.objects.filter(trust=trust, is_active=True).count()
    counts: dict[tuple[int, datetime.date], int] = {}
    if months and schools and total:
        for school_id, first, n in (
            ComplianceCheck.objects.filter(
                school__in=[s.pk for s in schools],
                area__trust=trust,
                area__is_active=True,
                month__in=[m.first for m in months],
            )
            .order_by()
            .values("school_id", "month")
            .annotate(n=Count("pk"))
            .values_list("school_id", "month", "n")
        ):
            counts[(school_id, first)] = n
    rows = []
    for school in schools:
        cells = []
        for month in months:
            done = counts.get((school.pk, month.first), 0)
            cells.append(Cell(school, month, done, total, cell_state(done, total, month, today)))
        rows.append((school, cells))
    return Grid(year, months, total, rows)


@dataclass
class MonthPage:
    school: School
    first: datetime.date
    months: list[Month]  # the cycle's compliance months, for moving between them
    month: Month | None  # None: not a compliance month
    refusal: str  # why it cannot be recorded now ("" when it can)
    areas: list[ComplianceArea]
    checks: dict[int, ComplianceCheck]  # by area id, the active areas'
    retired: list[ComplianceCheck]  # checks of areas no longer checked
    history: list

    @property
    def label(self) -> str:
        return f"{self.first:%B %Y}"

    @property
    def done(self) -> int:
        return len(self.checks)

    def neighbours(self) -> tuple[Month | None, Month | None]:
        firsts = [m.first for m in self.months]
        if self.first not in firsts:
            return None, None
        i = firsts.index(self.first)
        return (self.months[i - 1] if i else None, self.months[i + 1] if i + 1 < len(self.months) else None)


def month_page(school: School, first: datetime.date, today: datetime.date) -> MonthPage:
    year = cycle_year(first)
    months = compliance_months(school.trust, year) if year else []
    month = next((m for m in months if m.first == first), None)
    areas = active_areas(school.trust)
    active = {a.pk for a in areas}
    checks: dict[int, ComplianceCheck] = {}
    retired = []
    for check in ComplianceCheck.objects.filter(school=school, month=first).select_related("area", "by"):
        if check.area_id in active:
            checks[check.area_id] = check
        else:
            retired.append(check)
    history = list(
        ComplianceCheck.history.filter(school_id=school.pk, month=first)
        .select_related("history_user", "area")
        .order_by("-history_date", "-history_id")
    )
    return MonthPage(school, first, months, month, refusal(months, first, today), areas, checks, retired, history)
