"""A large demo trust on demand: `manage.py load_demo --schools 120 --years 3`.

First the small demo (smart_trust.demo.load_demo), then synthetic schools up to `schools` in
all, 25 people with roles in every school (a headteacher, 2 senior leaders, 4 middle leaders,
6 local governors of whom one chairs the LGC, 12 staff), a published pocket guide for each of
`years` academic years starting with the demo's 2023/24 (copies of its milestones, reworded for
the year), and for every school and year an SDP of 12 priorities, 60 actions and 120 success
criteria, moved through the workflow with its PlanEvents and every row's history.

Everything is written with bulk_create in one transaction; the history rows are written the same
way, dated as the work would have happened (plans written in the summer before their year,
submitted and agreed in September, finalised and signed off in October, progress and evidence
during the year). Some items are edited after the LGC agreed, so the CEO's sign-off queue has
changes to show. Every finalised and signed-off SDP is rated in the autumn and spring terms of its
year, inside each term's rating window, by the governors (the chair records their rating) and, in
the latest year, by its leaders too (the action's lead self-assesses; earlier years' self-
assessments are left out to keep the loader quick): mostly green, some amber and red with a commentary, a green on a
measured action with this term's figure, some actions not rated, some schools quiet, a few where
the two voices disagree. Stored summaries on the plan (if any) are left at their defaults: the app works
them out again when it next needs them.

Running it again does not duplicate anything: when the trust already has at least `schools`
schools and an SDP for each of them in each of the years, it says so and writes nothing. A
different, smaller large demo already in the database is refused (drop the database to load a
bigger one). The data are the same on every run (a fixed random seed).
"""

from __future__ import annotations

import datetime
import random
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from django.db.models import Count, Max, OuterRef, Subquery
from django.utils import timezone
from django.utils.text import slugify

from governance.models import Role, RoleAssignment, User
from governance.signals import PEOPLE
from plans import page_cache
from plans.models import (
    AcademicYear,
    Action,
    ActionStatus,
    ColumnHeadline,
    ColumnHeadlineBullet,
    Evidence,
    Milestone,
    PlanEvent,
    PlanKind,
    PlanState,
    PocketGuide,
    PocketGuideGroup,
    Priority,
    SchoolPlan,
    Step,
    SuccessCriterion,
    Term,
)
from plans.models.school_plans import PUBLISHED_STATES
from plans.models.strategic import Status
from plans.services import NUMBERED
from plans.workflow import STEPS
from reviews.cycle import CYCLE
from reviews.models import Rating, RatingValue, Voice
from reviews.services import RATINGS, ensure_terms
from schools.models import Phase, School
from smart_trust.rendered import data_changed

from .demo import DEMO_DOMAIN, SCHOOLS, demo_email, load_demo

DEMO_YEAR = 2023  # the year of the demo plan's pocket guide
SYNTHETIC_URN_FROM = 910001  # URNs of the synthetic schools: 910001, 910002, ...
MAX_SCHOOLS = 800
SEED = 17
BATCH = 2000
REASON = "Large demo trust"

# (role, e-mail key, how many per school)
PER_SCHOOL = [
    (Role.HEADTEACHER, "head", 1),
    (Role.SENIOR_LEADER, "senior", 2),
    (Role.MIDDLE_LEADER, "middle", 4),
    (Role.LOCAL_GOVERNOR, "governor", 6),
    (Role.STAFF, "staff", 12),
]
LEADER_ROLES = (Role.HEADTEACHER, Role.SENIOR_LEADER, Role.MIDDLE_LEADER)
PRIORITIES_PER_PLAN = 12
ACTIONS_PER_PRIORITY = 5
CRITERIA_PER_ACTION = 2

# The state of each school's plan in the latest year, school by school (older years are signed off).
LATEST_YEAR_STATES = [
    PlanState.SIGNED_OFF,
    PlanState.FINALISED,
    PlanState.AGREED,
    PlanState.SIGNED_OFF,
    PlanState.SUBMITTED,
    PlanState.DRAFT,
    PlanState.FINALISED,
    PlanState.SIGNED_OFF,
    PlanState.FINALISED,
    PlanState.SIGNED_OFF,
]
PATH = {  # the steps that lead to each state
    PlanState.DRAFT: [],
    PlanState.SUBMITTED: [Step.SUBMIT],
    PlanState.AGREED: [Step.SUBMIT, Step.AGREE],
    PlanState.FINALISED: [Step.SUBMIT, Step.AGREE, Step.FINALISE],
    PlanState.SIGNED_OFF: [Step.SUBMIT, Step.AGREE, Step.FINALISE, Step.SIGN_OFF],
}

# --- words ---------------------------------------------------------------------------------------

PLACES = """Ashcombe Bramley Carnwood Dunmere Eastbrook Fenwick Greystoke Hallow Ivybridge Kelsey Langley
Millbrook Northam Oakfield Pelynt Quethiock Redmoor Stokeclimsland Tremar Upton Venton Whitstone Yeolmbridge
Allerford Bickleigh Colebrooke Dunterton Exbourne Fremington Gunnislake Harrowbarrow Instow Kingsand Lanreath
Merrymeet Newbridge Otterham Polbathic Rilla Sheviock Tideford Treburley Uplowman Wadebridge Ashwater Boyton
Calstock Dobwalls Egloskerry Forder Golberdon Halwill Inny Jacobstow Kilkhampton Landrake Menheniot Notter
Pensilva Rame Stoketon Trewidland Warleggan Woolston Bradworthy Chilsworthy Dulverton Ellbridge Frogwell Gooseford
Hatt Horsebridge Linkinhorne Metherell Minions Pillaton Quarrywood Ruthernbridge StGermans Sutton Torpoint Trerulefoot
Albaston Bealsmill Crafthole Darite Downderry Hessenford""".split()
PREFIXES = ["", "North ", "South ", "Upper ", "Lower ", "Great ", "Little ", "East ", "West ", "Old "]
SCHOOL_KINDS = {
    Phase.PRIMARY: [
        "Primary School",
        "Community Primary School",
        "CofE Primary School",
        "Primary Academy",
        "Infant and Nursery School",
        "Junior School",
        "Methodist Primary School",
    ],
    Phase.SECONDARY: ["Academy", "Community College", "High School", "Community School"],
    Phase.SPECIAL: ["Special School", "Specialist Learning Centre"],
    Phase.ALL_THROUGH: ["All-Through Academy", "Learning Campus"],
}
# One in 25 all-through, two special, five secondary, the rest primary; spread through the list.
PHASE_CYCLE = [Phase.PRIMARY] * 25
for _i in (2, 7, 12, 17, 22):
    PHASE_CYCLE[_i] = Phase.SECONDARY
