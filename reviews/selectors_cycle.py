"""Reads for the CEO's pages of the review cycle (reviews.views_cycle): the year's stages with
what each still asks, one stage's owed parts as a person may see them, and the log of what was
overdue, sent and held back. Each read costs a fixed number of queries whatever the number of
schools, messages or decisions on the page."""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.http import Http404

from governance import policy
from governance.models import SCHOOL_ROLES, Role, User
from plans.models import AcademicYear
from schools.models import School, Trust

from . import cycle
from .models_cycle import TERM_DUES, Decision, Due, Message, Stage, StageDone

YEAR_SLUG = re.compile(r"^(?P<start>\d{4})-(?P<end>\d{2})$")
LOG_PAGE = 50
MESSAGES_SHOWN = 50

# The log's outcome filter, in the CEO's words -> the Decision outcomes it covers.
OUTCOME_FILTERS = {
    "held": ("Held back", [Decision.Outcome.HELD, Decision.Outcome.SUPPRESSED]),
    "failed": ("Failed", [Decision.Outcome.FAILED, Decision.Outcome.RETRY]),
    "sent": ("Sent", [Decision.Outcome.SENT]),
    "queued": ("Queued", [Decision.Outcome.QUEUED]),
}


def is_school_stage(stage: Stage) -> bool:
    return stage.responsible in SCHOOL_ROLES


# --- the year -----------------------------------------------------------------------------------


def year_of(slug: str | None, today: datetime.date) -> AcademicYear:
    """The academic year a page asks for (`2024-25`), by default the cycle running today, else the
    latest before it (reviews.cycle.year_shown). A page never makes a year: a new year changes which
    term every page calls current, so years come with the trust's plans and terms."""
    if not slug:
        year = cycle.year_shown(today)
        if year is None:
            raise Http404("The trust has no academic year yet.")
        return year
    match = YEAR_SLUG.match(slug)
    if not match or (int(match["start"]) + 1) % 100 != int(match["end"]):
        raise Http404("Name the academic year as 2024-25.")
    try:
        return AcademicYear.objects.get(start_year=int(match["start"]))
    except AcademicYear.DoesNotExist:
        raise Http404(f"There is no academic year {slug}.") from None


def year_choices(today: datetime.date) -> list[AcademicYear]:
    """The years the stages page offers: those the trust has."""
    return list(AcademicYear.objects.order_by("start_year"))


# --- what a stage still asks --------------------------------------------------------------------


@dataclass
class StageRow:
    stage: Stage
    owed: list[cycle.Owed]
    state: str  # words: "Done", "4 schools overdue", "Opens on 1 June 2024"...
    overdue: bool


def _count_words(owed: list[cycle.Owed]) -> str:
    schools = {o.school_id for o in owed if o.school_id is not None}
    trust = any(o.school_id is None for o in owed)
    if schools:
        words = f"{len(schools)} school{'s' if len(schools) != 1 else ''}"
        return words + (" and the trust" if trust else "")
    return "The trust" if len(owed) == 1 else f"{len(owed)} items"


def stage_state(stage: Stage, owed: list[cycle.Owed], today: datetime.date) -> tuple[str, bool]:
    """What a stage asks today, in words (never by colour alone)."""
    if stage.due_kind == Due.NOTHING:
        return "For information", False
    if stage.starts > today:
        return f"Opens on {stage.starts:%-d %B %Y}", False
    if not owed:
        return "Done", False
    overdue = [o for o in owed if o.is_overdue(today)]
    if overdue:
        return f"{_count_words(overdue)} overdue", True
    return f"{_count_words(owed)} still to do, due {stage.due:%-d %B %Y}", False


def year_stages(trust: Trust, year: AcademicYear, today: datetime.date) -> list[StageRow]:
    """The year's stages (made if missing) and what each still asks today."""
    stages = cycle.ensure_cycle(trust, year)
    for stage in stages:
        stage.academic_year = year
    owed: dict[int, list[cycle.Owed]] = defaultdict(list)
    for o in cycle.owed_for(trust, stages, today)[0]:
        owed[o.stage.pk].append(o)
    rows = []
    for stage in stages:
        state, overdue = stage_state(stage, owed[stage.pk], today)
        rows.append(StageRow(stage, owed[stage.pk], state, overdue))
    return rows


def stages_of_trust(user) -> QuerySet[Stage]:
    """The stages a signed-in person may open: those of their trust."""
    trust = Trust.objects.of_person(user)
    return Stage.objects.filter(trust=trust).select_related("academic_year", "term", "term__academic_year", "trust")


@dataclass
class OwedLine:
    owed: cycle.Owed
    school: str  # the school's name, or "The trust"
    owners: list[str]
    overdue: bool


@dataclass
class StagePage:
    stage: Stage
    state: str
    overdue: bool
    lines: list[OwedLine]
    hidden: int  # owed parts of other schools, not shown to a school's people
    done: list[StageDone]
    # Where the person may mark a task stage done: schools (pk, name), or the trust (None).
    may_mark: list[tuple[int | None, str]] = field(default_factory=list)


def _names(people: cycle.People, ids) -> list[str]:
    return sorted(people.names.get(i) or "Someone without a name" for i in ids)


