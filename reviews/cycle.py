"""The review cycle: each year's stages, the working calendar, and who owes what today.

`DEFAULT_STAGES` is the seed's cycle (../shared DOMAIN, "The review cycle") as data: April to
March, dates given as (month, day) from the April that starts the cycle of academic year Y
(April Y to March Y+1). `ensure_cycle` copies it into a year the first time the year is needed,
or copies the previous year's stages a year on, so the CEO's edits carry forward.

`owing(stages, today)` is the one answer to "who still owes what": it reads the data each
stage names (plans and their states, a term's ratings, the month's compliance checks, tasks
marked done), in a fixed number of queries per stage whatever the number of schools. The home
page, the calendar, the reminders and the CEO's overview all read it.
"""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from governance.models import SCHOOL_ROLES, Role, RoleAssignment
from governance.signals import PEOPLE
from plans.models import AcademicYear, Action, Aim, PlanKind, PlanState, PocketGuide, SchoolPlan, Status
from plans.models.school_plans import PUBLISHED_STATES
from plans.page_cache import PLAN_CONTENT
from plans.workflow import STEPS
from schools.models import School, Trust
from smart_trust.rendered import data_versions, kept

from .models import ComplianceArea, ComplianceCheck, Rating, Stage, StageDone, TermDates, Voice
from .models_cycle import TERM_DUES, Due
from .services import RATINGS

# (name, description, (start month, day), (due month, day), responsible, what is due, plan state, told)
# Months from April (the cycle's first); January to March fall in the next calendar year.
DEFAULT_STAGES = [
    ("First draft of the trust plan consulted on",
     "The CEO consults the Trust Board, the LGCs and headteachers on the first draft of the plan.",
     (4, 1), (4, 30), Role.CEO, Due.TASK, "", [Role.TRUSTEE, Role.HEADTEACHER]),
    ("Pocket guide published and e-mailed to all staff",
     "The second draft goes back for final comment; the year's pocket guide is published and every "
     "member of staff is e-mailed a link to it.",
     (5, 1), (5, 31), Role.CEO, Due.POCKET_GUIDE, "", []),
    ("First-draft SDPs submitted to the LGC",
     "Headteachers turn the pocket guide into their school's pocket guide and first-draft SDP; the "
     "TOLT drafts the BDP.",
     (6, 1), (7, 15), Role.HEADTEACHER, Due.PLAN_STATE, PlanState.SUBMITTED, []),
    ("LGCs agree the draft SDPs",
     "Each LGC agrees its school's draft SDP or returns it with comments.",
     (6, 15), (9, 10), Role.LOCAL_GOVERNOR, Due.PLAN_STATE, PlanState.AGREED, []),
    ("SDPs and BDPs finalised",
     "Headteachers finalise their plans for the CEO's sign-off; staff are reminded of the priorities.",
     (9, 1), (9, 20), Role.HEADTEACHER, Due.PLAN_STATE, PlanState.FINALISED, []),
    ("CEO signs off every plan",
     "The CEO signs off every finalised SDP and BDP.",
     (9, 1), (9, 30), Role.CEO, Due.PLAN_STATE, PlanState.SIGNED_OFF, []),
    ("Appraisal targets, STAR projects and last year's final review",
     "Appraisal targets linked to the SDP, BDP and TSP; STAR projects evaluated; exam analysis and "
     "last year's final review go to the LGC, then the Trust Board.",
     (10, 1), (10, 31), Role.HEADTEACHER, Due.TASK, "", []),
    ("Monthly compliance checks",
     "Each school records each month's compliance check for every area, November to March.",
     (11, 1), (3, 31), Role.HEADTEACHER, Due.COMPLIANCE, "", []),
    ("Mid-term review of the SDPs and STAR impact",
     "Headteachers and the CEO review the SDPs and the STAR projects' impact; it feeds the next cycle.",
     (3, 1), (3, 31), Role.HEADTEACHER, Due.TASK, "", []),
]  # fmt: skip

# Each term's ratings: (name, responsible, what is due); dates follow the term's rating window.
TERM_STAGES = [
    ("Self-assessment", Role.HEADTEACHER, Due.SELF_ASSESSMENT),
    ("Governors' ratings", Role.LOCAL_GOVERNOR, Due.GOVERNOR_RATINGS),
    ("Trustees rate the aims", Role.TRUSTEE, Due.AIM_RATINGS),
]