PHASE_CYCLE[9] = PHASE_CYCLE[19] = Phase.SPECIAL
PHASE_CYCLE[14] = Phase.ALL_THROUGH

FIRST_NAMES = """Amelia Oliver Isla George Ava Harry Mia Jack Ruby Noah Grace Leo Freya Oscar Evie Arthur Poppy
Charlie Ella Alfie Lily Henry Sophie Thomas Emily Jacob Chloe William Jessica Joshua Daisy James Holly Samuel
Megan Daniel Rosie Joseph Lucy Benjamin Hannah Edward Abigail Ethan Phoebe Lewis Alice Matthew Millie Ryan Eleanor
Adam Zara Luke Imogen Owen Martha Tom Nadia Kieran Priya Rhys""".split()
LAST_NAMES = """Pascoe Trelawny Penrose Nancarrow Rowe Jago Hocking Tregear Polglase Kitto Hawke Bolitho Carne
Chegwidden Dunstan Eddy Grenfell Harvey Jenkin Keast Lander Moyle Nicholls Oates Pearce Quick Rickard Sandercock
Tonkin Uren Vosper Wearne Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans
Walker White Roberts Green Hall Wood Jackson Clarke Patel Khan Ahmed Murphy Kelly Hughes Edwards Turner Hill
Cooper Ward Morris Moore Clark Lee King Baker""".split()
LINK_AREAS = ["SEND", "Safeguarding", "Pupil premium", "Curriculum", "Health and safety", "Wellbeing"]

OWN_PRIORITIES = [
    ("Improve attendance and reduce persistent absence", "Attendance is below the national average."),
    ("Raise standards in early reading and phonics", "Every child a fluent reader by the end of Year 2."),
    ("Strengthen provision for pupils with SEND", "Adaptive teaching so that pupils with SEND thrive."),
    ("Close the gap for disadvantaged pupils", "Pupil premium spending targeted on what works."),
    ("Develop a broad and ambitious curriculum", "Sequenced knowledge in every subject."),
    ("Improve outcomes in mathematics", "Fluency, reasoning and problem solving."),
    ("Promote pupils' wellbeing and mental health", "A trained mental health lead and a clear offer."),
    ("Strengthen the safeguarding culture", "Everyone knows what to do and does it."),
    ("Improve writing across the curriculum", "Extended writing in every subject."),
    ("Develop outdoor learning", "Regular outdoor learning for every class."),
    ("Improve behaviour at unstructured times", "Calm, purposeful break and lunch times."),
    ("Reduce staff workload through smarter assessment", "Feedback that helps pupils, not paperwork."),
    ("Increase parental engagement", "Parents as partners in their children's learning."),
    ("Improve the school environment", "Classrooms and grounds that support learning."),
    ("Raise aspirations through careers education", "Every pupil meets employers and further education."),
    ("Strengthen transition between phases", "Smooth moves into, through and out of the school."),
]
ACTIONS = [
    "Audit current practice in {t} and share the findings with SLT",
    "Lead a twilight CPD session on {t} for all teaching staff",
    "Run termly learning walks focused on {t}",
    "Review {t} half-termly in phase and department meetings",
    "Buy and deploy resources to support {t}",
    "Visit a partner school in the trust to see strong practice in {t}",
    "Report progress on {t} to the LGC each term",
    "Coach identified staff in {t} using 'Maintain', 'Improve', 'Change'",
    "Gather pupil voice on {t} and act on what pupils say",
    "Update the school's policy on {t} and brief all staff",
    "Track the impact of work on {t} for disadvantaged pupils",
    "Hold a parents' workshop on {t}",
    "Set up a STAR project on {t}",
    "Moderate work with another trust school with a focus on {t}",
]
RESOURCES = [
    "Supply cover for release time",
    "Subscription and training materials",
    "Books and classroom resources",
    "External consultant (2 days)",
    "Trust CPD budget",
    "Governor training course",
]
COSTS = [Decimal(c) for c in ("150.00", "250.00", "400.00", "750.00", "1200.00", "2500.00", "4000.00")]
# (KPI, unit, baseline from-to, change from-to): a negative change is a fall (absence, suspensions).
KPIS = [
    ("Attendance", "%", (90, 95), (1, 3)),
    ("Pupils meeting the expected standard in reading", "%", (60, 80), (3, 10)),
    ("Phonics screening check pass rate", "%", (70, 86), (3, 8)),
    ("Persistent absence", "%", (12, 22), (-5, -2)),
    ("Staff completing a coaching cycle", "staff", (5, 15), (5, 15)),
    ("Lessons seen as securely good in learning walks", "%", (60, 80), (5, 15)),
    ("Pupils suspended", "pupils", (6, 20), (-6, -2)),
    ("Parents attending workshops", "parents", (10, 40), (10, 30)),
    ("Disadvantaged pupils meeting the expected standard", "%", (40, 60), (5, 12)),
    ("Governor visits completed", "visits", (2, 6), (2, 4)),
    ("Pupils with SEND making expected progress", "%", (50, 70), (5, 10)),
    ("Behaviour incidents logged each half term", "incidents", (40, 90), (-30, -10)),
]
COUNTED = [
    "All staff have been trained in {t}",
    "Every class teacher uses the agreed approach to {t}",
    "Each phase leader reports on {t} to the LGC",
    "No pupil falls behind in {t} without a plan in place",
]
# Deliberately not measurable (no number, no countable outcome, no target): the SMART check flags them.
VAGUE = [
    "Staff feel more confident in their teaching",
    "Pupils show better attitudes to learning",
    "Governors understand the curriculum better",
    "Parents feel more involved in their children's learning",
    "Teaching is more consistent across the school",
]
EVIDENCE_NOTES = [
    "Minutes of the LGC meeting record the progress made",
    "Learning walk notes shared with SLT",
    "Pupil voice survey results",
    "Data drop analysis for the half term",
    "CPD attendance register and feedback",
    "Photographs and work samples in the shared folder",
]
RATING_COMMENTARY = {
    RatingValue.RED: [
        "Not started: the lead was on long-term absence; a new lead starts after half term.",
        "No impact seen in learning walks yet; the LGC asked for a recovery plan.",
        "Funding for the resources fell through; the head is finding another way.",
    ],
    RatingValue.AMBER: [
        "Under way but behind the timeline: staffing changes slowed it.",
        "Some classes are there, others not yet; the next learning walk will check.",
        "Training done; the change is not yet consistent across the school.",
        "The figures are moving the right way but more slowly than planned.",
    ],
}
STAGES = {-2: "Laying the foundations", -1: "Preparing the ground", 1: "Embedding", 2: "Sustaining", 3: "Evaluating"}
TERMS = {  # first and last teaching day of each term: (month, day), in the autumn's year or the next
    Term.AUTUMN: ((0, 9, 4), (0, 12, 19)),
    Term.SPRING: ((1, 1, 6), (1, 3, 28)),
    Term.SUMMER: ((1, 4, 14), (1, 7, 18)),
}
TERM_ORDER = [Term.AUTUMN, Term.SPRING, Term.SUMMER]