def markable(user, stage: Stage, schools: list[School], done: set[int | None]) -> list[tuple[int | None, str]]:
    """Where `user` may mark a task stage done and it is not done yet: schools for a school
    role's stage (the CEO: any school), the trust for a trust role's."""
    if stage.due_kind != Due.TASK:
        return []
    if is_school_stage(stage):
        return [
            (s.pk, s.name)
            for s in schools
            if s.pk not in done and policy.marks_stage_done(user, stage.responsible, s.pk)
        ]
    if None not in done and policy.marks_stage_done(user, stage.responsible, None):
        return [(None, "The trust")]
    return []


def stage_page(user, stage: Stage, today: datetime.date) -> StagePage:
    """One stage for one person: what it still asks (as much of it as governance.policy's
    sees_what_is_owed lets them know), who marked it done, and where they may mark it."""
    trust = stage.trust
    people = cycle.People.of(trust)
    schools = list(School.objects.filter(trust=trust).order_by("name"))
    names = {s.pk: s.name for s in schools}
    owed = cycle.owing(trust, [stage], today, people)
    state, overdue = stage_state(stage, owed, today)
    shown = [o for o in owed if policy.sees_what_is_owed(user, o.school_id, o.owners)]
    lines = [
        OwedLine(o, names.get(o.school_id, "The trust"), _names(people, o.owners), o.is_overdue(today)) for o in shown
    ]
    done = list(StageDone.objects.filter(stage=stage).select_related("by", "school").order_by("at", "pk"))
    return StagePage(
        stage=stage,
        state=state,
        overdue=overdue,
        lines=lines,
        hidden=len(owed) - len(shown),
        done=done,
        may_mark=markable(user, stage, schools, {d.school_id for d in done}),
    )


def stage_history(stage: Stage, limit: int = 5) -> list:
    """The stage's last changes: who and when."""
    return list(stage.history.select_related("history_user").order_by("-history_id")[:limit])


# --- the log ------------------------------------------------------------------------------------


@dataclass
class OverdueLine:
    owed: cycle.Owed
    school: str
    owners: list[str]
    days_late: int


@dataclass
class OverdueStage:
    """One stage's overdue things: how many, the earliest, and the first few (the stage's own
    page lists them all), so the log stays one screen whatever the number of schools."""

    stage: Stage
    count: int
    since: datetime.date
    lines: list[OverdueLine]

    @property
    def more(self) -> int:
        return self.count - len(self.lines)


OVERDUE_SHOWN = 5  # per stage, the most overdue first


def overdue_now(trust: Trust, today: datetime.date) -> list[OverdueStage]:
    """What is overdue today, per stage (the live stages: this cycle's open ones and the last
    cycle's recently due), from today's kept picture of who owes what."""
    picture = cycle.owing_today(trust, today)
    by_stage: dict[int, list[cycle.Owed]] = defaultdict(list)
    for o in picture.owed:
        if o.is_overdue(today):
            by_stage[o.stage.pk].append(o)
    found = []
    for items in by_stage.values():
        items.sort(key=lambda o: (o.due, o.subject))
        lines = [
            OverdueLine(o, picture.schools.get(o.school_id, "The trust"), _names(picture.people, o.owners),
                        (today - o.due).days)
            for o in items[:OVERDUE_SHOWN]
        ]  # fmt: skip
        found.append(OverdueStage(items[0].stage, len(items), items[0].due, lines))
    return sorted(found, key=lambda s: (s.since, s.stage.order))


MESSAGE_ORDER = Case(
    When(state=Message.State.FAILED, then=Value(0)),
    When(state=Message.State.PENDING, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


@dataclass
class MessageSummary:
    shown: list[Message]
    counts: dict[str, int]  # state -> how many

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def messages_of(trust: Trust) -> MessageSummary:
    """The trust's messages, failed ones first, then those waiting, then the latest sent."""
    mine = Message.objects.filter(recipient__roles__trust=trust).values("pk")
    messages = Message.objects.filter(pk__in=mine)
    counts = dict(messages.order_by().values_list("state").annotate(n=Count("pk")))
    shown = list(
        messages.select_related("recipient")
        .annotate(rank=MESSAGE_ORDER)
        .order_by("rank", "-created_at", "-pk")[:MESSAGES_SHOWN]
    )
    return MessageSummary(shown, {state: counts.get(state, 0) for state in Message.State.values})


def decisions_of(trust: Trust, *, outcome: str = "", person: str = "", page: str | int = 1) -> Page:
    """The decision log, newest first, filtered by outcome (OUTCOME_FILTERS) and by a person's
    name or e-mail, 50 a page."""
    decisions = Decision.objects.filter(recipient__in=_people_of(trust)).select_related("recipient")
    if outcome in OUTCOME_FILTERS:
        decisions = decisions.filter(outcome__in=OUTCOME_FILTERS[outcome][1])
    if person:
        decisions = decisions.filter(Q(recipient__full_name__icontains=person) | Q(recipient__email__icontains=person))
    return Paginator(decisions.order_by("-at", "-pk"), LOG_PAGE).get_page(page)


def _people_of(trust: Trust):
    return User.objects.filter(roles__trust=trust).values("pk")


def role_label(role: str) -> str:
    return Role(role).label if role in Role.values else role


def told_labels(stage: Stage) -> list[str]:
    return [role_label(r) for r in stage.told]


def is_term_stage(stage: Stage) -> bool:
    return stage.term_id is not None or stage.due_kind in TERM_DUES