# The escalation ladder, in days after the due date: the reviewer, then the CEO.
REVIEWER_AFTER_DAYS = 3
CEO_AFTER_DAYS = 7
# How long the last cycle's overdue stages are still shown and chased into the new one.
CARRY_DAYS = datetime.timedelta(days=45)


def cycle_start_year(today: datetime.date) -> int:
    """The academic year whose cycle runs today: April Y to March Y+1 belongs to year Y."""
    return today.year if today.month >= 4 else today.year - 1


def _on(start_year: int, month_day: tuple[int, int]) -> datetime.date:
    month, day = month_day
    return datetime.date(start_year if month >= 4 else start_year + 1, month, day)


def term_stage_dates(term: TermDates) -> tuple[datetime.date, datetime.date]:
    return term.rating_opens, term.rating_closes


@transaction.atomic
def ensure_cycle(trust: Trust, year: AcademicYear) -> list[Stage]:
    """The year's stages, made the first time they are asked for: the previous year's a year on
    (the CEO's edits carry forward), else the default; and one stage per term and voice."""
    stages = list(Stage.objects.filter(trust=trust, academic_year=year).select_related("term"))
    terms = list(TermDates.objects.filter(academic_year=year).select_related("academic_year"))
    have = {(s.term_id, s.due_kind) for s in stages if s.term_id}
    complete = any(s.due_kind not in TERM_DUES for s in stages) and all(
        (t.pk, kind) in have for t in terms for _, _, kind in TERM_STAGES
    )
    if complete:
        return sorted(stages, key=lambda s: (s.starts, s.order, s.pk))
    # Something is missing: one maker at a time (a page and beat's tick, or two ticks), and read
    # again once it is ours, so each stage is made once.
    Trust.objects.select_for_update().filter(pk=trust.pk).values_list("pk", flat=True).first()
    stages = list(Stage.objects.filter(trust=trust, academic_year=year).select_related("term"))
    if not any(s.due_kind not in TERM_DUES for s in stages):
        before = list(
            Stage.objects.filter(trust=trust, academic_year__start_year=year.start_year - 1)
            .exclude(due_kind__in=sorted(TERM_DUES))
            .order_by("order", "pk")
        )
        if before:
            made = [
                Stage(
                    trust=trust, academic_year=year, order=s.order, name=s.name, description=s.description,
                    starts=_a_year_on(s.starts), due=_a_year_on(s.due), responsible=s.responsible,
                    due_kind=s.due_kind, plan_state=s.plan_state, told=s.told,
                    remind_days_before=s.remind_days_before,
                )
                for s in before
            ]  # fmt: skip
        else:
            made = [
                Stage(
                    trust=trust, academic_year=year, order=i, name=name, description=text,
                    starts=_on(year.start_year, starts), due=_on(year.start_year, due), responsible=role,
                    due_kind=kind, plan_state=state, told=[str(r) for r in told],
                )
                for i, (name, text, starts, due, role, kind, state, told) in enumerate(DEFAULT_STAGES)
            ]  # fmt: skip
        for stage in made:
            stage.full_clean()
            stage.save()
        stages += made
    have = {(s.term_id, s.due_kind) for s in stages if s.term_id}
    for term in terms:
        for i, (name, role, kind) in enumerate(TERM_STAGES):
            if (term.pk, kind) in have:
                continue
            opens, closes = term_stage_dates(term)
            stage = Stage(
                trust=trust, academic_year=year, order=50 + i, name=f"{name}: {term.get_term_display().lower()}",
                description=f"{term.get_term_display()} ratings, while the rating window is open.",
                starts=opens, due=closes, responsible=role, due_kind=kind, term=term, remind_days_before=5,
            )  # fmt: skip
            stage.full_clean()
            stage.save()
            stages.append(stage)
    return sorted(stages, key=lambda s: (s.starts, s.order, s.pk))