class LargeDemoRefused(Exception):
    """A different large demo is already loaded; the message says what to do."""


@dataclass
class LargeDemoResult:
    already: bool
    schools: int  # in the trust, after the run
    years: list[str]
    counts: dict[str, int] = field(default_factory=dict)  # what this run made, by kind
    password: str | None = None  # set when people were made
    seconds: float = 0.0
    examples: dict[str, str] = field(default_factory=dict)  # a role -> one person's e-mail


@dataclass
class Item:
    """A row to write, with when, by whom and why it was made, and its later changes (each a
    history row): `changes` are (when, user id, reason, {attribute: new value})."""

    obj: models.Model
    when: datetime.datetime
    by: int | None
    reason: str
    changes: list = field(default_factory=list)
    parents: dict = field(default_factory=dict)  # attname -> the parent object (saved before this one)


# --- the run -------------------------------------------------------------------------------------


def _plan_years(plan, years: int) -> list[int]:
    """`years` consecutive academic years inside the plan's period, starting with the demo's
    pocket guide year when they fit (else ending at the period's end)."""
    period = plan.end_year - plan.start_year
    if not 1 <= years <= period:
        raise LargeDemoRefused(f"--years must be from 1 to {period} (the plan's period, {plan.period}).")
    start = max(plan.start_year, min(DEMO_YEAR, plan.end_year - years))
    return list(range(start, start + years))


def _label(year: int) -> str:
    return f"{year}/{(year + 1) % 100:02d}"


def _demo_guide() -> PocketGuide | None:
    school = School.objects.filter(urn=SCHOOLS[0][3]).first()
    if school is None:
        return None
    return (
        PocketGuide.objects.filter(plan__trust_id=school.trust_id, academic_year__start_year=DEMO_YEAR)
        .select_related("plan", "plan__trust")
        .first()
    )


def loaded(guide: PocketGuide | None = None) -> dict | None:
    """What a large demo already in the database holds ({"schools": n, "sdps": {year: n}}), or
    None when there is none: no synthetic school and no pocket guide but the demo's."""
    guide = guide or _demo_guide()
    if guide is None:
        return None
    trust = guide.plan.trust
    synthetic = School.objects.filter(trust=trust, urn__gte=str(SYNTHETIC_URN_FROM), urn__lt="920000").exists()
    other_guides = PocketGuide.objects.filter(plan=guide.plan).exclude(academic_year__start_year=DEMO_YEAR).exists()
    if not (synthetic or other_guides):
        return None
    return _sizes(trust)


def _sizes(trust) -> dict:
    sdps = (
        SchoolPlan.objects.filter(trust=trust, kind=PlanKind.SDP)
        .values_list("academic_year__start_year")
        .annotate(n=Count("pk"))
    )
    return {"schools": School.objects.filter(trust=trust).count(), "sdps": dict(sdps)}


def load_large_demo(*, schools: int, years: int = 3, password: str | None = None) -> LargeDemoResult:
    """Load the large demo trust (see the module's docstring), in one transaction; `seconds`
    includes the commit."""
    started = time.monotonic()
    if not len(SCHOOLS) <= schools <= MAX_SCHOOLS:
        raise LargeDemoRefused(f"--schools must be from {len(SCHOOLS)} (the demo's schools) to {MAX_SCHOOLS}.")
    with transaction.atomic():
        result = _load(schools=schools, years=years, password=password)
        # Bulk writes send no signals: what pages keep per version of the people and of the plan
        # content is made outdated here, once.
        data_changed(PEOPLE)
        data_changed(RATINGS)
        data_changed(CYCLE)
        page_cache.strategic_content_changed()
    result.seconds = time.monotonic() - started
    return result


COUNT_ORDER = [
    "schools",
    "people",
    "role assignments",
    "pocket guides",
    "pocket guide groups",
    "milestones",
    "SDPs",
    "plan events",
    "priorities",
    "actions",
    "success criteria",
    "evidence",
    "ratings",
    "history rows",
]


def _load(*, schools: int, years: int, password: str | None) -> LargeDemoResult:
    guide = _demo_guide()
    if guide is not None:
        wanted = _plan_years(guide.plan, years)
        sizes = _sizes(guide.plan.trust)
        if sizes["schools"] >= schools and all(sizes["sdps"].get(y, 0) >= schools for y in wanted):
            return LargeDemoResult(
                already=True,
                schools=sizes["schools"],
                years=[_label(y) for y in wanted],
                counts={"SDPs": sum(sizes["sdps"].get(y, 0) for y in wanted)},
                examples=_examples(guide.plan.trust),
            )
        there = loaded(guide)
        if there is not None:
            raise LargeDemoRefused(
                f"A different large demo is already loaded ({there['schools']} schools; SDPs "
                + ", ".join(f"{_label(y)}: {n}" for y, n in sorted(there["sdps"].items()))
                + "). Drop and recreate the database to load this one."
            )
    password = password or secrets.token_urlsafe(9)
    small = load_demo(password=password)
    builder = _Builder(years=years, password=password)
    builder.build(schools)
    builder.counts["people"] += len(small.created_people)
    counts = {k: builder.counts[k] for k in COUNT_ORDER if builder.counts.get(k)}
    counts.update({k: n for k, n in builder.counts.items() if k not in counts and n})
    return LargeDemoResult(
        already=False,
        schools=School.objects.filter(trust=builder.trust).count(),
        years=[_label(y) for y in builder.years],
        counts=counts,
        password=password if counts.get("people") else None,
        examples=_examples(builder.trust),
    )


def _examples(trust) -> dict[str, str]:
    """One person per role, from the first synthetic school (else the first school)."""
    school = (
        School.objects.filter(trust=trust, urn__gte=str(SYNTHETIC_URN_FROM)).order_by("urn").first()
        or School.objects.filter(trust=trust).order_by("urn").first()
    )
    found = {}
    for ra in RoleAssignment.objects.filter(trust=trust).select_related("user", "school").order_by("pk"):
        if ra.school_id not in (None, school.pk):
            continue
        key = f"{ra.get_role_display()}{' (chair)' if ra.is_chair else ''}"
        if ra.school_id:
            key += f", {school.name}"
        found.setdefault(key, ra.user.email)
    return found


class _Builder:
    def __init__(self, *, years: int, password: str):
        self.rng = random.Random(SEED)  # noqa: S311 - demo data, not secrets
        self.now = timezone.now()
        self.tz = ZoneInfo(settings.TIME_ZONE)
        self.counts: dict[str, int] = defaultdict(int)
        self.guide = _demo_guide()
        self.plan = self.guide.plan
        self.trust = self.plan.trust
        self.years = _plan_years(self.plan, years)
        self.password_hash = make_password(password)
        roles = RoleAssignment.objects.filter(trust=self.trust, school=None)
        self.ceo = roles.filter(role=Role.CEO).values_list("user_id", flat=True).first()
        self.central = roles.filter(role=Role.CENTRAL_TEAM).values_list("user_id", flat=True).first()
        self.central_user = User.objects.filter(pk=self.central).first()
        if self.ceo is None:
            raise LargeDemoRefused("The demo trust has no CEO to sign plans off.")

    def at(self, year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime.datetime:
        return datetime.datetime(year, month, day, hour, minute, tzinfo=self.tz)

    def daytime(self, when: datetime.datetime) -> datetime.datetime:
        """The same day, in working hours."""
        return when.replace(hour=self.rng.randint(8, 17), minute=self.rng.randint(0, 59))

    def before_now(self, when: datetime.datetime, after: datetime.datetime) -> datetime.datetime:
        """`when`, but not in the future (and still after `after`)."""
        latest = self.now - datetime.timedelta(hours=1)
        return when if when <= latest else max(after + datetime.timedelta(minutes=5), latest)

    # --- writing ---------------------------------------------------------------------------------

    def write(self, model, items: list[Item], *, count_as: str | None = None) -> None:
        """bulk_create the rows and their history: a "+" row as made, a "~" row per change."""
        if not items:
            return
        history = model.history.model
        tracked = [f.attname for f in history.tracked_fields]
        versioned = any(f.name == "version" for f in model._meta.fields)
        dated = any(f.name == "updated_at" for f in model._meta.fields)
        snaps = []
        for item in items:
            obj = item.obj
            for attname, parent in item.parents.items():
                setattr(obj, attname, parent.pk)
            if dated:
                obj.updated_at = item.when
            snaps.append((item, {a: getattr(obj, a) for a in tracked}, item.when, item.by, item.reason, "+"))
            for when, by, reason, values in item.changes:
                for attname, value in values.items():
                    setattr(obj, attname, value)
                if versioned:
                    obj.version += 1
                if dated:
                    obj.updated_at = when
                snaps.append((item, {a: getattr(obj, a) for a in tracked}, when, by, reason, "~"))
        model.objects.bulk_create([item.obj for item in items], batch_size=BATCH)
        rows = []
        for item, snap, when, by, reason, kind in snaps:
            snap["id"] = item.obj.pk
            rows.append(
                history(
                    history_date=when,
                    history_user_id=by,
                    history_change_reason=reason[:100],
                    history_type=kind,
                    **snap,
                )
            )
        history.objects.bulk_create(rows, batch_size=BATCH)
        self.counts[count_as or str(model._meta.verbose_name_plural)] += len(items)
        self.counts["history rows"] += len(rows)

    def fix_updated_at(self, model, plan_ids: list[int]) -> None:
        """bulk_create stamps auto_now fields with now: put back the time of each row's last change."""
        # MAX grouped by id, not ORDER BY ... LIMIT 1: the latter tempts PostgreSQL into walking the
        # history_date index for every row (minutes at this size).
        last = model.history.filter(id=OuterRef("pk")).values("id").annotate(at=Max("history_date")).values("at")
        key = "pk__in" if model is SchoolPlan else "plan_id__in"
        model.objects.filter(**{key: plan_ids}).update(updated_at=Subquery(last))

    # --- the parts ---------------------------------------------------------------------------------

    def build(self, n_schools: int) -> None:
        self.first_day = self.at(self.years[0], 6, 1)
        self.guides = self.make_guides()
        self.schools = self.make_schools(n_schools)
        self.make_people()
        self.make_plans()

    def make_guides(self) -> dict[int, PocketGuide]:
        guides = {}
        for year in self.years:
            ay, _ = AcademicYear.objects.get_or_create(start_year=year)
            guide = PocketGuide.objects.filter(plan=self.plan, academic_year=ay).first()
            guides[year] = guide or self.copy_guide(ay)
        return guides

    def reword(self, text: str, year: int) -> str:
        old, new = DEMO_YEAR, year
        for a, b in (
            (f"{old}/{(old + 1) % 100:02d}", f"{new}/{(new + 1) % 100:02d}"),
            (f"{old}-{(old + 1) % 100:02d}", f"{new}-{(new + 1) % 100:02d}"),
            (f"Year {old - self.plan.start_year + 1} (", f"Year {new - self.plan.start_year + 1} ("),
        ):
            text = text.replace(a, b)
        return text

    def copy_guide(self, ay: AcademicYear) -> PocketGuide:
        """The demo guide for another year: its groups, headlines and milestones, reworded."""
        year, src = ay.start_year, self.guide
        when = self.at(year, 5, 20, 16)
        reason = f"{REASON}: pocket guide for {ay.label}"
        words = ("title", "year_label", "intro", "aims_heading", "milestones_heading")
        new = PocketGuide(
            plan=self.plan,
            academic_year=ay,
            status=Status.PUBLISHED,
            **{f: self.reword(getattr(src, f), year) for f in words},
        )
        # Saved on its own (one row a year), not in bulk: the signals that follow changes to the
        # strategic plan's content (its history, the version cached pages are kept by) see it.
        new._history_date, new._history_user, new._change_reason = when, self.central_user, reason
        new.save()
        self.counts["pocket guides"] += 1
        self.counts["history rows"] += 1
        groups = {g.pk: g for g in PocketGuideGroup.objects.filter(guide=src)}
        group_copies = {
            pk: PocketGuideGroup(guide=new, name=g.name, strand_id=g.strand_id, headline=g.headline, order=g.order)
            for pk, g in groups.items()
        }
        self.write(PocketGuideGroup, [Item(g, when, self.central, reason) for g in group_copies.values()])
        stage = STAGES.get(year - DEMO_YEAR, "Reviewing")
        milestones = list(Milestone.objects.filter(guide=src).prefetch_related("focus_columns"))
        copies = []
        for m in milestones:
            text = m.milestone
            if text:
                text = f"{stage}: {text[:1].lower()}{text[1:]}"
            copy = Milestone(
                guide=new,
                aim_id=m.aim_id,
                number=m.number,
                label=m.label,
                phrase=m.phrase,
                milestone=text,
                elaboration=self.reword(m.elaboration, year),
                order=m.order,
            )
            copies.append(Item(copy, when, self.central, reason, parents={"group_id": group_copies[m.group_id]}))
        self.write(Milestone, copies)
        through = Milestone.focus_columns.through
        through.objects.bulk_create(
            [
                through(milestone_id=c.obj.pk, focuscolumn_id=col.pk)
                for m, c in zip(milestones, copies, strict=True)
                for col in m.focus_columns.all()
            ]
        )
        headlines = list(ColumnHeadline.objects.filter(guide=src).prefetch_related("bullets"))
        headline_items = [
            Item(
                ColumnHeadline(guide=new, column_id=h.column_id, heading=h.heading, order=h.order),
                when,
                self.central,
                reason,
                parents={"group_id": group_copies[h.group_id]} if h.group_id else {},
            )
            for h in headlines
        ]
        self.write(ColumnHeadline, headline_items)
        self.write(
            ColumnHeadlineBullet,
            [
                Item(
                    ColumnHeadlineBullet(text=b.text, order=b.order),
                    when,
                    self.central,
                    reason,
                    parents={"headline_id": hi.obj},
                )
                for h, hi in zip(headlines, headline_items, strict=True)
                for b in h.bullets.all()
            ],
        )
        return new

    def make_schools(self, n_schools: int) -> list[School]:
        existing = list(School.objects.filter(trust=self.trust).order_by("pk"))
        slugs = {s.slug for s in existing}
        urns = set(School.objects.values_list("urn", flat=True))
        items = []
        i = 0
        urn = SYNTHETIC_URN_FROM
        while len(existing) + len(items) < n_schools:
            phase = PHASE_CYCLE[i % len(PHASE_CYCLE)]
            place = PLACES[i % len(PLACES)]
            prefix = PREFIXES[(i // len(PLACES)) % len(PREFIXES)]
            place = place.replace("StGermans", "St Germans")
            name = f"{prefix}{place} {self.rng.choice(SCHOOL_KINDS[phase])}"
            slug = slugify(name)
            i += 1
            if slug in slugs:
                continue
            while str(urn) in urns:
                urn += 1
            slugs.add(slug)
            urns.add(str(urn))
            school = School(trust=self.trust, name=name, slug=slug, phase=phase, urn=str(urn), lgc_name=f"{name} LGC")
            items.append(Item(school, self.first_day, self.central, REASON))
        self.write(School, items)
        return existing + [item.obj for item in items]

    def person_name(self) -> str:
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"

    def make_people(self) -> None:
        have = defaultdict(int)
        chaired = set()
        for school_id, role, is_chair in RoleAssignment.objects.filter(school__in=self.schools).values_list(
            "school_id", "role", "is_chair"
        ):
            have[school_id, role] += 1
            if is_chair:
                chaired.add(school_id)
        emails = set(User.objects.filter(email__endswith=DEMO_DOMAIN).values_list("email", flat=True))
        joined = self.at(self.years[0], 6, 2)
        users, grants = [], []
        for school in self.schools:
            for role, key, wanted in PER_SCHOOL:
                for k in range(have[school.pk, role] + 1, wanted + 1):
                    email = demo_email(f"{key}.{school.slug}" if wanted == 1 else f"{key}{k}.{school.slug}")
                    n = k
                    while email in emails:
                        n += wanted
                        email = demo_email(f"{key}{n}.{school.slug}")
                    emails.add(email)
                    user = User(email=email, full_name=self.person_name(), password=self.password_hash)
                    user.date_joined = joined
                    users.append(Item(user, joined, self.central, REASON))
                    flags = {}
                    if role == Role.LOCAL_GOVERNOR and school.pk not in chaired:
                        flags["is_chair"] = True
                        chaired.add(school.pk)
                    elif role == Role.LOCAL_GOVERNOR and k == 2:
                        flags.update(is_link_governor=True, link_area=self.rng.choice(LINK_AREAS))
                    grant = RoleAssignment(
                        role=role,
                        trust=self.trust,
                        school=school,
                        granted_at=joined,
                        granted_by_id=self.central,
                        **flags,
                    )
                    grants.append(Item(grant, joined, self.central, REASON, parents={"user_id": user}))
        self.write(User, users, count_as="people")
        self.write(RoleAssignment, grants, count_as="role assignments")

    # --- plans ---------------------------------------------------------------------------------------

    def make_plans(self) -> None:
        people = defaultdict(lambda: defaultdict(list))  # school id -> role -> user ids
        chairs = {}
        for school_id, role, user_id, is_chair in (
            RoleAssignment.objects.filter(school__in=self.schools)
            .order_by("pk")
            .values_list("school_id", "role", "user_id", "is_chair")
        ):
            people[school_id][role].append(user_id)
            if is_chair:
                chairs.setdefault(school_id, user_id)
        self.people, self.chairs = people, chairs
        years = {y: AcademicYear.objects.get(start_year=y) for y in self.years}
        done = set(
            SchoolPlan.objects.filter(
                kind=PlanKind.SDP, school__in=self.schools, academic_year__in=years.values()
            ).values_list("school_id", "academic_year__start_year")
        )
        self.milestones = {
            y: list(
                Milestone.objects.filter(guide=g)
                .select_related("aim")
                .order_by("group__order", "order", "pk")  # as plans.services.plan_create orders them
            )
            for y, g in self.guides.items()
        }
        plans, events, priorities, actions, criteria, evidence = [], [], [], [], [], []
        for year in self.years:
            latest = year == self.years[-1]
            for index, school in enumerate(self.schools):
                if (school.pk, year) in done:
                    continue
                state = LATEST_YEAR_STATES[index % len(LATEST_YEAR_STATES)] if latest else PlanState.SIGNED_OFF
                plan_item, plan_events, moments = self.make_plan(school, years[year], state)
                plans.append(plan_item)
                events += plan_events
                tree = self.make_items(plan_item, school, year, state, moments)
                priorities += tree[0]
                actions += tree[1]
                criteria += tree[2]
                evidence += tree[3]
        self.write(SchoolPlan, plans, count_as="SDPs")
        for event in events:
            event.plan_id = event.plan.pk
        PlanEvent.objects.bulk_create(events, batch_size=BATCH)
        self.counts["plan events"] += len(events)
        self.write(Priority, priorities)
        self.write(Action, actions)
        self.write(SuccessCriterion, criteria, count_as="success criteria")
        self.write(Evidence, evidence, count_as="evidence")
        plan_ids = [p.obj.pk for p in plans]
        for model in (SchoolPlan, Priority, Action, SuccessCriterion):
            self.fix_updated_at(model, plan_ids)
        self.write(Rating, self.make_ratings(plans, actions, criteria, evidence), count_as="ratings")

    # --- ratings -------------------------------------------------------------------------------------

    def make_ratings(self, plans, actions, criteria, evidence) -> list[Item]:
        """The autumn and spring ratings of every published plan made here, as reviews.services.rate
        would keep them: a commentary behind each red and amber, this term's figure behind a green
        on a measured action. Each plan has its own tendency (a school on track, one struggling, a
        governing body that has not rated yet)."""
        rng = self.rng
        terms = {}
        for year in self.years:  # bulk writes send no signals: the years' terms are made here
            for term in ensure_terms(AcademicYear.objects.get(start_year=year)):
                terms[year, term.term] = term
        measure = {}
        for c in criteria:
            if c.obj.target is not None:
                measure.setdefault(c.obj.action_id, c.obj)
        shown = {e.obj.action_id for e in evidence}
        by_plan = defaultdict(list)
        for a in actions:
            by_plan[a.obj.plan_id].append(a.obj)
        items = []
        for p in plans:
            plan = p.obj
            if plan.state not in PUBLISHED_STATES:
                continue
            strength = rng.random()  # how well this school's plan is going
            head = self.people[plan.school_id][Role.HEADTEACHER][0]
            chair = self.chairs.get(plan.school_id) or self.people[plan.school_id][Role.LOCAL_GOVERNOR][0]
            latest = plan.academic_year.start_year == self.years[-1]
            for name in (Term.AUTUMN, Term.SPRING):
                term = terms[plan.academic_year.start_year, name]
                heard = 0.35 if rng.random() < 0.08 else 0.93  # a few governing bodies have barely rated
                for action in by_plan[plan.pk]:
                    theirs = self.rating_value(action, name, strength) if rng.random() < heard else None
                    mine = self.self_value(theirs, action, name, strength) if latest and rng.random() < 0.88 else None
                    for voice, value, by, first in (
                        (Voice.SELF, mine, action.lead_id or head, True),
                        (Voice.GOVERNORS, theirs, chair, False),
                    ):
                        if value is None:
                            continue
                        rating = Rating(term_id=term.pk, voice=voice, plan_id=plan.pk, action_id=action.pk, value=value)
                        self.rating_words(rating, measure.get(action.pk), action.pk in shown, name)
                        rating.by_id = by
                        rating.at = self.rated_at(term, first=first)
                        items.append(Item(rating, rating.at, by, "Rated"))
        return items

    def rating_value(self, action: Action, term: str, strength: float) -> str:
        rng = self.rng
        if action.status == ActionStatus.COMPLETE and term == Term.SPRING and rng.random() < 0.6:
            return RatingValue.COMPLETE
        if term == Term.AUTUMN and action.start_term != Term.AUTUMN and rng.random() < 0.3:
            return RatingValue.NOT_YET_DUE
        roll = rng.random()
        red, amber = 0.1 - 0.08 * strength, 0.3 - 0.2 * strength  # from 10% red, 30% amber to 2%, 10%
        return RatingValue.RED if roll < red else RatingValue.AMBER if roll < red + amber else RatingValue.GREEN

    def self_value(self, theirs: str | None, action: Action, term: str, strength: float) -> str:
        """The leaders' self-assessment: mostly the governors' view, sometimes a step kinder, now and
        then two steps apart (disputed)."""
        rng = self.rng
        if theirs is None:
            return self.rating_value(action, term, strength)
        roll = rng.random()
        if theirs == RatingValue.RED and roll < 0.3:
            return RatingValue.GREEN
        if theirs == RatingValue.GREEN and roll < 0.02:
            return RatingValue.RED
        if roll < 0.15:
            kinder = {RatingValue.RED: RatingValue.AMBER, RatingValue.AMBER: RatingValue.GREEN}
            return kinder.get(theirs, theirs)
        return theirs

    def rating_words(self, rating: Rating, criterion, has_evidence: bool, term: str) -> None:
        rng = self.rng
        if rating.value in (RatingValue.RED, RatingValue.AMBER):
            rating.commentary = rng.choice(RATING_COMMENTARY[rating.value])
        if rating.value == RatingValue.GREEN and criterion is not None:
            baseline, target = float(criterion.baseline or 0), float(criterion.target)
            share = rng.uniform(0.3, 0.6) if term == Term.AUTUMN else rng.uniform(0.6, 0.95)
            figure = round(baseline + (target - baseline) * share)
            rating.current_value = f"{figure}%" if criterion.unit == "%" else f"{figure} {criterion.unit}"
        elif rating.value != RatingValue.NOT_YET_DUE and (has_evidence or rng.random() < 0.4):
            rating.evidence = rng.choice(EVIDENCE_NOTES)

    def rated_at(self, term, *, first: bool) -> datetime.datetime:
        """Inside the term's rating window: the self-assessment in its first half, the governors' later."""
        span = (term.rating_closes - term.rating_opens).days
        offset = self.rng.randint(0, span // 2) if first else self.rng.randint(span // 2, span)
        day = term.rating_opens + datetime.timedelta(days=offset)
        when = self.daytime(self.at(day.year, day.month, day.day))
        return self.before_now(when, self.at(term.rating_opens.year, term.rating_opens.month, term.rating_opens.day))

    def make_plan(self, school: School, ay: AcademicYear, state: str):
        rng, year = self.rng, ay.start_year
        head = self.people[school.pk][Role.HEADTEACHER][0]
        chair = self.chairs.get(school.pk) or self.people[school.pk][Role.LOCAL_GOVERNOR][0]
        created = self.at(year, 6, 15, rng.randint(8, 17), rng.randint(0, 59)) + datetime.timedelta(
            days=rng.randint(0, 35)
        )
        plan = SchoolPlan(
            trust=self.trust,
            school=school,
            kind=PlanKind.SDP,
            academic_year=ay,
            pocket_guide=self.guides[year],
            state=PlanState.DRAFT,
            created_by_id=head,
            created_at=created,
        )
        item = Item(plan, created, head, "Plan started")
        steps = list(PATH[state])
        if steps and rng.random() < 0.1:  # returned once by the LGC, then submitted again
            steps[1:1] = [Step.RETURN, Step.SUBMIT]
        who = {Step.SUBMIT: head, Step.AGREE: chair, Step.RETURN: chair, Step.FINALISE: head, Step.SIGN_OFF: self.ceo}
        gaps = {Step.RETURN: (3, 8), Step.AGREE: (6, 15), Step.FINALISE: (6, 14), Step.SIGN_OFF: (2, 12)}
        when = self.at(year, 9, rng.randint(3, 12), rng.randint(8, 18), rng.randint(0, 59))
        events, moments, current = [], {"created": created}, PlanState.DRAFT
        for n, step in enumerate(steps):
            if n:
                low, high = gaps.get(step, (3, 7))
                when = self.daytime(when + datetime.timedelta(days=rng.randint(low, high)))
            when = self.before_now(when, moments.get("last", created))
            rule = STEPS[step]
            comment = "Please make the success criteria for reading measurable." if step == Step.RETURN else ""
            events.append(
                PlanEvent(
                    plan=plan,
                    step=step,
                    from_state=current,
                    to_state=rule.to_state,
                    by_id=who[step],
                    at=when,
                    comment=comment,
                )
            )
            current = rule.to_state
            values = {"state": current}
            item.changes.append((when, who[step], f"{rule.done}{': ' + comment if comment else ''}", values))
            moments[step] = moments["last"] = when
        assert current == state  # noqa: S101 - the paths above lead to the states they are listed for
        return item, events, moments

    def make_items(self, plan_item: Item, school: School, year: int, state: str, moments: dict):
        rng = self.rng
        plan = plan_item.obj
        head = self.people[school.pk][Role.HEADTEACHER][0]
        leaders = [u for role in LEADER_ROLES for u in self.people[school.pk][role]]
        written = moments["created"]
        priorities, actions, criteria, evidence = [], [], [], []
        # Trust priorities, as plans.services.plan_create makes them, then the school's own.
        specs = [
            (
                NUMBERED.sub("", m.label or m.aim.title),
                m.milestone + (f" – {m.elaboration}" if m.elaboration else ""),
                m,
                "From the pocket guide",
            )
            for m in self.milestones[year]
        ]
        own = rng.sample(OWN_PRIORITIES, max(0, PRIORITIES_PER_PLAN - len(specs)))
        specs += [(title, description, None, "Added") for title, description in own]
        year_end = self.at(year + 1, 7, 20)
        progressed = moments.get(Step.SIGN_OFF) or moments.get(Step.FINALISE)
        failing = set(rng.sample(range(len(specs) * ACTIONS_PER_PRIORITY * CRITERIA_PER_ACTION), rng.randint(1, 4)))
        c_index = 0
        minute = 0
        for p_order, (title, description, milestone, reason) in enumerate(specs, start=1):
            minute += 7
            priority = Priority(
                order=p_order,
                title=title[:300],
                description=description,
                aim_id=milestone.aim_id if milestone else None,
                milestone_id=milestone.pk if milestone else None,
            )
            p_item = Item(
                priority, written + datetime.timedelta(minutes=minute), head, reason, parents={"plan_id": plan}
            )
            priorities.append(p_item)
            topic = title[:1].lower() + title[1:]
            for a_order, template in enumerate(rng.sample(ACTIONS, ACTIONS_PER_PRIORITY), start=1):
                minute += 3
                start_i = rng.randint(0, 1)
                due_i = rng.randint(start_i, 2)
                start_term, due_term = TERM_ORDER[start_i], TERM_ORDER[due_i]
                start_date = due_date = None
                if rng.random() < 0.5:
                    start_date = self.term_day(year, start_term, first=True) + datetime.timedelta(
                        days=rng.randint(0, 14)
                    )
                    due_date = self.term_day(year, due_term, first=False) - datetime.timedelta(days=rng.randint(0, 14))
                costed = rng.random() < 0.35
                action = Action(
                    order=a_order,
                    what=template.format(t=topic),
                    lead_id=head if a_order == 1 else rng.choice(leaders),
                    start_term=start_term,
                    due_term=due_term,
                    start_date=start_date,
                    due_date=due_date,
                    resources=rng.choice(RESOURCES) if costed else "",
                    cost=rng.choice(COSTS) if costed else None,
                )
                a_item = Item(
                    action,
                    written + datetime.timedelta(minutes=minute),
                    head,
                    "Added",
                    parents={"plan_id": plan, "priority_id": priority},
                )
                actions.append(a_item)
                for c_order in range(1, CRITERIA_PER_ACTION + 1):
                    crit = self.criterion(topic, due_term, c_index in failing, year)
                    crit.order = c_order
                    c_item = Item(
                        crit,
                        written + datetime.timedelta(minutes=minute, seconds=20 * c_order),
                        head,
                        "Added",
                        parents={"plan_id": plan, "action_id": action},
                    )
                    criteria.append(c_item)
                    c_index += 1
                if progressed:
                    self.progress(a_item, year, state, progressed, year_end, evidence, school, plan)
        self.edits(state, moments, head, leaders, priorities, actions, criteria)
        return priorities, actions, criteria, evidence

    def term_day(self, year: int, term: str, *, first: bool) -> datetime.date:
        offset, month, day = TERMS[term][0 if first else 1]
        return datetime.date(year + offset, month, day)

    def criterion(self, topic: str, due_term: str, fail: bool, year: int) -> SuccessCriterion:
        rng = self.rng
        roll = rng.random()
        crit = SuccessCriterion()
        if rng.random() < 0.4:
            crit.due_term = due_term
        elif rng.random() < 0.2:
            crit.due_date = self.term_day(year, due_term, first=False)
        if fail:
            if roll < 0.5:
                crit.text = rng.choice(VAGUE)
            else:  # a measure without a target
                kpi, unit, (b_lo, b_hi), _ = rng.choice(KPIS)
                crit.kpi, crit.unit, crit.baseline = kpi, unit, Decimal(rng.randint(b_lo, b_hi))
                crit.text = f"An improvement in {kpi[:1].lower()}{kpi[1:]}"
            return crit
        if roll < 0.8:
            kpi, unit, (b_lo, b_hi), (d_lo, d_hi) = rng.choice(KPIS)
            baseline = rng.randint(b_lo, b_hi)
            target = max(0, baseline + rng.randint(d_lo, d_hi))
            crit.kpi, crit.unit = kpi, unit
            crit.baseline, crit.target = Decimal(baseline), Decimal(target)
            crit.text = self.measure_text(kpi, unit, baseline, target)
            return crit
        crit.text = rng.choice(COUNTED).format(t=topic)
        return crit

    @staticmethod
    def measure_text(kpi: str, unit: str, baseline, target) -> str:
        def amount(n):
            return f"{n}%" if unit == "%" else f"{n} {unit}"

        verb = "rises" if target >= baseline else "falls"
        return f"{kpi} {verb} from {amount(baseline)} to {amount(target)}"

    def progress(self, a_item, year, state, since, year_end, evidence, school, plan) -> None:
        """Progress recorded on the action during the year, and sometimes evidence."""
        rng = self.rng
        roll = rng.random()
        if state == PlanState.SIGNED_OFF and year < self.years[-1]:
            status = ActionStatus.COMPLETE if roll < 0.8 else ActionStatus.IN_PROGRESS if roll < 0.95 else None
        elif state == PlanState.SIGNED_OFF:
            status = ActionStatus.COMPLETE if roll < 0.4 else ActionStatus.IN_PROGRESS if roll < 0.85 else None
        else:
            status = ActionStatus.COMPLETE if roll < 0.15 else ActionStatus.IN_PROGRESS if roll < 0.6 else None
        if status is None:
            return
        lead = a_item.obj.lead_id
        span = max(1, (year_end - since).days)
        when = self.before_now(self.daytime(since + datetime.timedelta(days=rng.randint(3, span))), since)
        a_item.changes.append((when, lead, f"Progress: {ActionStatus(status).label.lower()}", {"status": status}))
        if rng.random() < 0.3:
            note = rng.choice(EVIDENCE_NOTES)
            link = ""
            if rng.random() < 0.4:
                link = f"https://files.{DEMO_DOMAIN}/{school.slug}/{year}/evidence-{rng.randint(100, 999)}.pdf"
            ev = Evidence(note=note, link=link, added_by_id=lead, added_at=when)
            evidence.append(Item(ev, when, lead, "Evidence added", parents={"plan_id": plan, "action_id": a_item.obj}))

    def edits(self, state, moments, head, leaders, priorities, actions, criteria) -> None:
        """Changes made after the LGC agreed the plan (before it was finalised): what the CEO's
        queue counts as "changes since the LGC agreed it"."""
        rng = self.rng
        agreed = moments.get(Step.AGREE)
        if agreed is None:
            return
        until = moments.get(Step.FINALISE) or self.before_now(agreed + datetime.timedelta(days=20), agreed)
        wanted = rng.randint(1, 6) if state in (PlanState.AGREED, PlanState.FINALISED) else rng.randint(0, 4)
        days = max(1, (until - agreed).days)
        made, tries = [], 0
        while len(made) < wanted and tries < 50:
            tries += 1
            when = self.daytime(agreed + datetime.timedelta(days=rng.randint(0, days)))
            if not agreed < when < until:
                when = agreed + (until - agreed) * rng.uniform(0.1, 0.9)
            kind = rng.random()
            if kind < 0.6:
                c_item = rng.choice(criteria)
                crit = c_item.obj
                if crit.target is None or c_item.changes:
                    continue
                target = crit.target + (1 if crit.target >= (crit.baseline or 0) else -1)
                values = {"target": target, "text": self.measure_text(crit.kpi, crit.unit, crit.baseline, target)}
                c_item.changes.append((when, head, "Edited", values))
                made.append(c_item)
            elif kind < 0.85:
                a_item = rng.choice(actions)
                if a_item.changes:  # progress comes later: each row's changes stay in time order
                    continue
                a_item.changes.append((when, head, "Edited", {"lead_id": rng.choice(leaders)}))
                made.append(a_item)
            else:
                p_item = rng.choice(priorities)
                if p_item.changes:
                    continue
                text = p_item.obj.description + " Governors asked for a termly report on this priority."
                p_item.changes.append((when, head, "Edited", {"description": text}))
                made.append(p_item)