def _a_year_on(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def sync_term_stages(term: TermDates) -> None:
    """A term's rating stages follow its window when the central team moves it (or the CEO
    reopens it)."""
    opens, closes = term_stage_dates(term)
    closes = max(closes, term.reopened_until or closes)
    Stage.objects.filter(term=term).update(starts=opens, due=closes)


def year_shown(today: datetime.date) -> AcademicYear | None:
    """The year a cycle page opens on: the one whose cycle runs today, else the latest before it
    (the demo's 2023/24). Never makes a year: years come with the trust's plans and terms, and a
    new year changes which term every page calls current."""
    y = cycle_start_year(today)
    return (
        AcademicYear.objects.filter(start_year__lte=y).order_by("-start_year").first()
        or AcademicYear.objects.order_by("start_year").first()
    )


def ensure_current(today: datetime.date | None = None) -> list[Stage]:
    """The cycle running today for every trust, made if missing (beat's tick calls this). Only
    for a year the trust has (its plans or terms made it): a tick never invents a year."""
    today = today or timezone.localdate()
    year = AcademicYear.objects.filter(start_year=cycle_start_year(today)).first()
    if year is None:
        return []
    stages: list[Stage] = []
    for trust in Trust.objects.all():
        stages += ensure_cycle(trust, year)
    return stages


# --- who owes what --------------------------------------------------------------------------


@dataclass
class People:
    """The trust's role holders, read once: who holds which role where, and who is chair."""

    by_role: dict[tuple[str, int | None], list[int]] = field(default_factory=lambda: defaultdict(list))
    chairs: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    names: dict[int, str] = field(default_factory=dict)
    roles_of: dict[int, set[tuple[str, int | None]]] = field(default_factory=lambda: defaultdict(set))

    @classmethod
    def of(cls, trust: Trust) -> People:
        people = cls()
        for user_id, role, school_id, chair, name in RoleAssignment.objects.filter(
            trust=trust, user__is_active=True
        ).values_list("user_id", "role", "school_id", "is_chair", "user__full_name"):
            people.by_role[(role, school_id)].append(user_id)
            people.roles_of[user_id].add((role, school_id))
            people.names[user_id] = name
            if chair:
                people.chairs[school_id].append(user_id)
        return people

    def holders(self, role: str, school_id: int | None = None) -> list[int]:
        return sorted(set(self.by_role.get((role, school_id), [])))

    def holders_anywhere(self, role: str) -> list[int]:
        """Everyone holding `role`, at any school or trust-wide."""
        return sorted({u for (r, _s), users in self.by_role.items() if r == role for u in users})

    def everyone(self) -> list[int]:
        return sorted(self.roles_of)

    def ceo(self) -> list[int]:
        return self.holders(Role.CEO)

    def reviewers(self, owner: int, school_id: int | None) -> list[int]:
        """Whom an owner answers to: the chair for governors, the head for leaders, the chair for
        the head; trust-wide people answer to the CEO (the CEO's own reminders stop at the CEO)."""
        roles = {r for r, s in self.roles_of.get(owner, set()) if s == school_id}
        if school_id is not None:
            if Role.LOCAL_GOVERNOR in roles:
                chairs = [c for c in self.chairs.get(school_id, []) if c != owner]
                return chairs or self.ceo()
            if Role.HEADTEACHER in roles:
                return self.chairs.get(school_id, []) or self.ceo()
            heads = [h for h in self.holders(Role.HEADTEACHER, school_id) if h != owner]
            return heads or self.ceo()
        return [c for c in self.ceo() if c != owner]


@dataclass(frozen=True)
class Owed:
    """Something one or more people still owe: one subject of one stage."""

    stage: Stage
    subject: str  # unique within the stage: stage-12-plan-40, stage-12-school-3-2026-11
    text: str  # what to do, as an instruction: "Submit to the LGC: Saltash SDP 2024/25"
    url: str
    opens: datetime.date
    due: datetime.date
    owners: tuple[int, ...]
    school_id: int | None = None
    done: int = 0
    total: int = 0

    def is_overdue(self, today: datetime.date) -> bool:
        return today > self.due


RANK = {state: i for i, state in enumerate(PlanState.values)}
NEXT_STEP = {PlanState.DRAFT: "submit", PlanState.SUBMITTED: "agree", PlanState.AGREED: "finalise",
             PlanState.FINALISED: "sign_off"}  # fmt: skip
# Who takes a plan on from each state, as the stage's responsible role says it.
SIDE = {
    Role.HEADTEACHER: {PlanState.DRAFT, PlanState.AGREED}, Role.SENIOR_LEADER: {PlanState.DRAFT, PlanState.AGREED},
    Role.CFO_COO: {PlanState.DRAFT, PlanState.AGREED}, Role.TOLT_MEMBER: {PlanState.DRAFT, PlanState.AGREED},
    Role.LOCAL_GOVERNOR: {PlanState.SUBMITTED}, Role.TRUSTEE: {PlanState.SUBMITTED},
    Role.CEO: {PlanState.FINALISED},
}  # fmt: skip


class _Reader:
    """Works out one trust's owed subjects for some stages on one day, sharing what it reads."""

    def __init__(self, trust: Trust, today: datetime.date, people: People | None = None):
        self.trust = trust
        self.today = today
        self.people = people or People.of(trust)
        self._schools: list[School] | None = None
        self._plans: dict[int, list[SchoolPlan]] = {}

    @property
    def schools(self) -> list[School]:
        if self._schools is None:
            self._schools = list(School.objects.filter(trust=self.trust).order_by("name"))
        return self._schools

    def plans(self, year_id: int) -> list[SchoolPlan]:
        if year_id not in self._plans:
            self._plans[year_id] = list(
                SchoolPlan.objects.filter(trust=self.trust, academic_year_id=year_id)
                .select_related("school", "academic_year", "trust")
                .order_by("kind", "school__name")
            )
        return self._plans[year_id]

    # who writes, who agrees, for a plan (or a school without one)
    def writers(self, school_id: int | None) -> list[int]:
        if school_id is None:
            return self.people.holders(Role.CFO_COO) or self.people.holders(Role.TOLT_MEMBER)
        return self.people.holders(Role.HEADTEACHER, school_id)

    def governors(self, school_id: int | None) -> list[int]:
        if school_id is None:
            return self.people.holders(Role.TRUSTEE)
        return self.people.holders(Role.LOCAL_GOVERNOR, school_id)

    def owed(self, stage: Stage) -> list[Owed]:
        if stage.starts > self.today:
            return []
        reader = getattr(self, f"_{stage.due_kind}", None)
        return reader(stage) if reader else []

    def _plan_state(self, stage: Stage) -> list[Owed]:
        target = RANK[stage.plan_state]
        side = SIDE.get(stage.responsible, set())
        found: list[Owed] = []
        plans = self.plans(stage.academic_year_id)
        with_sdp = {p.school_id for p in plans if p.kind == PlanKind.SDP}
        year = stage.academic_year
        if PlanState.DRAFT in side and stage.responsible in (Role.HEADTEACHER, Role.SENIOR_LEADER):
            for school in self.schools:
                if school.pk not in with_sdp and (owners := self.writers(school.pk)):
                    found.append(
                        Owed(stage, f"stage-{stage.pk}-school-{school.pk}", f"Start the {school.name} SDP {year.label}",
                             reverse("school_plans:create"), stage.starts, stage.due, tuple(owners), school.pk)
                    )  # fmt: skip
        for plan in plans:
            if RANK[plan.state] >= target or plan.state not in side:
                continue
            if plan.state in (PlanState.DRAFT, PlanState.AGREED):
                owners = self.writers(plan.school_id)
            elif plan.state == PlanState.SUBMITTED:
                owners = self.governors(plan.school_id)
            else:
                owners = self.people.ceo()
            if owners:
                step = STEPS[NEXT_STEP[plan.state]]
                found.append(
                    Owed(stage, f"stage-{stage.pk}-plan-{plan.pk}", f"{step.button}: {plan.title}",
                         plan.get_absolute_url(), stage.starts, stage.due, tuple(owners), plan.school_id)
                )  # fmt: skip
        return found

    def _pocket_guide(self, stage: Stage) -> list[Owed]:
        published = PocketGuide.objects.filter(
            plan__trust=self.trust, academic_year=stage.academic_year, status=Status.PUBLISHED,
            plan__status=Status.PUBLISHED,
        ).exists()  # fmt: skip
        owners = self.people.holders(stage.responsible)
        if published or not owners:
            return []
        return [
            Owed(stage, f"stage-{stage.pk}", f"Publish the {stage.academic_year.label} pocket guide",
                 reverse("plans:index"), stage.starts, stage.due, tuple(owners))
        ]  # fmt: skip

    def _rated_plans(self, stage: Stage) -> list[SchoolPlan]:
        return [p for p in self.plans(stage.academic_year_id) if p.state in PUBLISHED_STATES]

    def _self_assessment(self, stage: Stage) -> list[Owed]:
        plans = self._rated_plans(stage)
        if not plans:
            return []
        rated = set(
            Rating.objects.filter(term=stage.term, voice=Voice.SELF, plan__in=plans, action__isnull=False).values_list(
                "action_id", flat=True
            )
        )
        unrated: dict[int, dict[int | None, int]] = defaultdict(lambda: defaultdict(int))
        totals: dict[int, int] = defaultdict(int)
        actions = Action.objects.filter(plan__in=plans).values_list("pk", "plan_id", "lead_id")
        for action_id, plan_id, lead_id in actions:
            totals[plan_id] += 1
            if action_id not in rated:
                unrated[plan_id][lead_id] += 1
        found = []
        for plan in plans:
            if not unrated.get(plan.pk):
                continue
            owners: set[int] = set()
            heads = self.writers(plan.school_id)
            for lead, _n in unrated[plan.pk].items():
                # an action's lead answers for it while they still work at the school
                if (
                    lead is not None
                    and lead in self.people.roles_of
                    and (plan.school_id is None or any(s == plan.school_id for _, s in self.people.roles_of[lead]))
                ):
                    owners.add(lead)
                else:
                    owners.update(heads)
            left = sum(unrated[plan.pk].values())
            total = totals[plan.pk]
            term = stage.term
            found.append(
                Owed(stage, f"stage-{stage.pk}-plan-{plan.pk}",
                     f"Self-assess the {plan.owner_name} {plan.short_kind} for {term.name}",
                     reverse("reviews:rate", kwargs={"pk": plan.pk, "term": term.term}) + f"?voice={Voice.SELF}",
                     stage.starts, stage.due, tuple(sorted(owners)), plan.school_id, total - left, total)
            )  # fmt: skip
        return found

    def _governor_ratings(self, stage: Stage) -> list[Owed]:
        plans = self._rated_plans(stage)
        if not plans:
            return []
        term = stage.term
        done: dict[int, int] = defaultdict(int)
        raters: dict[int, set[int]] = defaultdict(set)
        for plan_id, by_id in Rating.objects.filter(
            term=term, voice=Voice.GOVERNORS, plan__in=plans, action__isnull=False
        ).values_list("plan_id", "by_id"):
            done[plan_id] += 1
            raters[plan_id].add(by_id)
        totals = dict(
            Action.objects.filter(plan__in=plans)
            .order_by()
            .values("plan_id")
            .annotate(n=Count("pk"))
            .values_list("plan_id", "n")
        )
        found = []
        for plan in plans:
            total = totals.get(plan.pk, 0)
            if total == 0 or done[plan.pk] >= total:
                continue
            body = self.governors(plan.school_id)
            # a governor who has rated is not chased; if all have, their chair answers for the rest
            owners = [g for g in body if g not in raters[plan.pk]]
            if not owners:
                owners = self.people.chairs.get(plan.school_id, []) if plan.school_id else body
            found.append(
                Owed(stage, f"stage-{stage.pk}-plan-{plan.pk}",
                     f"Rate the {plan.owner_name} {plan.short_kind} for {term.name}",
                     reverse("reviews:rate", kwargs={"pk": plan.pk, "term": term.term}) + f"?voice={Voice.GOVERNORS}",
                     stage.starts, stage.due, tuple(sorted(owners)), plan.school_id, done[plan.pk], total)
            )  # fmt: skip
        return found

    def _aim_ratings(self, stage: Stage) -> list[Owed]:
        term = stage.term
        y = stage.academic_year.start_year
        aims = Aim.objects.filter(plan__trust=self.trust, plan__start_year__lte=y, plan__end_year__gt=y)
        total = aims.count()
        if not total:
            return []
        rows = list(Rating.objects.filter(term=term, voice=Voice.TRUSTEES, aim__in=aims).values_list("aim_id", "by_id"))
        done = len({a for a, _ in rows})
        if done >= total:
            return []
        raters = {b for _, b in rows}
        owners = [t for t in self.people.holders(Role.TRUSTEE) if t not in raters] or self.people.ceo()
        return [
            Owed(stage, f"stage-{stage.pk}", f"Rate the trust's aims for {term.name}",
                 reverse("reviews:aims", kwargs={"term": term.slug}), stage.starts, stage.due, tuple(owners),
                 None, done, total)
        ]  # fmt: skip

    def _compliance(self, stage: Stage) -> list[Owed]:
        areas = list(ComplianceArea.objects.filter(trust=self.trust, is_active=True).values_list("pk", flat=True))
        if not areas:
            return []
        months = [m for m in months_of(stage) if m <= self.today]
        if not months:
            return []
        checked: dict[tuple[int, datetime.date], int] = defaultdict(int)
        for school_id, month in ComplianceCheck.objects.filter(
            school__trust=self.trust, area_id__in=areas, month__in=months
        ).values_list("school_id", "month"):
            checked[(school_id, month)] += 1
        found = []
        for month in months:
            last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
            due = min(last, stage.due)
            for school in self.schools:
                n = checked[(school.pk, month)]
                owners = self.writers(school.pk)
                if n >= len(areas) or not owners:
                    continue
                found.append(
                    Owed(stage, f"stage-{stage.pk}-school-{school.pk}-{month:%Y-%m}",
                         f"Record {school.name}'s compliance checks for {month:%B %Y}",
                         reverse("cycle:compliance", kwargs={"school": school.slug, "month": f"{month:%Y-%m}"}),
                         month, due, tuple(owners), school.pk, n, len(areas))
                )  # fmt: skip
        return found

    def _task(self, stage: Stage) -> list[Owed]:
        done = set(StageDone.objects.filter(stage=stage).values_list("school_id", flat=True))
        url = reverse("cycle:stage", kwargs={"pk": stage.pk})
        if stage.responsible in SCHOOL_ROLES:
            found = []
            for school in self.schools:
                owners = self.people.holders(stage.responsible, school.pk)
                if school.pk in done or not owners:
                    continue
                found.append(
                    Owed(stage, f"stage-{stage.pk}-school-{school.pk}", f"{stage.name} ({school.name})", url,
                         stage.starts, stage.due, tuple(owners), school.pk)
                )  # fmt: skip
            return found
        owners = self.people.holders(stage.responsible)
        if None in done or not owners:
            return []
        return [Owed(stage, f"stage-{stage.pk}", stage.name, url, stage.starts, stage.due, tuple(owners))]


def months_of(stage: Stage) -> list[datetime.date]:
    """The first day of each month a compliance stage covers."""
    month = stage.starts.replace(day=1)
    months = []
    while month <= stage.due:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


def owing(trust: Trust, stages: Iterable[Stage], today: datetime.date, people: People | None = None) -> list[Owed]:
    """Everything still owed on `today` for these stages (open ones only), soonest due first."""
    reader = _Reader(trust, today, people)
    found = [o for stage in stages for o in reader.owed(stage)]
    return sorted(found, key=lambda o: (o.due, o.stage.order, o.subject))


CYCLE = "cycle"  # the data version moved on by every change owing() reads (reviews.signals)


@dataclass
class Picture:
    """Everything owed in a trust on one day, with the people and school names it names."""

    owed: list[Owed]
    people: People
    schools: dict[int, str]
    stage_ids: frozenset[int] = frozenset()  # the live stages it was worked out for


def owing_today(trust: Trust, today: datetime.date) -> Picture:
    """`owing` for the stages live today, kept per day and per version of everything it reads
    (plans and stages, ratings, people, the strategic plan): one query and a cache read when
    nothing has changed."""
    versions = data_versions(CYCLE, RATINGS, PEOPLE, PLAN_CONTENT)

    def compute() -> Picture:
        stages = live_stages(trust, today)
        if not stages:  # no cycle this year (yet): nothing to read
            return Picture([], People(), {})
        reader = _Reader(trust, today)
        owed = sorted((o for s in stages for o in reader.owed(s)), key=lambda o: (o.due, o.stage.order, o.subject))
        return Picture(owed, reader.people, {s.pk: s.name for s in reader.schools}, frozenset(s.pk for s in stages))

    return kept(f"owing:{trust.pk}:{today}:{versions}", compute)


def owed_for(trust: Trust, stages: Iterable[Stage], today: datetime.date) -> tuple[list[Owed], People]:
    """`owing` for these stages, from today's kept picture when it covers every one of them that
    has opened (the pages of the year running now), else worked out afresh (another year's)."""
    stages = list(stages)
    opened = {s.pk for s in stages if s.starts <= today}
    picture = owing_today(trust, today)
    if opened <= picture.stage_ids:
        return [o for o in picture.owed if o.stage.pk in opened], picture.people
    people = People.of(trust)
    return owing(trust, stages, today, people), people


def live_stages(trust: Trust, today: datetime.date) -> list[Stage]:
    """The stages that matter today: open ones of this cycle, and the last cycle's that fell due
    in the last `CARRY_DAYS` (what was overdue at the turn of the cycle is still chased a while)."""
    y = cycle_start_year(today)
    return list(
        Stage.objects.filter(
            Q(academic_year__start_year=y) | Q(academic_year__start_year=y - 1, due__gte=today - CARRY_DAYS),
            trust=trust,
            starts__lte=today,
        )
        .select_related("academic_year", "term", "term__academic_year")
        .order_by("due", "order")
    )
